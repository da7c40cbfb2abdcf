import type { MinerModel, PoolConfig } from '../model/miner.js';
import { template } from '../templates.js';
import { fillPools, put, stamp, statusOnly, unix } from '../wire/cgminer.js';
import { CORE_PRIVILEGED, coreCommands } from './cgminer-core.js';
import type { Reply, RpcCall, RpcFirmware } from './types.js';

type Doc = Record<string, unknown>;
const description = (): string => 'cgminer 4.11.1';
const mhs = (ths: number) => ths * 1e6;
const ghs = (ths: number) => ths * 1e3;
const doc = (file: string, call: RpcCall): Doc => stamp(template(file), call.now, description());
/** `15-194` style model number from the model table name (`Avalon A1566` -> `1566`). */
const modelNo = (m: MinerModel) => m.model.model.replace(/^\D+/, '');

/**
 * The recorded `MM ID0` string split once into `KEY[value]` tokens; a reply swaps the values it
 * simulates and joins them back with the recorded separators.
 */
let mmTokens: { key: string; value: string; sep: string }[] | null = null;
function recordedTokens(mm: string): { key: string; value: string; sep: string }[] {
  if (!mmTokens) {
    mmTokens = [...mm.matchAll(/(\s*)(\w+)\[([^\]]*)\]/g)].map((t) => ({
      sep: t[1]!,
      key: t[2]!,
      value: t[3]!,
    }));
  }
  return mmTokens;
}

/** Avalon's estats: one `MM ID0` string of `KEY[v v v]` tokens (fixture a1566-estats.json). */
function estats(call: RpcCall): Doc {
  const { miner: m, now } = call;
  const d = doc('avalon/a1566-estats.json.txt', call);
  const s = (d.STATS as Doc[])[0]!;
  put(s, 'Elapsed', m.elapsedS(now));
  const tokens = recordedTokens(String(s['MM ID0']));
  const hashing = m.hashing(now);
  const round = (v: number) => String(Math.round(v));
  const boards = m.boardThs.map((_, b) => b);
  const values: Record<string, string> = {
    Ver: `${modelNo(m)}-${m.firmwareVersion}`,
    SYSTEMSTATU: `Work: ${hashing ? 'In Work' : 'In Idle'}, Hash Board: ${boards.filter((b) => m.chipsOn(b) > 0).length} `,
    Elapsed: String(m.elapsedS(now)),
    Temp: round(m.ambientC),
    TMax: round(Math.max(...m.chipTempC) + 6),
    TAvg: round(m.chipTempC.reduce((a, b) => a + b, 0) / m.chipTempC.length),
    Fan1: String(m.fanRpm[0] ?? 0),
    Fan2: String(m.fanRpm[1] ?? 0),
    FanR: `${Math.round(m.fanPct)}%`,
    PS: `0 1209 1187 297 ${Math.round(m.powerW * 0.94)} 1188 ${Math.round(m.powerW)}`,
    WALLPOWER: round(m.powerW),
    GHSspd: ghs(m.hashrateThs).toFixed(2),
    GHSmm: ghs(m.nominalThs).toFixed(2),
    GHSavg: ghs(m.averageThs(now)).toFixed(2),
    Led: m.led ? '1' : '0',
    MGHS: boards.map((b) => ghs(m.boardThs[b]!).toFixed(2)).join(' '),
    MTmax: boards.map((b) => round(m.chipTempC[b]! + 6)).join(' '),
    MTavg: boards.map((b) => round(m.chipTempC[b]!)).join(' '),
    SoftOFF: m.mode === 'sleep' ? '1' : '0',
    ECHU: boards.map((b) => (m.chipsOn(b) > 0 ? '0' : '512')).join(' '),
    MPO: round(m.powerLimitW),
  };
  s['MM ID0'] = tokens.map((t) => `${t.sep}${t.key}[${values[t.key] ?? t.value}]`).join('');
  return d;
}

function summary(call: RpcCall): Doc {
  const { miner: m, now } = call;
  const d = doc('avalon/q-summary.json.txt', call);
  const s = (d.SUMMARY as Doc[])[0]!;
  const avg = mhs(m.averageThs(now));
  put(s, 'Elapsed', m.elapsedS(now));
  put(s, 'MHS av', avg, 2);
  put(s, 'MHS 5s', mhs(m.hashrateThs), 2);
  put(s, 'MHS 1m', mhs(m.hashrateThs), 2);
  put(s, 'MHS 5m', avg, 2);
  put(s, 'MHS 15m', avg, 2);
  put(s, 'Accepted', m.accepted);
  put(s, 'Rejected', m.rejected);
  put(s, 'Hardware Errors', m.hardwareErrors);
  put(s, 'Total MH', (m.workDiff1 * 4294967296) / 1e6, 4);
  put(s, 'Difficulty Accepted', m.difficultyAccepted, 8);
  put(s, 'Difficulty Rejected', m.difficultyRejected, 8);
  put(s, 'Best Share', m.bestShare);
  return d;
}

