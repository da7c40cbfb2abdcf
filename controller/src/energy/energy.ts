import type { Provenance } from '@hashfleet/contracts';
import { rateMicro } from './fiat.js';
import { type Tariff, tariffRateAt } from './tariff.js';

/** One row of `container_hourly`, as the accounting reads it. */
export interface ContainerHour {
  siteId: string;
  containerId: string;
  hourStartMs: number;
  diff1Shares: number;
  energyWhMetered: number | null;
  energyWhReported: number | null;
  energyWhEstimated: number | null;
}

/** Energy of one site-hour from one source, priced: an input line of a close. */
export interface EnergyLine {
  siteId: string;
  hourStartMs: number;
  provenance: Provenance;
  /** Whole Wh (summed over containers, then rounded once). */
  energyWh: number;
  currency: string;
  ratePerKwhMicro: bigint;
}

/**
 * The best source per container-hour: a PDU meter beats the miners' own report, which beats the
 * nameplate estimate. Rows are ordered (preferred first): that order IS the rule. The aggregate
 * columns are NOT NULL and hold 0 when a source saw nothing, so 0 counts as "no reading".
 */
const SOURCES: readonly [Provenance, (h: ContainerHour) => number | null][] = [
  ['metered', (h) => h.energyWhMetered],
  ['reported', (h) => h.energyWhReported],
  ['estimated', (h) => h.energyWhEstimated],
];

export function pickEnergy(h: ContainerHour): { provenance: Provenance; wh: number } | null {
  for (const [provenance, get] of SOURCES) {
    const wh = get(h);
    if (wh !== null && Number.isFinite(wh) && wh > 0) return { provenance, wh };
  }
  return null;
}

export interface SiteTariff {
  tariff: Tariff;
  timeZone: string;
}

/** Aggregates -> priced energy lines per site, hour and source, in a stable order. */
export function energyLines(
  hours: readonly ContainerHour[],
  tariffs: ReadonlyMap<string, SiteTariff>,
): EnergyLine[] {
  const sums = new Map<string, { siteId: string; hourStartMs: number; provenance: Provenance; wh: number }>();
  for (const h of hours) {
    const picked = pickEnergy(h);
    if (!picked) continue;
    const key = `${h.siteId}\u0000${h.hourStartMs}\u0000${picked.provenance}`;
    const s = sums.get(key);
    if (s) s.wh += picked.wh;
    else
      sums.set(key, {
        siteId: h.siteId,
        hourStartMs: h.hourStartMs,
        provenance: picked.provenance,
        wh: picked.wh,
      });
  }
  const lines: EnergyLine[] = [];
  for (const s of sums.values()) {
    const t = tariffs.get(s.siteId);
    if (!t) throw new Error(`site ${s.siteId}: no tariff, cannot price its energy`);
    lines.push({
      siteId: s.siteId,
      hourStartMs: s.hourStartMs,
      provenance: s.provenance,
      energyWh: Math.round(s.wh),
      currency: t.tariff.currency,
      ratePerKwhMicro: rateMicro(tariffRateAt(t.tariff, s.hourStartMs, t.timeZone)),
    });
  }
  return lines.sort(
    (a, b) =>
      (a.siteId < b.siteId ? -1 : a.siteId > b.siteId ? 1 : 0) ||
      a.hourStartMs - b.hourStartMs ||
      (a.provenance < b.provenance ? -1 : a.provenance > b.provenance ? 1 : 0),
  );
}

/** Fleet accepted work per hour (difficulty-1 shares), in hour order. */
export function workByHour(hours: readonly ContainerHour[]): { hourStartMs: number; diff1Shares: number }[] {
  const sums = new Map<number, number>();
  for (const h of hours) sums.set(h.hourStartMs, (sums.get(h.hourStartMs) ?? 0) + h.diff1Shares);
  return [...sums]
    .sort((a, b) => a[0] - b[0])
    .map(([hourStartMs, diff1Shares]) => ({ hourStartMs, diff1Shares }));
}
