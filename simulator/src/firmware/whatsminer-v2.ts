import { wmV2Decrypt, wmV2Encrypt, wmV2Key, wmV2Sign } from '../crypto/whatsminer.js';
import type { MinerModel } from '../model/miner.js';
import { template } from '../templates.js';
import { fillPools, put, stamp, unix } from '../wire/cgminer.js';
import { writeJson } from '../wire/json-writer.js';
import type { Reply, RpcCall, RpcFirmware } from './types.js';

type Doc = Record<string, unknown>;
const description = (): string => 'btminer';
const mhs = (ths: number) => ths * 1e6;
const TOKEN_TTL_MS = 30 * 60_000;

/** `M30S+_VE40`: btminer's model string (devdetails Model, v3 miner.type). */
export const wmType = (m: MinerModel): string => `${m.model.model.replace(/^Whatsminer\s+/, '')}_VE40`;

function summary({ miner: m, now }: RpcCall): Doc {
  const doc = stamp(template('whatsminer/m31s-summary.json.txt'), now, description());
  const s = (doc.SUMMARY as Doc[])[0]!;
  const avg = m.averageThs(now);
  put(s, 'Elapsed', m.elapsedS(now));
  put(s, 'MHS av', mhs(avg), 2);
  put(s, 'MHS 5s', mhs(m.hashrateThs), 2);
  put(s, 'MHS 1m', mhs(m.hashrateThs), 2);
  put(s, 'MHS 5m', mhs(avg), 2);
  put(s, 'MHS 15m', mhs(avg), 2);
  put(s, 'HS RT', mhs(m.hashrateThs), 2);
  put(s, 'Accepted', m.accepted);
  put(s, 'Rejected', m.rejected);
  put(s, 'Hardware Errors', m.hardwareErrors);
  put(s, 'Total MH', (m.workDiff1 * 4294967296) / 1e6, 4);
  put(s, 'Difficulty Accepted', m.difficultyAccepted, 8);
  put(s, 'Difficulty Rejected', m.difficultyRejected, 8);
  put(s, 'Best Share', m.bestShare);
  put(s, 'Temperature', Math.max(...m.boardTempC), 2);
  put(s, 'Fan Speed In', m.fanRpm[0] ?? 0);
  put(s, 'Fan Speed Out', m.fanRpm[1] ?? 0);
  put(s, 'Power', Math.round(m.powerW));
  put(s, 'Power_RT', Math.round(m.powerW));
  put(s, 'Power Rate', m.hashrateThs > 0 ? m.powerW / m.hashrateThs : 0, 2);
  put(s, 'Uptime', m.uptimeS(now));
  put(s, 'Target MHS', Math.round(mhs(m.nominalThs) * 0.95));
  put(s, 'Env Temp', m.ambientC, 2);
  s['Firmware Version'] = `'${m.firmwareVersion}'`;
  s.MAC = m.mac;
  put(s, 'Factory GHS', Math.round(m.nominalThs * 1000));
  put(s, 'Power Limit', Math.round(m.powerLimitW));
  put(s, 'Chip Temp Min', Math.min(...m.chipTempC) - 8, 2);
  put(s, 'Chip Temp Max', Math.max(...m.chipTempC) + 6, 2);
  put(s, 'Chip Temp Avg', m.chipTempC.reduce((a, b) => a + b, 0) / m.chipTempC.length, 2);
  // A miner with nothing wrong reports no error codes; the recorded one had five.
  for (const k of Object.keys(s))
    if (/^(Factory )?Error (Code )?\d/.test(k) || /^Error \d+ Time$/.test(k)) delete s[k];
  put(s, 'Error Code Count', 0);
  put(s, 'Factory Error Code Count', 0);
  return doc;
}

