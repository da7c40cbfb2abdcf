import type { MinerModel } from '../model/miner.js';
import { template } from '../templates.js';
import { acs, fillPools, put, stamp, unix } from '../wire/cgminer.js';
import { glued, writeJson } from '../wire/json-writer.js';
import { CORE_PRIVILEGED, coreCommands } from './cgminer-core.js';
import type { RpcCall, RpcFirmware } from './types.js';

type Doc = Record<string, unknown>;

/** S9-generation units number their chains 6..8 and run bmminer 2.0 (fixture s9-stats-bad-temps.txt). */
const isS9 = (m: MinerModel): boolean => /^Antminer S9/.test(m.model.model);
const description = (m: MinerModel): string => (isS9(m) ? 'bmminer 1.0.0' : 'cgminer 1.0.0');
const chainIndexes = (m: MinerModel): number[] =>
  isS9(m) ? [6, 7, 8] : Array.from({ length: m.model.boards }, (_, i) => i + 1);
const mhs = (ths: number) => ths * 1000;

function summary({ miner: m, now }: RpcCall): Doc {
  const doc = stamp(template('antminer-stock/s19pro-summary-2022fw.json.txt'), now, description(m));
  const s = (doc.SUMMARY as Doc[])[0]!;
  put(s, 'Elapsed', m.elapsedS(now));
  put(s, 'GHS 5s', mhs(m.hashrateThs), 2);
  put(s, 'GHS av', mhs(m.averageThs(now)), 2);
  put(s, 'GHS 30m', mhs(m.averageThs(now)), 2);
  put(s, 'Accepted', m.accepted);
  put(s, 'Rejected', m.rejected);
  put(s, 'Hardware Errors', m.hardwareErrors);
  put(s, 'Difficulty Accepted', m.difficultyAccepted, 8);
  put(s, 'Difficulty Rejected', m.difficultyRejected, 8);
  put(s, 'Best Share', m.bestShare);
  put(s, 'Total MH', (m.workDiff1 * 4294967296) / 1e6, 4);
  put(s, 'Last getwork', unix(now));
  return doc;
}

function version({ miner: m, now }: RpcCall): Doc {
  const file = isS9(m)
    ? 'antminer-stock/s9-version.json.txt'
    : 'antminer-stock/s19pro-version-2022fw.json.txt';
  const doc = stamp(template(file), now, description(m));
  const v = (doc.VERSION as Doc[])[0]!;
  v.Miner = m.firmwareVersion;
  v.Type = m.model.model;
  return doc;
}

function statsS9(m: MinerModel, now: number): Doc {
  const doc = stamp(template('antminer-stock/s9-stats-bad-temps.txt'), now, description(m));
  const [head, s] = doc.STATS as [Doc, Doc];
  head.Miner = m.firmwareVersion;
  head.Type = m.model.model;
  put(s, 'Elapsed', m.elapsedS(now));
  put(s, 'GHS 5s', mhs(m.hashrateThs), 2);
  put(s, 'GHS av', mhs(m.averageThs(now)), 2);
  put(s, 'total_rate', mhs(m.hashrateThs), 2);
  put(s, 'total_rateideal', mhs(m.nominalThs), 2);
  put(
    s,
    'total_acn',
    chainIndexes(m).reduce((n, _, b) => n + m.chipsOn(b), 0),
  );
  put(s, 'fan5', m.fanRpm[0] ?? 0);
  put(s, 'fan6', m.fanRpm[1] ?? 0);
  put(s, 'temp2_7', 0);
  let hottest = 0;
  chainIndexes(m).forEach((c, b) => {
    const chips = m.chipsOn(b);
    const chip = Math.round(m.chipTempC[b]!);
    hottest = Math.max(hottest, chip);
    put(s, `temp${c}`, Math.round(m.boardTempC[b]!));
    put(s, `temp2_${c}`, chip);
    put(s, `chain_rate${c}`, mhs(m.boardThs[b]!), 2);
    put(s, `chain_rateideal${c}`, mhs(m.nominalThs / m.model.boards), 2);
    put(s, `chain_acn${c}`, chips);
    s[`chain_acs${c}`] = acs(chips, 8, true);
    put(s, `chain_hw${c}`, Math.floor(m.hardwareErrors / 3));
  });
  put(s, 'temp_max', hottest);
  // bmminer writes the STATS array without a comma between its two objects (fixture above).
  doc.STATS = glued([head, s]);
  return doc;
}

