import type { MinerModel } from '../model/miner.js';
import { template } from '../templates.js';
import { fillPools, stamp, statusOnly, unix } from '../wire/cgminer.js';
import type { RpcCall, RpcFirmware } from './types.js';

type Doc = Record<string, unknown>;

/** BOSminer+ as recorded (fixtures s9-*-bosplus-0.2.0); the version string comes from the scenario. */
const description = (m: MinerModel): string => `BOSminer+ ${m.firmwareVersion}`;
/** BOSminer keeps Bitmain's chain numbering: 6..8 on S9, 1..N on later models (docs/reference.md §5). */
const chainId = (m: MinerModel, b: number): number => (/^Antminer S9/.test(m.model.model) ? 6 + b : 1 + b);
const mhs = (ths: number) => ths * 1e6;

const doc = (file: string, call: RpcCall): Doc => stamp(template(file), call.now, description(call.miner));

function rows(d: Doc, section: string, m: MinerModel, fill: (row: Doc, b: number) => void): void {
  const recorded = d[section] as Doc[];
  d[section] = m.boardThs.map((_, b) => {
    const row = { ...(recorded[b] ?? recorded[0]!) };
    fill(row, b);
    return row;
  });
}

function summary(call: RpcCall): Doc {
  const { miner: m, now } = call;
  const d = doc('braiins-os/s9-summary-bosplus-0.2.0.json.txt', call);
  const s = (d.SUMMARY as Doc[])[0]!;
  const avg = mhs(m.averageThs(now));
  Object.assign(s, {
    Accepted: m.accepted,
    'Best Share': m.bestShare,
    'Difficulty Accepted': m.difficultyAccepted,
    'Difficulty Rejected': m.difficultyRejected,
    Elapsed: m.elapsedS(now),
    'Hardware Errors': m.hardwareErrors,
    'Last getwork': unix(now),
    'MHS 15m': avg,
    'MHS 1m': mhs(m.hashrateThs),
    'MHS 24h': avg,
    'MHS 5m': avg,
    'MHS 5s': mhs(m.hashrateThs),
    'MHS av': avg,
    Rejected: m.rejected,
    'Total MH': (m.workDiff1 * 4294967296) / 1e6,
  });
  return d;
}

function devs(call: RpcCall): Doc {
  const { miner: m, now } = call;
  const d = doc('braiins-os/s9-devs-bosplus-0.4.0.json.txt', call);
  const per = (x: number) => x / m.model.boards;
  rows(d, 'DEVS', m, (row, b) =>
    Object.assign(row, {
      ASC: b,
      Accepted: Math.floor(per(m.accepted)),
      'Device Elapsed': m.elapsedS(now),
      'Difficulty Accepted': Math.floor(per(m.accepted)) * m.poolDifficulty,
      ID: chainId(m, b),
      'Last Share Difficulty': m.poolDifficulty,
      'Last Share Time': unix(m.lastShareMs),
      'Last Valid Work': unix(now),
      'MHS 15m': mhs(per(m.averageThs(now))),
      'MHS 1m': mhs(m.boardThs[b]!),
      'MHS 5m': mhs(per(m.averageThs(now))),
      'MHS 5s': mhs(m.boardThs[b]!),
      'MHS av': mhs(per(m.averageThs(now))),
      'Nominal MHS': mhs(per(m.nominalThs)),
      Status: m.chipsOn(b) > 0 ? 'Alive' : 'Dead',
    }),
  );
  (d.STATUS as Doc[])[0]!.Msg = `${m.model.boards} ASC(s)`;
  return d;
}

function devdetails(call: RpcCall): Doc {
  const m = call.miner;
  const d = doc('braiins-os/s9-devdetails-bosplus-0.2.0-doc.json.txt', call);
  rows(d, 'DEVDETAILS', m, (row, b) =>
    Object.assign(row, {
      Chips: m.chipsOn(b),
      DEVDETAILS: b,
      ID: chainId(m, b),
      Model: `Bitmain ${m.model.model}`,
      Name: `Hash Chain ${chainId(m, b)}`,
    }),
  );
  return d;
}

function temps(call: RpcCall): Doc {
  const m = call.miner;
  const d = doc('braiins-os/s9-temps-bosplus-0.2.0.json.txt', call);
  rows(d, 'TEMPS', m, (row, b) =>
    Object.assign(row, {
      Board: Math.round(m.boardTempC[b]!),
      Chip: Math.round(m.chipTempC[b]!),
      ID: chainId(m, b),
      TEMP: b,
    }),
  );
  (d.STATUS as Doc[])[0]!.Msg = `${m.model.boards} Temp(s)`;
  return d;
}