function edevs({ miner: m, now }: RpcCall): Doc {
  const doc = stamp(template('whatsminer/m31s-edevs.json.txt'), now, description());
  const rows = doc.DEVS as Doc[];
  doc.DEVS = m.boardThs.map((ths, b) => {
    const row: Doc = { ...(rows[b] ?? rows[0]!) };
    for (const k of ['ASC', 'ID', 'Slot']) row[k] = b;
    put(row, 'Temperature', m.boardTempC[b]!, 2);
    put(row, 'Fan Speed In', m.fanRpm[0] ?? 0);
    put(row, 'Fan Speed Out', m.fanRpm[1] ?? 0);
    put(row, 'MHS av', mhs(m.averageThs(now) / m.model.boards), 2);
    for (const k of ['MHS 5s', 'MHS 1m', 'MHS 5m', 'MHS 15m']) put(row, k, mhs(ths), 2);
    put(row, 'Accepted', Math.floor(m.accepted / m.model.boards));
    put(row, 'Difficulty Accepted', Math.floor(m.accepted / m.model.boards) * m.poolDifficulty, 8);
    put(row, 'Device Elapsed', m.elapsedS(now));
    put(row, 'Effective Chips', m.chipsOn(b));
    put(row, 'Last Share Time', unix(m.lastShareMs));
    put(row, 'Last Valid Work', unix(now));
    row['PCB SN'] = `${m.serial.slice(0, 12)}K${String(b).padStart(2, '0')}`;
    put(row, 'Chip Temp Min', m.chipTempC[b]! - 8, 2);
    put(row, 'Chip Temp Max', m.chipTempC[b]! + 6, 2);
    put(row, 'Chip Temp Avg', m.chipTempC[b]!, 2);
    return row;
  });
  (doc.STATUS as Doc[])[0]!.Msg = `${m.model.boards} ASC(s)`;
  return doc;
}

function pools({ miner: m, now }: RpcCall): Doc {
  const doc = stamp(template('whatsminer/m31s-pools.json.txt'), now, description());
  // btminer numbers pools from 1 (fixture m3x-pools-api1.4.json).
  doc.POOLS = fillPools(doc.POOLS as Doc[], m, now, 1);
  (doc.STATUS as Doc[])[0]!.Msg = `${m.pools.length} Pool(s)`;
  return doc;
}

/** No recorded devdetails from btminer: cgminer's layout (api.c devdetail) with btminer's Model. */
function devdetails({ miner: m, now }: RpcCall): Doc {
  return {
    STATUS: [{ STATUS: 'S', When: unix(now), Code: 69, Msg: 'Device Details', Description: description() }],
    DEVDETAILS: m.boardThs.map((_, b) => ({
      DEVDETAILS: b,
      Name: 'SM',
      ID: b,
      Driver: 'bitmicro',
      Kernel: '',
      Model: wmType(m),
      'Device Path': '',
    })),
    id: 1,
  };
}

/** btminer-native reply: STATUS is a bare letter and Msg an object (fixture m3x-get_token.json). */
const native = (_m: MinerModel, now: number, code: number, msg: unknown, letter = 'S'): Doc => ({
  STATUS: letter,
  When: unix(now),
  Code: code,
  Msg: msg,
  Description: '',
});

type WmSession = { salt: string; signs: Map<string, number> };
function session(m: MinerModel): WmSession {
  let s = m.session.get('wm-v2') as WmSession | undefined;
  if (!s) {
    s = { salt: randomSalt(m), signs: new Map() };
    m.session.set('wm-v2', s);
  }
  return s;
}
const SALT_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const randomSalt = (m: MinerModel): string =>
  Array.from({ length: 8 }, () => SALT_CHARS[m.rng.int(62)]).join('');

const powerMode = (m: MinerModel, factor: number): undefined => {
  m.powerLimitW = m.model.nominalW * factor;
  return undefined;
};

/** Privileged btminer commands, run once the envelope and token check out. */
const privileged: Record<string, (m: MinerModel, now: number, req: Doc) => (() => void) | undefined> = {
  reboot: (m, now) => () => m.reboot(now),
  restart_btminer: (m, now) => () => m.restartDaemon(now),
  power_off: (m) => {
    m.mode = 'sleep';
    return undefined;
  },
  power_on: (m) => {
    m.mode = 'normal';
    return undefined;
  },
  set_led: (m, _now, req) => {
    m.led = req.param === 'auto' ? false : String(req.color ?? req.param ?? '') !== '';
    return undefined;
  },
  update_pools: (m, _now, req) => {
    const list = [1, 2, 3]
      .map((i) => ({
        url: String(req[`pool${i}`] ?? ''),
        user: String(req[`worker${i}`] ?? ''),
        password: String(req[`passwd${i}`] ?? ''),
      }))
      .filter((p) => p.url);
    if (list.length) {
      m.pools = list;
      m.activePool = 0;
    }
    return undefined;
  },
  adjust_power_limit: (m, now, req) => {
    const w = Number(req.power_limit);
    if (Number.isFinite(w) && w > 0) m.powerLimitW = w;
    // btminer restarts to apply a new power limit (docs/reference.md §7).
    return () => m.restartDaemon(now);
  },
  set_low_power: (m) => powerMode(m, 0.8),
  set_normal_power: (m) => powerMode(m, 1),
  set_high_power: (m) => powerMode(m, 1.1),
};

