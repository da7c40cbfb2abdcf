import type { BoardReading } from '@hashfleet/contracts';
import {
  CGMINER_COUNTERS,
  dashList,
  ghsToThs,
  maxTemp,
  num,
  type Row,
  round,
  tempC,
} from './cgminer-reply.js';
import type { FieldRow } from './reading.js';

/**
 * The bmminer `stats` layout shared by Antminer stock, LuxOS and VNish: `STATS[0]` holds the
 * version block, `STATS[1]` the device with per-chain fields suffixed by the chain number.
 * Chain numbers are kept as the firmware gives them (6..8 on S9, 1..3 on X17/X19, 1,2,3,8..13 on E3).
 */
export const MAX_CHAIN = 16;

/** `temp_chip<N>`/`temp_pcb<N>` dash strings where present (X17+), else `temp2_<N>`/`temp<N>` (S9). */
export function bmminerBoards(dev: Row): BoardReading[] {
  const boards: BoardReading[] = [];
  for (let n = 1; n <= MAX_CHAIN; n++) {
    const chips = num(dev[`chain_acn${n}`]);
    const rate = ghsToThs(dev[`chain_rate${n}`]);
    if (!(chips !== null && chips > 0) && !(rate !== null && rate > 0)) continue;
    const chipList = dashList(dev[`temp_chip${n}`]);
    const pcbList = dashList(dev[`temp_pcb${n}`]);
    boards.push({
      index: n,
      hashrateThs: rate,
      expectedHashrateThs: ghsToThs(dev[`chain_rateideal${n}`]),
      chips,
      chipTempC: chipList.length ? maxTemp(chipList) : tempC(dev[`temp2_${n}`]),
      boardTempC: pcbList.length ? maxTemp(pcbList) : tempC(dev[`temp${n}`]),
    });
  }
  return boards;
}

/** Non-zero `fan<N>` readings in fan-number order (S9 uses fan3/fan6 or fan5/fan6; hydro reports 0). */
export function bmminerFans(dev: Row): number[] {
  const fans: number[] = [];
  for (let n = 1; n <= MAX_CHAIN; n++) {
    const rpm = num(dev[`fan${n}`]);
    if (rpm !== null && rpm > 0) fans.push(rpm);
  }
  return fans;
}

const RATE_UNIT_TO_THS: Record<string, number> = {
  GH: 1e-3,
  'GH/S': 1e-3,
  TH: 1,
  'TH/S': 1,
  MH: 1e-6,
  'MH/S': 1e-6,
};

/** A rate in the reply's `rate_unit` (GH when absent, as bmminer writes it) -> TH/s. */
export function rateInUnitToThs(value: unknown, unit: unknown): number | null {
  const n = num(value);
  if (n === null) return null;
  const f = RATE_UNIT_TO_THS[String(unit ?? 'GH').toUpperCase()] ?? 1e-3;
  return round(n * f);
}

/** The device row of a bmminer `stats` reply: the first STATS entry carrying an `ID`. */
export function bmminerDevice(stats: Row[]): Row | null {
  return stats.find((s) => 'ID' in s || 'STATS' in s) ?? null;
}

/** bmminer `summary` (GH/s hashrates, cumulative share counters): the same rows on all three firmwares. */
export const BMMINER_SUMMARY: readonly FieldRow[] = [
  ['GHS 5s', 'hashrate5sThs', ghsToThs],
  ['GHS av', 'hashrateAvgThs', ghsToThs],
  ...CGMINER_COUNTERS,
];