function devs(call: RpcCall): Doc {
  const { miner: m, now } = call;
  const d = doc('avalon/a1566-devs.json.txt', call);
  const row = (d.DEVS as Doc[])[0]!;
  put(row, 'MHS av', mhs(m.averageThs(now)), 2);
  for (const k of ['MHS 30s', 'MHS 1m']) put(row, k, mhs(m.hashrateThs), 2);
  for (const k of ['MHS 5m', 'MHS 15m']) put(row, k, mhs(m.averageThs(now)), 2);
  put(row, 'Accepted', m.accepted);
  put(row, 'Rejected', m.rejected);
  put(row, 'Difficulty Accepted', m.difficultyAccepted, 8);
  put(row, 'Difficulty Rejected', m.difficultyRejected, 8);
  put(row, 'Last Share Difficulty', m.poolDifficulty, 8);
  put(row, 'Last Share Time', m.elapsedS(now));
  put(row, 'Last Valid Work', m.elapsedS(now));
  put(row, 'Device Elapsed', m.elapsedS(now));
  return d;
}

function version(call: RpcCall): Doc {
  const m = call.miner;
  const d = doc('avalon/a1566-version.json.txt', call);
  const v = (d.VERSION as Doc[])[0]!;
  Object.assign(v, {
    PROD: `AvalonMiner ${modelNo(m)}`,
    MODEL: modelNo(m),
    VERSION: m.firmwareVersion,
    MAC: m.mac.replace(/:/g, '').toLowerCase(),
  });
  return d;
}

function pools(call: RpcCall): Doc {
  const d = doc('avalon/a1566-pools.json.txt', call);
  d.POOLS = fillPools(d.POOLS as Doc[], call.miner, call.now);
  (d.STATUS as Doc[])[0]!.Msg = `${call.miner.pools.length} Pool(s)`;
  return d;
}

/** `ascset|0,<option>,<value>` (CA manual §2): reboot, led, workmode, softoff/softon, hashpower. */
function ascset(call: RpcCall): Reply {
  const m = call.miner;
  const [dev, option, ...rest] = (call.parameter ?? '').split(',');
  const value = rest.join(',');
  const ok = (msg = 'ASC 0 set OK') => statusOnly('S', 119, msg, call.now, description());
  const info = (msg: string) => statusOnly('I', 118, `ASC 0 set info: ${msg}`, call.now, description());
  if (dev !== '0')
    return { doc: statusOnly('E', 107, `Invalid ASC id ${dev ?? ''}`, call.now, description()) };
  switch (option) {
    case 'reboot': {
      const pending = m.session.get('avalon-setpool') as PoolConfig | undefined;
      return {
        doc: ok(),
        after: () => {
          // setpool is written to flash and read at boot (CA manual §2.5).
          if (pending) m.setPool(0, pending);
          m.session.delete('avalon-setpool');
          m.reboot(call.now);
        },
      };
    }
    case 'setpool': {
      // ascset|0,setpool,<web user>,<web password>,<url>,<worker>,<worker password>
      const [webUser, webPassword, url, worker, workerPassword] = rest;
      if (webUser !== 'root' || webPassword !== m.webPassword)
        return { doc: statusOnly('E', 118, 'ASC 0 set info: auth failed', call.now, description()) };
      if (!url || !worker)
        return { doc: statusOnly('E', 118, 'ASC 0 set info: invalid setpool', call.now, description()) };
      m.session.set('avalon-setpool', { url, user: worker, password: workerPassword ?? '' });
      // Recorded reply (a1047-ascset-setpool.txt): an informational status whose Msg holds raw newlines.
      return {
        doc: info(
          `\npool success set to ${url}\nworker is ${worker}\nworkerpassword is ${workerPassword ?? ''}\nPlease reboot miner to make config work.`,
        ),
      };
    }
    case 'led':
      if (value.endsWith('-255')) return { doc: info(`led[${m.led ? 1 : 0}]`) };
      m.led = value.endsWith('-1');
      return { doc: ok() };
    case 'workmode':
      if (value === '255') return { doc: info(`workmode[${m.powerLimitW < m.model.nominalW ? 0 : 1}]`) };
      // Takes effect after a reboot on the real unit (CA §2.4); the simulator applies it at once.
      m.powerLimitW = value === '0' ? m.model.nominalW * 0.85 : m.model.nominalW;
      return { doc: ok() };
    case 'softoff':
      m.mode = 'sleep';
      return { doc: info(`success softoff:${value.split(':')[1] ?? unix(call.now)}`) };
    case 'softon':
      m.mode = 'normal';
      return { doc: info(`success softon:${value.split(':')[1] ?? unix(call.now)}`) };
    case 'hashpower':
      if (value === '0') m.mode = 'sleep';
      return { doc: info(`PS[0 1209 1187 297 ${Math.round(m.powerW)} 1188]`) };
    default:
      return { doc: statusOnly('E', 14, 'Invalid command', call.now, description()) };
  }
}

/** Canaan Avalon (cgminer 4.11.1 fork) on 4028: estats `MM ID0`, ascset controls, joins. */
export const avalon: RpcFirmware = {
  profile: 'avalon',
  description,
  nulTerminated: true,
  joinable: true,
  defaultApiAllow: 'W:0/0',
  privileged: new Set([...CORE_PRIVILEGED, 'ascset']),
  commands: {
    ...coreCommands(description),
    summary: (call) => ({ doc: summary(call) }),
    devs: (call) => ({ doc: devs(call) }),
    estats: (call) => ({ doc: estats(call) }),
    stats: (call) => ({ doc: estats(call) }),
    version: (call) => ({ doc: version(call) }),
    pools: (call) => ({ doc: pools(call) }),
    ascset,
  },
};