function fans(call: RpcCall): Doc {
  const m = call.miner;
  const d = doc('braiins-os/s9-fans-bosplus-0.2.0.json.txt', call);
  // BOSminer lists four fan slots even on a two-fan S9 (fixture): absent ones read 0 RPM.
  const slots = Math.max(4, m.model.fans);
  d.FANS = Array.from({ length: slots }, (_, i) => ({
    FAN: i,
    ID: i,
    RPM: m.fanRpm[i] ?? 0,
    Speed: Math.round(m.fanPct),
  }));
  (d.STATUS as Doc[])[0]!.Msg = `${slots} Fan(s)`;
  return d;
}

function tunerstatus(call: RpcCall): Doc {
  const m = call.miner;
  const d = doc('braiins-os/s9-tunerstatus-bosplus-0.2.0-doc.json.txt', call);
  const t = (d.TUNERSTATUS as Doc[])[0]!;
  const chains = t.TunerChainStatus as Doc[];
  const chainW = Math.round((m.powerW - 60) / m.model.boards);
  t.ApproximateChainPowerConsumption = Math.max(0, Math.round(m.powerW - 60));
  t.ApproximateMinerPowerConsumption = Math.round(m.powerW);
  t.PowerLimit = Math.round(m.powerLimitW);
  t.TunerChainStatus = m.boardThs.map((_, b) => ({
    ...(chains[b] ?? chains[0]!),
    ApproximatePowerConsumptionWatt: Math.max(0, chainW),
    HashchainIndex: chainId(m, b),
    PowerLimitWatt: Math.round(m.powerLimitW / m.model.boards),
    Status: m.chipsOn(b) > 0 ? 'Stable' : 'Failed',
    TunerRunning: false,
  }));
  return d;
}

function pools(call: RpcCall): Doc {
  const d = doc('braiins-os/s9-pools-bosplus-0.2.0.json.txt', call);
  d.POOLS = fillPools(d.POOLS as Doc[], call.miner, call.now);
  (d.STATUS as Doc[])[0]!.Msg = `${call.miner.pools.length} Pool(s)`;
  return d;
}

function version(call: RpcCall): Doc {
  const d = doc('braiins-os/s9-version-bosplus-0.2.0.json.txt', call);
  (d.VERSION as Doc[])[0]!['BOSminer+'] = call.miner.firmwareVersion;
  return d;
}

/** BOSminer has no bmminer `stats`; it answers with cgminer's per-device pool-less STATS (no recorded reply). */
function stats(call: RpcCall): Doc {
  const { miner: m, now } = call;
  return {
    STATUS: [{ STATUS: 'S', When: unix(now), Code: 70, Msg: 'BOSminer+ stats', Description: description(m) }],
    STATS: m.boardThs.map((_, b) => ({
      Calls: 0,
      Elapsed: m.elapsedS(now),
      ID: `HashChain${chainId(m, b)}`,
      Max: 0.0,
      Min: 99999999.0,
      STATS: b,
      Wait: 0.0,
    })),
    id: 1,
  };
}

function pause(call: RpcCall, paused: boolean): Doc {
  const file = paused
    ? 'braiins-os/s17-pause-bosplus-0.6.0-doc.json.txt'
    : 'braiins-os/s17-resume-bosplus-0.6.0-doc.json.txt';
  call.miner.mode = paused ? 'sleep' : 'normal';
  return doc(file, call);
}

/** Braiins OS+ BOSminer on 4028: joinable reads, BOS extras (temps, fans, tunerstatus), pause/resume. */
export const braiinsOs: RpcFirmware = {
  profile: 'braiins-os',
  description,
  nulTerminated: true,
  joinable: true,
  defaultApiAllow: 'W:0/0',
  privileged: new Set(['pause', 'resume']),
  commands: {
    summary: (call) => ({ doc: summary(call) }),
    devs: (call) => ({ doc: devs(call) }),
    edevs: (call) => ({ doc: devs(call) }),
    devdetails: (call) => ({ doc: devdetails(call) }),
    temps: (call) => ({ doc: temps(call) }),
    fans: (call) => ({ doc: fans(call) }),
    tunerstatus: (call) => ({ doc: tunerstatus(call) }),
    pools: (call) => ({ doc: pools(call) }),
    version: (call) => ({ doc: version(call) }),
    stats: (call) => ({ doc: stats(call) }),
    pause: (call) => ({ doc: pause(call, true) }),
    resume: (call) => ({ doc: pause(call, false) }),
    restart: (call) => ({
      doc: statusOnly('S', 0, 'Restart', call.now, description(call.miner)),
      after: () => call.miner.restartDaemon(call.now),
    }),
  },
};
