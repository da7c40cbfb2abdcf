import type { Socket } from 'node:net';
import { wmV3DecryptParam, wmV3Token } from '../crypto/whatsminer.js';
import type { MinerModel } from '../model/miner.js';
import { template } from '../templates.js';
import { unix } from '../wire/cgminer.js';
import { writeJson } from '../wire/json-writer.js';
import { type ConnectionFaults, type Delivery, deliver } from '../wire/serve.js';
import { wmType } from './whatsminer-v2.js';

type Doc = Record<string, unknown>;
export type WmV3Outcome = { body: Buffer; after?: () => void };

const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;

/** Frames a JSON body as Whatsminer API v3 does: uint32 little-endian length, then UTF-8. */
export function frame(json: string): Buffer {
  const body = Buffer.from(json, 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length, 0);
  return Buffer.concat([head, body]);
}

const reply = (cmd: string, code: number, msg: unknown, now: number): Doc => ({
  code,
  desc: cmd,
  msg,
  when: unix(now),
});

function salt(m: MinerModel): string {
  let s = m.session.get('wm-v3-salt') as string | undefined;
  if (!s) {
    s = Array.from(
      { length: 8 },
      () => 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'[m.rng.int(56)],
    ).join('');
    m.session.set('wm-v3-salt', s);
  }
  return s;
}

function deviceInfo(m: MinerModel, now: number): Doc {
  const doc = template('whatsminer/m60s-get.device.info-api3.json.txt');
  const msg = doc.msg as Record<string, Doc>;
  const miner = msg.miner!;
  miner['board-num'] = String(m.model.boards);
  miner.type = wmType(m);
  miner['miner-sn'] = m.serial;
  miner['detect-hash-rate'] = m.boardThs
    .map((_, _b) => String(Math.round((m.nominalThs / m.model.boards) * 1000)))
    .join(':');
  for (const k of Object.keys(miner)) if (/^(pcbsn|chipdata)\d+$/.test(k)) delete miner[k];
  for (let b = 0; b < m.model.boards; b++) {
    miner[`chipdata${b}`] = 'K8EC374-2426 BINVE6-197806A';
    miner[`pcbsn${b}`] = `${m.serial.slice(0, 12)}K${String(b).padStart(2, '0')}`;
  }
  miner.working = m.mode === 'normal' ? 'true' : 'false';
  // The recorded reply has its keys sorted; per-board keys added here are put back in that order.
  msg.miner = Object.fromEntries(Object.entries(miner).sort(([a], [b]) => (a < b ? -1 : 1)));
  Object.assign(msg.network!, {
    ip: m.ip,
    mac: m.mac,
    hostname: m.hostname,
    gateway: m.ip.replace(/\.\d+$/, '.1'),
    dns: m.ip.replace(/\.\d+$/, '.1'),
  });
  msg.power!.fanspeed = m.poweredOn ? 6300 : 0;
  (doc.msg as Doc).salt = salt(m);
  Object.assign(msg.system!, { fwversion: m.firmwareVersion, ledstatus: m.led ? 'manual' : 'auto' });
  doc.when = unix(now);
  return doc;
}

function summary(m: MinerModel, now: number): Doc {
  const s = (template('whatsminer/m60s-get.miner.status-summary-api3.json.txt').msg as Doc).summary as Doc;
  const chip = m.chipTempC;
  Object.assign(s, {
    'board-temperature': m.boardTempC.map((t) => round(t, 1)),
    'bootup-time': m.uptimeS(now),
    'chip-temp-avg': round(chip.reduce((a, b) => a + b, 0) / chip.length, 1),
    'chip-temp-max': round(Math.max(...chip) + 6, 1),
    'chip-temp-min': round(Math.min(...chip) - 8, 1),
    elapsed: m.elapsedS(now),
    'environment-temperature': round(m.ambientC, 1),
    'factory-hash': round(m.nominalThs, 3),
    'fan-speed-in': m.fanRpm[0] ?? 0,
    'fan-speed-out': m.fanRpm[1] ?? 0,
    'hash-15min': round(m.averageThs(now), 3),
    'hash-1min': round(m.hashrateThs, 3),
    'hash-average': round(m.averageThs(now), 3),
    'hash-realtime': round(m.hashrateThs, 3),
    'power-5min': round(m.powerW, 1),
    'power-limit': Math.round(m.powerLimitW),
    'power-rate': m.hashrateThs > 0 ? round(m.powerW / m.hashrateThs, 1) : 0,
    'power-realtime': round(m.powerW, 1),
  });
  return s;
}

function edevs(m: MinerModel, now: number): Doc[] {
  const rows = (template('whatsminer/m60s-get.miner.status-edevs-api3.json.txt').msg as Doc).edevs as Doc[];
  return m.boardThs.map((ths, b) => ({
    ...(rows[b] ?? rows[0]!),
    'chip-temp-avg': round(m.chipTempC[b]!, 1),
    'chip-temp-max': round(m.chipTempC[b]! + 6, 1),
    'chip-temp-min': round(m.chipTempC[b]! - 8, 1),
    'effective-chips': m.chipsOn(b),
    'factory-hash': round(m.nominalThs / m.model.boards, 2),
    'hash-average': round(m.averageThs(now) / m.model.boards, 2),
    'hash-realtime': round(ths, 2),
    id: b,
    status: m.chipsOn(b) > 0 ? 'alive' : 'dead',
  }));
}

