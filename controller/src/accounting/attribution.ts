import { hashrateThs } from '../energy/index.js';
import { type Timeline, weightsBetween } from './stake-timeline.js';

/**
 * Attributed hashrate (a view, never money): for each hour, the fleet's effective hashrate from
 * the accepted work (diff1 shares x 2^32 / 3600 s), times a staker's time-weighted share of all
 * eligible stake in that hour; per node and per staker. Hours without eligible stake attribute
 * nothing.
 */
export interface AttributionRow {
  hourStartMs: number;
  holder: string;
  nodeId: string;
  /** This holding's share of all eligible stake in the hour, 0..1. */
  share: number;
  attributedThs: number;
}

export interface HourWork {
  hourStartMs: number;
  diff1Shares: number;
}

/** Ratio of two bigints as a float, exact to ~1e-15 whatever their size. */
export function ratio(num: bigint, den: bigint): number {
  if (den === 0n) return 0;
  const SCALE = 10n ** 15n;
  return Number((num * SCALE) / den) / 1e15;
}

export function attributeHours(
  timeline: Timeline,
  work: readonly HourWork[],
  holders: ReadonlySet<string> | null,
): { fleet: { hourStartMs: number; fleetThs: number; eligibleUnitsS: bigint }[]; rows: AttributionRow[] } {
  const fleet: { hourStartMs: number; fleetThs: number; eligibleUnitsS: bigint }[] = [];
  const rows: AttributionRow[] = [];
  for (const h of work) {
    const w = weightsBetween(timeline, h.hourStartMs, h.hourStartMs + 3_600_000);
    const fleetThs = hashrateThs(h.diff1Shares, 3600);
    fleet.push({ hourStartMs: h.hourStartMs, fleetThs, eligibleUnitsS: w.total });
    for (const [key, weight] of w.byHolding) {
      const entry = timeline.holdings.get(key)!;
      if (holders && !holders.has(entry.holder)) continue;
      const share = ratio(weight, w.total);
      rows.push({
        hourStartMs: h.hourStartMs,
        holder: entry.holder,
        nodeId: entry.nodeId,
        share,
        attributedThs: fleetThs * share,
      });
    }
  }
  return { fleet, rows };
}

/**
 * THE attributed hashrate of a staker (issue 18 item 4), one definition everywhere (statement,
 * API, chart; a chart hour is the same definition over a one-hour window): the fleet's accepted
 * work in the window, as a hashrate (difficulty-1 shares × 2^32 ÷ the window's seconds), times the
 * staker's share of all eligible stake-time in the window (HSS units × eligible seconds). It is
 * NOT the mean of the hourly figures when stake or work changes within the window.
 */
export const ATTRIBUTED_HASHRATE_DEFINITION =
  "accepted work in the window (difficulty-1 shares x 2^32 / the window's seconds) x the staker's share of all eligible stake-time (HSS units x eligible seconds) in the window";

export interface AttributedHashrate {
  ths: number;
  from: string;
  to: string;
  windowSeconds: number;
  diff1Shares: number;
  /** The fleet's hashrate from that work over the window. */
  fleetThs: number;
  stakeUnitsSeconds: string;
  totalEligibleUnitsSeconds: string;
  stakeShare: number;
  definition: string;
}

export function attributedHashrate(
  diff1Shares: number,
  fromMs: number,
  toMs: number,
  weight: bigint,
  totalWeight: bigint,
): AttributedHashrate {
  const windowSeconds = (toMs - fromMs) / 1000;
  const fleetThs = hashrateThs(diff1Shares, windowSeconds);
  const stakeShare = ratio(weight, totalWeight);
  return {
    ths: fleetThs * stakeShare,
    from: new Date(fromMs).toISOString(),
    to: new Date(toMs).toISOString(),
    windowSeconds,
    diff1Shares,
    fleetThs,
    stakeUnitsSeconds: weight.toString(),
    totalEligibleUnitsSeconds: totalWeight.toString(),
    stakeShare,
    definition: ATTRIBUTED_HASHRATE_DEFINITION,
  };
}
