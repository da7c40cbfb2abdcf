import { z } from 'zod';
import { EpochMs, LIMITS, NonNegInt, ProvenanceSchema, ShortString, SlotRefSchema } from './common.js';

const num = z.number().finite();
const nullableNum = num.nullable();

export const MinerStateSchema = z.enum(['hashing', 'idle', 'sleeping', 'starting', 'error']);
export type MinerState = z.infer<typeof MinerStateSchema>;

export const BoardReadingSchema = z.object({
  /** Board index as the firmware numbers it (S9 uses 6..8; do not assume 0..N). */
  index: z.number().int(),
  hashrateThs: nullableNum,
  expectedHashrateThs: nullableNum,
  chips: NonNegInt.nullable(),
  chipTempC: nullableNum,
  boardTempC: nullableNum,
});
export type BoardReading = z.infer<typeof BoardReadingSchema>;

export const PoolRefSchema = z.object({ url: ShortString, user: ShortString });
export type PoolRef = z.infer<typeof PoolRefSchema>;

/**
 * What a firmware profile's `parse` produces from one poll cycle's replies.
 * A figure the firmware did not give is null (and named in `missing`), never a guess.
 */
export const MinerReadingSchema = z.object({
  profile: ShortString,
  model: ShortString.nullable(),
  firmwareVersion: ShortString.nullable(),
  serial: ShortString.nullable(),
  mac: ShortString.nullable(),
  state: MinerStateSchema,
  hashrate5sThs: nullableNum,
  hashrateAvgThs: nullableNum,
  expectedHashrateThs: nullableNum,
  boards: z.array(BoardReadingSchema).max(LIMITS.maxBoardsPerMiner),
  chipTempMaxC: nullableNum,
  boardTempMaxC: nullableNum,
  inletTempC: nullableNum,
  outletTempC: nullableNum,
  fansRpm: z.array(num).max(LIMITS.maxFansPerMiner),
  powerW: nullableNum,
  /** Null exactly when powerW is null. */
  powerProvenance: ProvenanceSchema.nullable(),
  powerLimitW: nullableNum,
  sharesAccepted: NonNegInt.nullable(),
  sharesRejected: NonNegInt.nullable(),
  /** Sum of the difficulty of accepted shares = difficulty-1 share equivalents. Raw firmware counter. */
  difficultyAccepted: z.number().nonnegative().finite().nullable(),
  difficultyRejected: z.number().nonnegative().finite().nullable(),
  hardwareErrors: NonNegInt.nullable(),
  uptimeS: NonNegInt.nullable(),
  pool: PoolRefSchema.nullable(),
  /** Normalized field names that the replies did not provide. */
  missing: z.array(ShortString).max(64),
  /** Tolerant-decoder repairs that fired on this cycle's replies (firmware-quality telemetry). */
  repairs: z.array(ShortString).max(LIMITS.maxRepairsPerSample),
});
export type MinerReading = z.infer<typeof MinerReadingSchema>;

/** Work done since the agent's previous sample of the same miner, computed at the edge. */
export const WorkSchema = z.object({
  /** Accepted difficulty-1 shares since `sinceAt`. 0 on the first sample of a miner. */
  diff1Shares: z.number().nonnegative().finite(),
  /** Acquisition time of the previous sample this delta is measured from; null on the first sample. */
  sinceAt: EpochMs.nullable(),
  /** True when the raw counter went backwards (miner restart) and the delta was taken from zero. */
  counterReset: z.boolean(),
  /**
   * `reported` (or absent): the delta of the firmware's accepted-difficulty counter. `estimated`:
   * the firmware exposes no such counter (Whatsminer API v3), so the agent credits the average
   * hashrate over the interval (hashes / 2^32); ingest counts it and keeps it apart.
   */
  provenance: z.enum(['reported', 'estimated']).optional(),
});
export type Work = z.infer<typeof WorkSchema>;

/** One normalized miner sample as published by the agent. */
export const MinerSampleSchema = MinerReadingSchema.extend({
  /** Agent-local stable key of the miner (its first serial, else first MAC, else IP). */
  minerKey: ShortString.min(1),
  ip: ShortString,
  /** Acquisition time (agent clock, UTC ms). */
  at: EpochMs,
  pollMs: NonNegInt,
  slot: SlotRefSchema.nullable(),
  work: WorkSchema,
});
export type MinerSample = z.infer<typeof MinerSampleSchema>;

/** A miner the agent tried and failed to poll in this batch window. */
export const UnreachableSchema = z.object({
  minerKey: ShortString.min(1),
  ip: ShortString,
  at: EpochMs,
  error: ShortString,
  since: EpochMs,
});
export type Unreachable = z.infer<typeof UnreachableSchema>;
