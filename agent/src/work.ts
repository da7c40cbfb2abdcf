import type { Work } from '@hashfleet/contracts';

/** The last counters of a miner that work is measured from; persisted with the identity table. */
/** `difficultyAccepted` is null while work is estimated from hashrate (no counter on the firmware). */
export type WorkBase = { at: number; difficultyAccepted: number | null; uptimeS: number | null };

const DIFF1_HASHES = 2 ** 32;

/**
 * Accepted difficulty-1 shares since the previous sample (docs/architecture.md §3.2). A counter that went
 * backwards, or an uptime that did, means the miner restarted: the delta is taken from zero (see
 * `fromZero` for a counter older than our previous sample).
 * Without a counter this sample claims no work and keeps the old base, so the next sample that has
 * one covers the gap.
 */
export function workSince(
  base: WorkBase | null,
  difficultyAccepted: number | null,
  uptimeS: number | null,
  at: number,
  /** Average hashrate over the interval, for firmwares without the counter; null when unknown. */
  estimateThs: number | null = null,
): { work: Work; base: WorkBase | null } {
  if (difficultyAccepted === null) {
    if (estimateThs === null) return { work: { diff1Shares: 0, sinceAt: null, counterReset: false }, base };
    return estimated(base, estimateThs, uptimeS, at);
  }
  const next: WorkBase = { at, difficultyAccepted, uptimeS };
  if (!base || base.difficultyAccepted === null) {
    return { work: { diff1Shares: 0, sinceAt: null, counterReset: false }, base: next };
  }
  const restarted =
    difficultyAccepted < base.difficultyAccepted ||
    (uptimeS !== null && base.uptimeS !== null && uptimeS < base.uptimeS);
  const diff1Shares = restarted
    ? fromZero(difficultyAccepted, uptimeS, at, base.at)
    : difficultyAccepted - base.difficultyAccepted;
  return { work: { diff1Shares, sinceAt: base.at, counterReset: restarted }, base: next };
}

/**
 * Work of a counter that restarted. When the miner booted after our previous sample, all of it is
 * new. When its uptime says it was already running then, this counter is not the one we sampled
 * (a replaced unit, a daemon that reset its counters without restarting, a simulator restarted
 * under a persisted agent state): only the part of it that falls in our gap is claimed, pro rata
 * to time, rather than work done before our previous sample.
 */
function fromZero(counter: number, uptimeS: number | null, at: number, sinceAt: number): number {
  if (uptimeS === null || uptimeS <= 0) return counter;
  const upMs = uptimeS * 1000;
  const gapMs = at - sinceAt;
  return gapMs >= upMs ? counter : (counter * Math.max(0, gapMs)) / upMs;
}

/**
 * Work credited from hashrate when the firmware has no accepted-difficulty counter: hashes over
 * the interval (or over the uptime, when the miner restarted inside it) / 2^32, marked estimated.
 */
function estimated(
  base: WorkBase | null,
  ths: number,
  uptimeS: number | null,
  at: number,
): { work: Work; base: WorkBase } {
  const next: WorkBase = { at, difficultyAccepted: null, uptimeS };
  if (!base)
    return {
      work: { diff1Shares: 0, sinceAt: null, counterReset: false, provenance: 'estimated' },
      base: next,
    };
  const gapS = Math.max(0, (at - base.at) / 1000);
  const restarted = uptimeS !== null && uptimeS < gapS;
  const seconds = restarted ? uptimeS : gapS;
  const diff1Shares = (Math.max(0, ths) * 1e12 * seconds) / DIFF1_HASHES;
  return {
    work: { diff1Shares, sinceAt: base.at, counterReset: restarted, provenance: 'estimated' },
    base: next,
  };
}
