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

/** Sums hourly rows per holder and per node over the whole window (TH/s averaged over the hours given). */
export function summarise(
  rows: readonly AttributionRow[],
  hours: number,
): { byHolder: Map<string, number>; byNode: Map<string, number> } {
  const byHolder = new Map<string, number>();
  const byNode = new Map<string, number>();
  for (const r of rows) {
    byHolder.set(r.holder, (byHolder.get(r.holder) ?? 0) + r.attributedThs / hours);
    byNode.set(r.nodeId, (byNode.get(r.nodeId) ?? 0) + r.attributedThs / hours);
  }
  return { byHolder, byNode };
}