/** No recorded v3 pools reply: the fields WD and pyasic read (docs/reference.md §3), nothing more. */
function pools(m: MinerModel, now: number): Doc[] {
  return m.pools.map((p, i) => ({
    id: i + 1,
    url: p.url,
    account: p.user,
    status: p.url ? 'alive' : 'dead',
    'stratum-active': i === m.activePool,
    accepted: i === m.activePool ? m.accepted : 0,
    rejected: i === m.activePool ? m.rejected : 0,
    'last-share-time': i === m.activePool ? unix(m.lastShareMs) : 0,
    'connect-time': unix(now) - m.elapsedS(now),
  }));
}

type Setter = (m: MinerModel, now: number, param: unknown, req: Doc) => (() => void) | undefined;
const setters: Record<string, Setter> = {
  'set.system.reboot': (m, now) => () => m.reboot(now),
  'set.miner.service': (m, now, param) => {
    if (param === 'restart') return () => m.restartDaemon(now);
    if (param === 'stop') m.mode = 'sleep';
    if (param === 'start') m.mode = 'normal';
    return undefined;
  },
  'set.miner.power_limit': (m, now, param) => {
    const w = Number(param);
    if (Number.isFinite(w) && w > 0) m.powerLimitW = w;
    return () => m.restartDaemon(now);
  },
  'set.miner.power': (m, _now, param) => {
    const w = Number(param);
    if (Number.isFinite(w) && w > 0) m.powerLimitW = w;
    return undefined;
  },
  'set.miner.power_mode': (m, _now, param) => {
    const factor = { low: 0.8, normal: 1, high: 1.1 }[String(param)] ?? 1;
    m.powerLimitW = m.model.nominalW * factor;
    return undefined;
  },
  'set.system.led': (m, _now, param) => {
    m.led = param !== 'auto';
    return undefined;
  },
  'set.miner.pools': (m, _now, param, req) => {
    // The pool list arrives AES-encrypted (docs/reference.md §3); plain arrays are accepted too.
    let list: unknown = param;
    if (typeof param === 'string')
      list = JSON.parse(wmV3DecryptParam(String(req.cmd), m.password, salt(m), Number(req.ts), param));
    if (Array.isArray(list) && list.length) {
      m.pools = list.map((p: Doc) => ({
        url: String(p.pool ?? p.url ?? ''),
        user: String(p.worker ?? p.user ?? ''),
        password: String(p.passwd ?? ''),
      }));
      m.activePool = 0;
    }
    return undefined;
  },
};

/** Answers one v3 JSON request (get.* freely, set.* with the per-command token). */
export function answerWmV3(m: MinerModel, body: Buffer, now: number): WmV3Outcome {
  const out = (doc: Doc, after?: () => void): WmV3Outcome => ({ body: frame(writeJson(doc)), after });
  let req: Doc;
  try {
    req = JSON.parse(body.toString('utf8')) as Doc;
  } catch {
    return out(reply('', -3, 'invalid json', now));
  }
  const cmd = String(req.cmd ?? '');
  if (cmd === 'get.device.info') return out(deviceInfo(m, now));
  if (cmd === 'get.miner.status') {
    const parts = String(req.param ?? 'summary').split('+');
    const msg: Doc = {};
    for (const p of parts) {
      if (p === 'summary') msg.summary = summary(m, now);
      else if (p === 'edevs') msg.edevs = edevs(m, now);
      else if (p === 'pools') msg.pools = pools(m, now);
      else return out(reply(cmd, -3, `invalid param ${p}`, now));
    }
    return out(reply(cmd, 0, msg, now));
  }
  const setter = setters[cmd];
  if (!setter) return out(reply(cmd, -2, 'invalid command', now));
  const ts = Number(req.ts);
  if (req.account !== 'super' || req.token !== wmV3Token(cmd, m.password, salt(m), ts)) {
    return out(reply(cmd, -4, 'permission denied', now));
  }
  try {
    const after = setter(m, now, req.param, req);
    return out(reply(cmd, 0, 'ok', now), after);
  } catch {
    return out(reply(cmd, -3, 'invalid param', now));
  }
}

/** A v3 connection: length-prefixed frames both ways, several requests per connection. */
export function serveFramed(
  socket: Socket,
  d: Delivery,
  answer: (frame: Buffer) => Buffer,
  faults: () => ConnectionFaults,
): void {
  d.track(socket);
  socket.setNoDelay(true);
  let buf = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 4) {
      const len = buf.readUInt32LE(0);
      if (len > 1_000_000) {
        socket.destroy();
        return;
      }
      if (buf.length < 4 + len) break;
      const body = buf.subarray(4, 4 + len);
      buf = buf.subarray(4 + len);
      // A zero-length frame is the heartbeat; it is answered in kind.
      deliver(socket, len === 0 ? Buffer.alloc(4) : answer(body), faults(), d, false);
    }
  });
  socket.on('error', () => socket.destroy());
}
