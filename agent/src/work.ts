import type { Work } from '@hashfleet/contracts';

/** The last counters of a miner that work is measured from; persisted with the identity table. */
export type WorkBase = { at: number; difficultyAccepted: number; uptimeS: number | null };

/**
 * Accepted difficulty-1 shares since the previous sample (DESIGN.md §5). A counter that went
 * backwards, or an uptime that did, means the miner restarted: the delta is taken from zero.
 * Without a counter this sample claims no work and keeps the old base, so the next sample that has
 * one covers the gap.
 */
export function workSince(
  base: WorkBase | null,
  difficultyAccepted: number | null,
  uptimeS: number | null,
  at: number,
): { work: Work; base: WorkBase | null } {
  if (difficultyAccepted === null) {
    return { work: { diff1Shares: 0, sinceAt: null, counterReset: false }, base };
  }
  const next: WorkBase = { at, difficultyAccepted, uptimeS };
  if (!base) return { work: { diff1Shares: 0, sinceAt: null, counterReset: false }, base: next };
  const restarted =
    difficultyAccepted < base.difficultyAccepted ||
    (uptimeS !== null && base.uptimeS !== null && uptimeS < base.uptimeS);
  const diff1Shares = restarted ? difficultyAccepted : difficultyAccepted - base.difficultyAccepted;
  return { work: { diff1Shares, sinceAt: base.at, counterReset: restarted }, base: next };
}
