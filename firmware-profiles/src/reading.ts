import { type BoardReading, LIMITS, type MinerReading } from '@hashfleet/contracts';
import type { ParseContext } from './types.js';

/** What a profile fills in; everything it leaves undefined becomes null and is named in `missing`. */
export type Draft = {
  -readonly [K in Exclude<keyof MinerReading, 'profile' | 'missing' | 'repairs'>]?: MinerReading[K];
};

/** A table row: raw field -> normalized field, with its unit converter (docs/style.md §3). */
export type FieldRow<K extends keyof Draft = keyof Draft> = readonly [
  raw: string,
  field: K,
  convert: (v: unknown) => Draft[K] | null,
];

/** Applies table rows to `draft`; a field already set by an earlier (preferred) source is kept. */
export function applyRows(
  draft: Draft,
  source: Record<string, unknown> | null,
  table: readonly FieldRow[],
): void {
  if (!source) return;
  for (const [raw, field, convert] of table) {
    if (draft[field] !== undefined && draft[field] !== null) continue;
    if (!(raw in source)) continue;
    const v = convert(source[raw]);
    if (v !== null && v !== undefined) (draft as Record<string, unknown>)[field] = v;
  }
}

/** Scalar fields reported as missing when null, in contract order. */
const SCALARS = [
  'model',
  'firmwareVersion',
  'serial',
  'mac',
  'hashrate5sThs',
  'hashrateAvgThs',
  'expectedHashrateThs',
  'chipTempMaxC',
  'boardTempMaxC',
  'inletTempC',
  'outletTempC',
  'powerW',
  'powerLimitW',
  'sharesAccepted',
  'sharesRejected',
  'difficultyAccepted',
  'difficultyRejected',
  'hardwareErrors',
  'uptimeS',
  'pool',
] as const;

// The contract's limits, so a parsed reading always fits the telemetry schema.
const MAX_STRING = LIMITS.maxString;
const MAX_BOARDS = LIMITS.maxBoardsPerMiner;
const MAX_FANS = LIMITS.maxFansPerMiner;
const MAX_REPAIRS = 16;

/**
 * Completes a draft into a contract-valid reading: nulls for what is absent, `missing` listing
 * them, limits applied, expected hashrate from the model table when the firmware gives none, and
 * board/chip maxima derived from the boards when the firmware gives no overall figure.
 */
export function finishReading(
  profile: string,
  draft: Draft,
  repairs: string[],
  ctx: ParseContext,
): MinerReading {
  const boards = (draft.boards ?? []).slice(0, MAX_BOARDS).map((b, i) => cleanBoard(b, i));
  const fansRpm = (draft.fansRpm ?? []).filter((f) => Number.isFinite(f) && f >= 0).slice(0, MAX_FANS);
  const powerW = finite(draft.powerW);
  const reading: MinerReading = {
    profile,
    // Detection named the model when these replies do not (Whatsminer v2 summary, BOSminer without devdetails).
    model: text(draft.model) ?? ctx.modelInfo?.model ?? null,
    firmwareVersion: text(draft.firmwareVersion),
    serial: text(draft.serial),
    mac: text(draft.mac),
    state: draft.state ?? 'error',
    hashrate5sThs: nonNegative(draft.hashrate5sThs),
    hashrateAvgThs: nonNegative(draft.hashrateAvgThs),
    expectedHashrateThs: positive(draft.expectedHashrateThs) ?? ctx.modelInfo?.nominalThs ?? null,
    boards,
    chipTempMaxC: finite(draft.chipTempMaxC) ?? maxOf(boards.map((b) => b.chipTempC)),
    boardTempMaxC: finite(draft.boardTempMaxC) ?? maxOf(boards.map((b) => b.boardTempC)),
    inletTempC: finite(draft.inletTempC),
    outletTempC: finite(draft.outletTempC),
    fansRpm,
    powerW,
    powerProvenance: powerW === null ? null : (draft.powerProvenance ?? 'reported'),
    powerLimitW: positive(draft.powerLimitW),
    sharesAccepted: int(draft.sharesAccepted),
    sharesRejected: int(draft.sharesRejected),
    difficultyAccepted: nonNegative(draft.difficultyAccepted),
    difficultyRejected: nonNegative(draft.difficultyRejected),
    hardwareErrors: int(draft.hardwareErrors),
    uptimeS: int(draft.uptimeS),
    pool: draft.pool ? { url: clip(draft.pool.url), user: clip(draft.pool.user) } : null,
    missing: [],
    repairs: [...new Set(repairs)].slice(0, MAX_REPAIRS).map(clip),
  };
  for (const k of SCALARS) if (reading[k] === null) reading.missing.push(k);
  if (boards.length === 0) reading.missing.push('boards');
  if (fansRpm.length === 0) reading.missing.push('fansRpm');
  return reading;
}

function cleanBoard(b: BoardReading, position: number): BoardReading {
  const index = Math.trunc(b.index);
  return {
    index: Number.isSafeInteger(index) ? index : position,
    hashrateThs: nonNegative(b.hashrateThs),
    expectedHashrateThs: positive(b.expectedHashrateThs),
    chips: int(b.chips),
    chipTempC: finite(b.chipTempC),
    boardTempC: finite(b.boardTempC),
  };
}

const finite = (v: number | null | undefined): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : null;
const nonNegative = (v: number | null | undefined): number | null => {
  const n = finite(v);
  return n !== null && n >= 0 ? n : null;
};
const positive = (v: number | null | undefined): number | null => {
  const n = finite(v);
  return n !== null && n > 0 ? n : null;
};
/** A count; beyond 2^53 it is garbage, not a count (contract integers are safe integers). */
const int = (v: number | null | undefined): number | null => {
  const n = nonNegative(v);
  return n === null || n > Number.MAX_SAFE_INTEGER ? null : Math.round(n);
};
const clip = (s: string): string => (s.length > MAX_STRING ? s.slice(0, MAX_STRING) : s);
const text = (s: string | null | undefined): string | null => (s ? clip(s) : null);
const maxOf = (vs: (number | null)[]): number | null => {
  const ns = vs.filter((v): v is number => v !== null);
  return ns.length ? Math.max(...ns) : null;
};

/** How long after a start a miner that is not hashing yet counts as starting rather than idle. */
const STARTING_WINDOW_S = 600;

/**
 * A miner's state as every cgminer-family profile derives it from its rate: no rate read is an
 * error, a positive rate is hashing (the rate wins over any firmware flag: Whatsminer captures say
 * `btmineroff` "true" while hashing), else `stopped` (what the firmware's own flag says: asleep or
 * failed, or null when it says neither), else starting within 600 s of start, else idle.
 */
export function stateFromRate(
  draft: Pick<Draft, 'hashrate5sThs' | 'uptimeS'>,
  stopped: 'sleeping' | 'error' | null = null,
): NonNullable<Draft['state']> {
  if (draft.hashrate5sThs == null) return 'error';
  if (draft.hashrate5sThs > 0) return 'hashing';
  if (stopped) return stopped;
  return (draft.uptimeS ?? Infinity) < STARTING_WINDOW_S ? 'starting' : 'idle';
}
