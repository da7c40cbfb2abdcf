import { template } from '../templates.js';
import { fillPools, put, stamp } from '../wire/cgminer.js';
import { CORE_PRIVILEGED, coreCommands } from './cgminer-core.js';
import type { RpcCall, RpcFirmware } from './types.js';

type Doc = Record<string, unknown>;
const description = (): string => 'cgminer 4.11.1';
const mhs = (ths: number) => ths * 1e6;
const doc = (file: string, call: RpcCall): Doc => stamp(template(file), call.now, description());

/** Upstream cgminer 4.11.1 reports: the recorded Avalon replies are cgminer's own layout. */
function summary(call: RpcCall): Doc {
  const { miner: m, now } = call;
  const d = doc('avalon/q-summary.json.txt', call);
  const s = (d.SUMMARY as Doc[])[0]!;
  const avg = mhs(m.averageThs(now));
  put(s, 'Elapsed', m.elapsedS(now));
  put(s, 'MHS av', avg, 2);
  for (const k of ['MHS 5s', 'MHS 1m']) put(s, k, mhs(m.hashrateThs), 2);
  for (const k of ['MHS 5m', 'MHS 15m']) put(s, k, avg, 2);
  put(s, 'Accepted', m.accepted);
  put(s, 'Rejected', m.rejected);
  put(s, 'Hardware Errors', m.hardwareErrors);
  put(s, 'Difficulty Accepted', m.difficultyAccepted, 8);
  put(s, 'Difficulty Rejected', m.difficultyRejected, 8);
  put(s, 'Best Share', m.bestShare);
  return d;
}

function devs(call: RpcCall): Doc {
  const { miner: m, now } = call;
  const d = doc('avalon/a1566-devs.json.txt', call);
  const recorded = (d.DEVS as Doc[])[0]!;
  d.DEVS = m.boardThs.map((ths, b) => {
    const row: Doc = { ...recorded, ASC: b, ID: b, Status: m.chipsOn(b) > 0 ? 'Alive' : 'Dead' };
    put(row, 'Temperature', m.boardTempC[b]!, 2);
    put(row, 'MHS av', mhs(m.averageThs(now) / m.model.boards), 2);
    for (const k of ['MHS 30s', 'MHS 1m', 'MHS 5m', 'MHS 15m']) put(row, k, mhs(ths), 2);
    put(row, 'Accepted', Math.floor(m.accepted / m.model.boards));
    put(row, 'Difficulty Accepted', Math.floor(m.accepted / m.model.boards) * m.poolDifficulty, 8);
    put(row, 'Device Elapsed', m.elapsedS(now));
    return row;
  });
  (d.STATUS as Doc[])[0]!.Msg = `${m.model.boards} ASC(s)`;
  return d;
}

function pools(call: RpcCall): Doc {
  const d = doc('avalon/a1566-pools.json.txt', call);
  d.POOLS = fillPools(d.POOLS as Doc[], call.miner, call.now);
  (d.STATUS as Doc[])[0]!.Msg = `${call.miner.pools.length} Pool(s)`;
  return d;
}

/** Plain cgminer's `version` is just CGMiner + API (same as the vnish/s17plus-version.json capture). */
const version = (call: RpcCall): Doc => doc('vnish/s17plus-version.json.txt', call);

/** Upstream cgminer: reads, privileged pool/process commands, access via --api-allow. */
export const cgminer: RpcFirmware = {
  profile: 'cgminer',
  description,
  nulTerminated: true,
  joinable: true,
  // A farm runs cgminer with --api-listen --api-allow W:<management net>; tests narrow it.
  defaultApiAllow: 'W:0/0',
  privileged: new Set(CORE_PRIVILEGED),
  commands: {
    ...coreCommands(description),
    summary: (call) => ({ doc: summary(call) }),
    devs: (call) => ({ doc: devs(call) }),
    pools: (call) => ({ doc: pools(call) }),
    version: (call) => ({ doc: version(call) }),
  },
};
