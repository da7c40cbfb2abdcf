import { type BoardReading, LIMITS } from '@hashfleet/contracts';
import type { ModelInfo } from './types.js';

/**
 * What a miner of a model can physically report, generously: a reading outside it is a firmware
 * lying or a broken sensor, never a fast or hot miner. The margins are ours (not vendor figures)
 * and wide on purpose so no real unit is ever flagged: 3x the nominal hashrate (the strongest
 * overclocks reach about 1.5x), 2.5x the nominal power, no negative hashrate or power, chip and
 * board temperatures from -40 °C (a cold start outdoors) to 150 °C (silicon stops well before),
 * inlet/outlet air from -40 °C to 100 °C, fans to 20,000 RPM (stock fans turn under 7,000), and
 * no more than twice the model's hash boards (some firmwares list empty chains). Canaan's
 * controllers list every module on their chain (the recorded AvalonMiner 741 reply, a 4-board row
 * in the table, lists 10: testcases/avalon/4.10.0_a741), so theirs are bounded by the contract only.
 */
export type Envelope = {
  maxThs: number;
  maxW: number;
  minTempC: number;
  maxChipC: number;
  maxBoardC: number;
  maxAirC: number;
  maxFanRpm: number;
  maxBoards: number;
};

/** For a model the table does not know: the largest figures any listed unit could reach. */
export const UNKNOWN_ENVELOPE: Envelope = {
  maxThs: 2000,
  maxW: 20_000,
  minTempC: -40,
  maxChipC: 150,
  maxBoardC: 150,
  maxAirC: 100,
  maxFanRpm: 20_000,
  maxBoards: LIMITS.maxBoardsPerMiner,
};

export function envelopeOf(model: ModelInfo | null): Envelope {
  if (!model) return UNKNOWN_ENVELOPE;
  return {
    ...UNKNOWN_ENVELOPE,
    maxThs: model.nominalThs * 3,
    maxW: model.nominalW * 2.5,
    maxBoards: model.make === 'Canaan' ? UNKNOWN_ENVELOPE.maxBoards : model.boards * 2,
  };
}

/** The fields of a reading the envelope judges (a MinerReading or a MinerSample has them all). */
export type PlausibilityInput = {
  hashrate5sThs: number | null;
  hashrateAvgThs: number | null;
  powerW: number | null;
  chipTempMaxC: number | null;
  boardTempMaxC: number | null;
  inletTempC: number | null;
  outletTempC: number | null;
  fansRpm: readonly number[];
  boards: readonly Pick<BoardReading, 'hashrateThs' | 'chipTempC' | 'boardTempC'>[];
};

/** One field outside the envelope: its name (`boards[0].chipTempC`, `fansRpm[2]`), value and bounds. */
export type Implausible = { field: string; value: number; min: number; max: number };

/** Every field of `r` outside its model's envelope; empty when the reading is plausible. */
export function checkPlausibility(r: PlausibilityInput, model: ModelInfo | null): Implausible[] {
  const e = envelopeOf(model);
  const out: Implausible[] = [];
  const check = (field: string, value: number | null | undefined, min: number, max: number) => {
    if (value === null || value === undefined) return;
    if (!Number.isFinite(value) || value < min || value > max) out.push({ field, value, min, max });
  };
  check('hashrate5sThs', r.hashrate5sThs, 0, e.maxThs);
  check('hashrateAvgThs', r.hashrateAvgThs, 0, e.maxThs);
  check('powerW', r.powerW, 0, e.maxW);
  check('chipTempMaxC', r.chipTempMaxC, e.minTempC, e.maxChipC);
  check('boardTempMaxC', r.boardTempMaxC, e.minTempC, e.maxBoardC);
  check('inletTempC', r.inletTempC, e.minTempC, e.maxAirC);
  check('outletTempC', r.outletTempC, e.minTempC, e.maxAirC);
  r.fansRpm.forEach((rpm, i) => {
    check(`fansRpm[${i}]`, rpm, 0, e.maxFanRpm);
  });
  check('boards', r.boards.length, 0, e.maxBoards);
  r.boards.forEach((b, i) => {
    check(`boards[${i}].hashrateThs`, b.hashrateThs, 0, e.maxThs);
    check(`boards[${i}].chipTempC`, b.chipTempC, e.minTempC, e.maxChipC);
    check(`boards[${i}].boardTempC`, b.boardTempC, e.minTempC, e.maxBoardC);
  });
  return out;
}

/**
 * The reading with every implausible figure set to null (a lying fan or board entry is dropped):
 * what roll-ups, baselines and accounting may use. The raw values stay in `found`.
 */
export function withoutImplausible<T extends PlausibilityInput>(r: T, found: readonly Implausible[]): T {
  if (found.length === 0) return r;
  const bad = new Set(found.map((f) => f.field));
  const out = { ...r } as Record<string, unknown>;
  for (const f of [
    'hashrate5sThs',
    'hashrateAvgThs',
    'powerW',
    'chipTempMaxC',
    'boardTempMaxC',
    'inletTempC',
    'outletTempC',
  ]) {
    if (bad.has(f)) out[f] = null;
  }
  if (bad.has('powerW') && 'powerProvenance' in out) out['powerProvenance'] = null;
  out['fansRpm'] = r.fansRpm.filter((_, i) => !bad.has(`fansRpm[${i}]`));
  out['boards'] = r.boards.map((b, i) => {
    const c = { ...b } as Record<string, unknown>;
    for (const k of ['hashrateThs', 'chipTempC', 'boardTempC']) if (bad.has(`boards[${i}].${k}`)) c[k] = null;
    return c;
  });
  return out as T;
}