function statsModern(m: MinerModel, now: number): Doc {
  const doc = stamp(template('antminer-stock/s19pro-stats-2022fw.json.txt'), now, description(m));
  const [head, s] = doc.STATS as [Doc, Doc];
  head.Miner = m.firmwareVersion;
  head.Type = m.model.model;
  put(s, 'Elapsed', m.elapsedS(now));
  put(s, 'GHS 5s', mhs(m.hashrateThs), 2);
  put(s, 'GHS av', mhs(m.averageThs(now)), 2);
  put(s, 'rate_30m', mhs(m.averageThs(now)), 2);
  put(s, 'total rate', mhs(m.hashrateThs), 2);
  put(s, 'total_rateideal', mhs(m.nominalThs), 2);
  put(s, 'fan_num', m.model.fans);
  for (let f = 0; f < 4; f++) put(s, `fan${f + 1}`, m.fanRpm[f] ?? 0);
  put(s, 'miner_count', m.model.boards);
  s.miner_version = m.firmwareVersion;
  let total = 0;
  for (let c = 1; c <= 4; c++) {
    const b = c - 1;
    const present = b < m.model.boards;
    const chips = present ? m.chipsOn(b) : 0;
    total += chips;
    const pcb = present ? Math.round(m.boardTempC[b]!) : 0;
    const chip = present ? Math.round(m.chipTempC[b]!) : 0;
    const four = (t: number) =>
      t ? [t, t - 25, t - 8, t - 7].map((x) => Math.max(0, Math.round(x))).join('-') : '0-0-0-0';
    if (c <= 3) {
      put(s, `temp${c}`, pcb);
      put(s, `temp2_${c}`, chip);
    }
    s[`temp_pcb${c}`] = four(pcb);
    s[`temp_chip${c}`] = four(chip);
    s[`temp_pic${c}`] = four(pcb ? pcb - 10 : 0);
    put(s, `chain_acn${c}`, chips);
    s[`chain_acs${c}`] = present ? acs(chips, 3, true) : '';
    put(s, `chain_hw${c}`, present ? Math.floor(m.hardwareErrors / m.model.boards) : 0);
    s[`chain_rate${c}`] = present ? mhs(m.boardThs[b]!).toFixed(2) : '';
    put(s, `freq${c}`, present ? 525 : 0);
  }
  put(s, 'total_acn', total);
  return doc;
}

function pools({ miner: m, now }: RpcCall): Doc {
  const file = isS9(m)
    ? 'antminer-stock/s9-pools-bad-temps.json.txt'
    : 'antminer-stock/s19pro-pools-2022fw.json.txt';
  const doc = stamp(template(file), now, description(m));
  doc.POOLS = fillPools(doc.POOLS as Doc[], m, now);
  (doc.STATUS as Doc[])[0]!.Msg = `${m.pools.length} Pool(s)`;
  return doc;
}

/** Stock bmminer has devdetails, but the shipped api-groups never let the LAN reach it (Code 45). */
function devdetails({ miner: m, now }: RpcCall): Doc {
  return {
    STATUS: [{ STATUS: 'S', When: unix(now), Code: 69, Msg: 'Device Details', Description: description(m) }],
    DEVDETAILS: chainIndexes(m).map((c, b) => ({
      DEVDETAILS: b,
      Name: 'BTM',
      ID: c,
      Driver: 'bitmain',
      Kernel: '',
      Model: m.model.model,
      Chips: m.chipsOn(b),
    })),
    id: 1,
  };
}

/** Bitmain stock firmware (bmminer / Bitmain cgminer fork) on 4028. */
export const antminerStock: RpcFirmware = {
  profile: 'antminer-stock',
  description,
  nulTerminated: true,
  // pyasic falls back to one command per connection because joins fail on S19 stock.
  joinable: false,
  // Shipped in /config/bmminer.conf (fixture s19-get_miner_conf-sleeping.json).
  defaultApiAllow: 'A:0/0,W:*',
  defaultApiGroups: 'A:stats:pools:devs:summary:version',
  privileged: new Set(CORE_PRIVILEGED),
  commands: {
    ...coreCommands(description),
    summary: (call) => ({ doc: summary(call) }),
    version: (call) => ({ doc: version(call) }),
    stats: (call) => ({
      doc: isS9(call.miner) ? statsS9(call.miner, call.now) : statsModern(call.miner, call.now),
    }),
    pools: (call) => ({ doc: pools(call) }),
    devdetails: (call) => ({ doc: devdetails(call) }),
    estats: (call) => ({
      doc: isS9(call.miner) ? statsS9(call.miner, call.now) : statsModern(call.miner, call.now),
    }),
  },
  serialize: (_command, doc) => writeJson(doc),
};