function nativeCall(call: RpcCall): Reply | null {
  const req = call.request;
  if (!req || typeof req.command === 'string') return null;
  const m = call.miner;
  const now = call.now;
  if ('enc' in req) return encrypted(call, req);
  // A cgminer read sent with `cmd` gets cgminer's Code 24 (fixture m31s-error-missing-command.json).
  if (typeof req.cmd === 'string' && req.cmd in READS) return null;
  switch (req.cmd) {
    case 'get_token': {
      const s = session(m);
      const time = String(unix(now) % 10000);
      const newsalt = randomSalt(m);
      s.signs.set(wmV2Sign(m.password, s.salt, time, newsalt), now + TOKEN_TTL_MS);
      return { doc: native(m, now, 134, { time, salt: s.salt, newsalt }) };
    }
    case 'get_version':
      return {
        doc: {
          Code: 131,
          Description: 'whatsminer v1.4.0',
          Msg: { api_ver: 'whatsminer v1.4.0', fw_ver: m.firmwareVersion },
          STATUS: 'S',
          When: unix(now),
        },
      };
    case 'status':
      return {
        doc: {
          Code: 131,
          Description: 'whatsminer v1.4.0',
          Msg: {
            'Firmware Version': `'${m.firmwareVersion}'`,
            btmineroff: m.mode === 'sleep' ? 'true' : 'false',
          },
          STATUS: 'S',
          When: unix(now),
        },
      };
    case 'get_miner_info':
      return {
        doc: native(m, now, 131, {
          ip: m.ip,
          proto: 'dhcp',
          netmask: '255.255.255.0',
          gateway: m.ip.replace(/\.\d+$/, '.1'),
          dns: m.ip.replace(/\.\d+$/, '.1'),
          hostname: m.hostname,
          mac: m.mac,
          ledstat: m.led ? 'manual' : 'auto',
          minersn: m.serial,
        }),
      };
    case undefined:
      return null;
    default:
      if (typeof req.cmd === 'string' && req.cmd in privileged) {
        return { doc: native(m, now, 45, 'Permission denied! Please use encrypted command.', 'E') };
      }
      return { doc: native(m, now, 14, 'invalid cmd', 'E') };
  }
}

function encrypted(call: RpcCall, req: Doc): Reply {
  const m = call.miner;
  const s = session(m);
  const key = wmV2Key(m.password, s.salt);
  const seal = (doc: Doc): Reply => ({ doc, wire: writeJson({ enc: wmV2Encrypt(key, writeJson(doc)) }) });
  let inner: Doc;
  try {
    inner = JSON.parse(wmV2Decrypt(key, String(req.data ?? ''))) as Doc;
  } catch {
    return { doc: native(m, call.now, 23, 'invalid json', 'E') };
  }
  const expires = s.signs.get(String(inner.token ?? ''));
  if (expires === undefined || expires < call.now)
    return seal(native(m, call.now, 135, 'check token err', 'E'));
  const run = privileged[String(inner.cmd)];
  if (!run) return seal(native(m, call.now, 14, 'invalid cmd', 'E'));
  const after = run(m, call.now, inner);
  return { ...seal(native(m, call.now, 131, 'API command OK')), after };
}

const READS: RpcFirmware['commands'] = {
  summary: (call) => ({ doc: summary(call) }),
  edevs: (call) => ({ doc: edevs(call) }),
  devs: (call) => ({ doc: edevs(call) }),
  pools: (call) => ({ doc: pools(call) }),
  devdetails: (call) => ({ doc: devdetails(call) }),
};

/** MicroBT btminer API v2 on 4028: cgminer read commands plus btminer's `cmd` and `enc` requests. */
export const whatsminerV2: RpcFirmware = {
  profile: 'whatsminer-v2',
  description,
  // btminer 2.x replies carry no NUL (foreman fixtures); the cgminer-4.9 based M3 did.
  nulTerminated: false,
  joinable: false,
  defaultApiAllow: 'W:0/0',
  privileged: new Set(),
  commands: READS,
  native: nativeCall,
};
