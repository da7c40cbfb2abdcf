import { template } from '../templates.js';
import { fillPools, put, stamp } from '../wire/cgminer.js';
import { CORE_PRIVILEGED, coreCommands } from './cgminer-core.js';
import type { RpcCall, RpcFirmware } from './types.js';

type Doc = Record<string, unknown>;
/** VNish 2.x runs Bitmain's cgminer 4.11.1 fork (fixture s17plus-*). */
const description = (): string => 'cgminer 4.11.1';
const gh = (ths: number) => ths * 1000;
const doc = (file: string, call: RpcCall): Doc => stamp(template(file), call.now, description());

function stats(call: RpcCall): Doc {
  const { miner: m, now } = call;
  const d = doc('vnish/s17plus-stats.json.txt', call);
  const [head, s] = d.STATS as [Doc, Doc];
  head.Type = `${m.model.model} (vnish ${m.firmwareVersion})`;
  put(s, 'Elapsed', m.elapsedS(now));
  put(s, 'GHS 5s', gh(m.hashrateThs), 2);
  put(s, 'GHS av', gh(m.averageThs(now)), 2);
  put(s, 'total_rate', gh(m.hashrateThs), 2);
  put(s, 'total_rateideal', gh(m.nominalThs), 2);
  put(s, 'fan_num', m.model.fans);
  for (let f = 1; f <= 4; f++) put(s, `fan${f}`, m.fanRpm[f - 1] ?? 0);
  s.build_version = m.firmwareVersion;
  s.state = m.mode === 'sleep' ? 'stopped' : 'mining';
  for (let c = 1; c <= 3; c++) {
    const b = c - 1;
    const t = Math.round(m.chipTempC[b] ?? 0);
    const pcb = Math.round(m.boardTempC[b] ?? 0);
    put(s, `temp${c}`, pcb);
    put(s, `temp2_${c}`, t);
    put(s, `temp3_${c}`, t);
    s[`temp_pcb${c}`] = `${pcb - 10}-${pcb}-${pcb - 14}-${pcb - 5}`;
    s[`temp_chip${c}`] = `${t - 6}-${t}-${t - 10}-${t - 6}`;
    put(s, `chain_acn${c}`, m.chipsOn(b));
    // VNish prints chain_rate as a number where Bitmain prints a string (docs/reference.md §5).
    put(s, `chain_rate${c}`, gh(m.boardThs[b] ?? 0), 2);
    put(s, `chain_rateideal${c}`, gh(m.nominalThs / m.model.boards), 2);
    put(s, `chain_consumption${c}`, Math.round((m.powerW - 60) / m.model.boards));
  }
  return d;
}

/** No recorded VNish summary: Bitmain's bmminer summary layout, which VNish keeps (docs/reference.md §5). */
function summary(call: RpcCall): Doc {
  const { miner: m, now } = call;
  const d = doc('antminer-stock/s19pro-summary-2022fw.json.txt', call);
  const s = (d.SUMMARY as Doc[])[0]!;
  put(s, 'Elapsed', m.elapsedS(now));
  put(s, 'GHS 5s', gh(m.hashrateThs), 2);
  put(s, 'GHS av', gh(m.averageThs(now)), 2);
  put(s, 'GHS 30m', gh(m.averageThs(now)), 2);
  put(s, 'Accepted', m.accepted);
  put(s, 'Rejected', m.rejected);
  put(s, 'Hardware Errors', m.hardwareErrors);
  put(s, 'Difficulty Accepted', m.difficultyAccepted, 8);
  put(s, 'Difficulty Rejected', m.difficultyRejected, 8);
  put(s, 'Best Share', m.bestShare);
  return d;
}

function pools(call: RpcCall): Doc {
  const d = doc('vnish/s17plus-pools.json.txt', call);
  d.POOLS = fillPools(d.POOLS as Doc[], call.miner, call.now);
  (d.STATUS as Doc[])[0]!.Msg = `${call.miner.pools.length} Pool(s)`;
  return d;
}

/** VNish names itself in VERSION[0].Type (fixture vnish/s9-version.json, VNish 3.8.6). */
function version(call: RpcCall): Doc {
  const d = doc('vnish/s9-version.json.txt', call);
  Object.assign((d.VERSION as Doc[])[0]!, {
    Type: `${call.miner.model.model} (vnish ${call.miner.firmwareVersion})`,
  });
  return d;
}

/** VNish RPC part on 4028 (its web API on 80 is not simulated). */
export const vnish: RpcFirmware = {
  profile: 'vnish',
  description,
  nulTerminated: true,
  joinable: true,
  defaultApiAllow: 'W:0/0',
  privileged: new Set(CORE_PRIVILEGED),
  commands: {
    ...coreCommands(description),
    summary: (call) => ({ doc: summary(call) }),
    stats: (call) => ({ doc: stats(call) }),
    pools: (call) => ({ doc: pools(call) }),
    version: (call) => ({ doc: version(call) }),
  },
};
