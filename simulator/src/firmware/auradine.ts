import { template } from '../templates.js';
import { fillPools, put, stamp } from '../wire/cgminer.js';
import { CORE_PRIVILEGED, coreCommands } from './cgminer-core.js';
import type { RpcCall, RpcFirmware } from './types.js';

type Doc = Record<string, unknown>;
/** GCMiner's STATUS Description: `GCMiner-<version>` (`GCMiner-0.5-devsbXXX` in the recordings). */
const description = (m: RpcCall['miner']): string => `GCMiner-${m.firmwareVersion}`;
const mhs = (ths: number) => ths * 1e6;
const doc = (file: string, call: RpcCall): Doc =>
  stamp(template(`auradine/${file}`), call.now, description(call.miner));

function summary(call: RpcCall): Doc {
  const { miner: m, now } = call;
  const d = doc('at-summary.json.txt', call);
  const s = (d.SUMMARY as Doc[])[0]!;
  const avg = mhs(m.averageThs(now));
  put(s, 'Elapsed', m.elapsedS(now));
  put(s, 'MHS av', avg);
  for (const k of ['MHS 5s', 'MHS 1m']) put(s, k, mhs(m.hashrateThs));
  for (const k of ['MHS 5m', 'MHS 15m']) put(s, k, avg);
  put(s, 'Accepted', m.accepted);
  put(s, 'Rejected', m.rejected);
  put(s, 'Hardware Errors', m.hardwareErrors);
  put(s, 'Total MH', Math.round(avg * m.elapsedS(now)));
  put(s, 'Difficulty Accepted', m.difficultyAccepted);
  put(s, 'Difficulty Rejected', m.difficultyRejected);
  return d;
}

/** One `ASICBoard` row per hash board, numbered from 1 like the recording. */
function devs(call: RpcCall): Doc {
  const { miner: m } = call;
  const d = doc('at-devs.json.txt', call);
  const recorded = (d.DEVS as Doc[])[0]!;
  d.DEVS = m.boardThs.map((ths, b) => {
    const row: Doc = { ...recorded, DEV: b + 1, ID: b + 1, Status: m.chipsOn(b) > 0 ? 'Alive' : 'Dead' };
    put(row, 'Temperature', Math.round(m.boardTempC[b]! * 100) / 100);
    put(row, 'MHS 5s', mhs(ths));
    return row;
  });
  (d.STATUS as Doc[])[0]!.Msg = `${m.model.boards} Dev(s)`;
  return d;
}

function pools(call: RpcCall): Doc {
  const d = doc('at-pools.json.txt', call);
  d.POOLS = fillPools(d.POOLS as Doc[], call.miner, call.now);
  (d.STATUS as Doc[])[0]!.Msg = `${call.miner.pools.length} Pool(s)`;
  return d;
}

function fan(call: RpcCall): Doc {
  const { miner: m } = call;
  const d = doc('at-fan.json.txt', call);
  const recorded = (d.Fan as Doc[])[0]!;
  d.Fan = m.fanRpm.map((rpm, i) => ({ ...recorded, ID: i + 1, Speed: Math.round(rpm) }));
  (d.STATUS as Doc[])[0]!.Msg = `Total fans: ${m.fanRpm.length}`;
  return d;
}

/** `psu` reports strings with units; power in is the wall draw, output 96 % of it at 11.5 V. */
function psu(call: RpcCall): Doc {
  const { miner: m } = call;
  const d = doc('at-psu.json.txt', call);
  const p = (d.PSU as Doc[])[0]!;
  const vin = 245;
  const out = m.powerW * 0.96;
  Object.assign(p, {
    Vin: `${vin.toFixed(2)}V`,
    Iin: `${(m.powerW / vin).toFixed(2)}A`,
    Iout: `${(out / 11.53).toFixed(2)}A`,
    PowerOut: `${out.toFixed(2)}W`,
    PowerIn: `${m.powerW.toFixed(2)}W`,
  });
  return d;
}

/**
 * `temperature`: the control board, then one row per hash board with 5 board sensors (the
 * recording's first three read near the inlet, the last two near the chips) and 3 chip sensors.
 */
function temperature(call: RpcCall): Doc {
  const { miner: m } = call;
  const d = doc('at-temperature.json.txt', call);
  const [control, board] = d.Temperature as Doc[];
  const sensors = (values: number[]) => values.map((t, i) => ({ ID: i, Temperature: t }));
  d.Temperature = [
    { ...control, BoardTemp: sensors([m.ambientC + 5]) },
    ...m.boardThs.map((_, b) => {
      const pcb = m.boardTempC[b]!;
      const chip = m.chipTempC[b]!;
      return {
        ...board,
        ID: b + 1,
        Name: `Hash Board ${b + 1}`,
        BoardTemp: sensors([m.ambientC + 1, m.ambientC, m.ambientC + 2, pcb, pcb - 0.5]),
        ChipTemp: sensors([chip, chip - 0.8, chip - 1.5]),
      };
    }),
  ];
  return d;
}

/** GCMiner's `version` names the daemon and API only (no model). */
function version(call: RpcCall): Doc {
  const d = doc('at-version.json.txt', call);
  (d.VERSION as Doc[])[0]!.GCMiner = call.miner.firmwareVersion;
  return d;
}

/** Auradine GCMiner: upstream cgminer's reads and writes plus its own fan, psu and temperature. */
export const auradine: RpcFirmware = {
  profile: 'auradine',
  description,
  // The recordings are re-serialized, so whether GCMiner ends with cgminer's NUL is not known:
  // sent as upstream does (the agent reads either way).
  nulTerminated: true,
  joinable: false,
  // GCMiner's shipped --api-allow is not in any recording; like the cgminer twin, a farm opens writes
  // to its management network.
  defaultApiAllow: 'W:0/0',
  privileged: new Set(CORE_PRIVILEGED),
  commands: {
    ...coreCommands(description),
    summary: (call) => ({ doc: summary(call) }),
    devs: (call) => ({ doc: devs(call) }),
    pools: (call) => ({ doc: pools(call) }),
    fan: (call) => ({ doc: fan(call) }),
    psu: (call) => ({ doc: psu(call) }),
    temperature: (call) => ({ doc: temperature(call) }),
    version: (call) => ({ doc: version(call) }),
  },
};
