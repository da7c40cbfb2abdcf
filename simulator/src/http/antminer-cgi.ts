import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkImage } from '../model/firmware-image.js';
import type { MinerModel } from '../model/miner.js';
import { recordedText, template } from '../templates.js';
import { unix } from '../wire/cgminer.js';
import { DigestRealm } from './digest.js';
import { bodyBytes, parseMultipart } from './multipart.js';

type Doc = Record<string, unknown>;
const WEB_USER = 'root';
const realm = new DigestRealm('antMiner Configuration');
const isS9 = (m: MinerModel) => /^Antminer S9/.test(m.model.model);
const r1 = (v: number) => Math.round(v * 10) / 10;
const r2 = (v: number) => Math.round(v * 100) / 100;

function systemInfo(m: MinerModel): Doc {
  const d = template('antminer-stock/s21-get_system_info-cgi.json.txt');
  return Object.assign(d, {
    minertype: m.model.model,
    macaddr: m.mac,
    hostname: m.hostname,
    ipaddress: m.ip,
    serinum: m.serial,
    // After an upgrade the miner names the version it was flashed with, not the recorded one.
    ...(m.upgradedTo ? { system_filesystem_version: m.upgradedTo } : {}),
  });
}

/** New-style stats (X19/X21 firmware, fixture s23-hyd-stats-cgi.json): per-chain arrays and `watt`. */
function stats(m: MinerModel, now: number): Doc {
  const d = template('antminer-stock/s23-hyd-stats-cgi.json.txt');
  (d.INFO as Doc).type = m.model.model;
  (d.INFO as Doc).miner_version = m.firmwareVersion;
  const s = (d.STATS as Doc[])[0]!;
  const proto = (s.chain as Doc[])[0]!;
  s.chain = m.boardThs.map((ths, b) => {
    const chip = Math.round(m.chipTempC[b]!);
    const pcb = Math.round(m.boardTempC[b]!);
    return {
      ...proto,
      asic: m.chipsOn(b) > 0 ? ` ${'o'.repeat(m.model.chipsPerBoard)}` : '',
      asic_num: m.chipsOn(b),
      index: b,
      rate_ideal: r1((m.nominalThs / m.model.boards) * 1000),
      rate_real: r2(ths * 1000),
      sn: `${m.serial.slice(0, 10)}B${b}`,
      temp_chip: [chip - 12, chip - 12, chip, chip],
      temp_pcb: [pcb - 8, pcb - 8, pcb, pcb],
      temp_pic: [pcb - 18, pcb - 18, pcb - 10, pcb - 10],
    };
  });
  Object.assign(s, {
    chain_num: m.model.boards,
    elapsed: m.elapsedS(now),
    fan: m.fanRpm.slice(),
    fan_num: m.model.fans,
    rate_5s: r2(m.hashrateThs * 1000),
    rate_avg: r2(m.averageThs(now) * 1000),
    rate_ideal: r1(m.nominalThs * 1000),
    watt: Math.round(m.powerW),
  });
  (d.STATUS as Doc).when = unix(now);
  return d;
}

/** get_miner_conf.cgi as Bitmain writes it: two leading newlines, `"key" : value` lines (fixture). */
function minerConf(m: MinerModel): string {
  const pools = m.pools
    .map(
      (p) =>
        `{\n"url" : ${JSON.stringify(p.url)},\n"user" : ${JSON.stringify(p.user)},\n"pass" : ${JSON.stringify(p.password)}\n}`,
    )
    .join(',\n');
  const recorded = recordedText('antminer-stock/s19-get_miner_conf-sleeping.json.txt');
  const tail = recorded
    .slice(recorded.indexOf('"api-listen"'))
    .replace(/"bitmain-work-mode" : "\d+"/, `"bitmain-work-mode" : "${m.mode === 'sleep' ? 1 : 0}"`);
  return `\n\n{\n"pools" : [\n${pools}\n]\n,\n${tail}`;
}

async function body(req: IncomingMessage): Promise<string> {
  let s = '';
  for await (const chunk of req) s += chunk;
  return s;
}

/** Not recorded: the reply shape pyasic accepts from set_miner_conf.cgi (`stats: success`). */
const OK = { stats: 'success', code: 'M000', msg: 'OK!' };
/** The largest image a simulated miner buffers. */
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024;

/**
 * Bitmain's web CGI (HTTP, Digest `root`/`root`): get_system_info, stats (new-style, with
 * `watt`; not on S9), get/set_miner_conf (pools, `miner-mode` 0 normal / 1 sleep), reboot.
 */
export async function antminerCgi(
  m: MinerModel,
  now: () => number,
  req: IncomingMessage,
  res: ServerResponse,
  changed: () => void,
): Promise<void> {
  if (!realm.verify(req.headers.authorization, req.method ?? 'GET', WEB_USER, m.webPassword)) {
    res.writeHead(401, { 'WWW-Authenticate': realm.challenge(), 'Content-Type': 'text/html' });
    res.end('<html><body>401 Unauthorized</body></html>');
    return;
  }
  const path = (req.url ?? '').split('?')[0];
  const json = (doc: unknown) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(doc));
  };
  switch (path) {
    case '/cgi-bin/get_system_info.cgi':
      return json(systemInfo(m));
    case '/cgi-bin/stats.cgi':
      if (isS9(m)) break;
      return json(stats(m, now()));
    case '/cgi-bin/get_miner_conf.cgi':
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(minerConf(m));
      return;
    case '/cgi-bin/set_miner_conf.cgi': {
      let conf: Doc;
      try {
        conf = JSON.parse(await body(req)) as Doc;
      } catch {
        res.writeHead(400).end('bad json');
        return;
      }
      const mode = conf['miner-mode'];
      if (mode !== undefined) m.mode = String(mode) === '1' ? 'sleep' : 'normal';
      if (Array.isArray(conf.pools) && conf.pools.length) {
        m.pools = (conf.pools as Doc[]).map((p) => ({
          url: String(p.url ?? ''),
          user: String(p.user ?? ''),
          password: String(p.pass ?? ''),
        }));
        m.activePool = 0;
      }
      return json(OK);
    }
    case '/cgi-bin/blink.cgi': {
      // X19/X21 take JSON {"blink":true|false}; X9/X17 a form field action=startBlink|stopBlink.
      const text = await body(req);
      let on: boolean;
      try {
        on = Boolean((JSON.parse(text) as Doc).blink === true || (JSON.parse(text) as Doc).blink === 'true');
      } catch {
        on = /action=startBlink/.test(text);
      }
      m.led = on;
      return json({ code: on ? 'B000' : 'B100' });
    }
    case '/cgi-bin/upgrade.cgi': {
      // The image as a multipart upload (the antminer-stock profile's upgrade); a wrong or
      // unreadable image is refused with 400 and the miner keeps its firmware.
      const bytes = await bodyBytes(req, MAX_IMAGE_BYTES);
      const file =
        bytes && parseMultipart(req.headers['content-type'], bytes)?.find((p) => p.fileName !== null);
      const verdict = file ? checkImage(m, file.data) : { ok: false as const, why: 'no file in the upload' };
      if (!verdict.ok) {
        res.writeHead(400, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ stats: 'error', msg: verdict.why }));
        return;
      }
      json(OK);
      m.flash(now(), verdict.version);
      changed();
      return;
    }
    case '/cgi-bin/reboot.cgi':
      json(OK);
      m.reboot(now());
      changed();
      return;
    default:
      break;
  }
  res.writeHead(404, { 'Content-Type': 'text/html' });
  res.end('<html><body>404 Not Found</body></html>');
}
