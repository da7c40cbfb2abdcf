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

/**
 * Energy of one site-hour from one source, priced: an input line of a close in inputs @1 and @2
 * (one source per container-hour, see `energyLines`). @3 has `ContainerEnergyLine`.
 */
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

/** One row of `miner_hourly_energy`: one miner (or slot) in one hour, every source it had. */
export interface MinerHour {
  siteId: string;
  containerId: string;
  hourStartMs: number;
  unit: string;
  meteredWh: number;
  meteredN: number;
  reportedWh: number;
  reportedN: number;
  estimatedWh: number;
  estimatedN: number;
  /** Seconds of the hour the outlet's readings cover, and the miner's own samples. */
  meteredS: number;
  telemetryS: number;
}

/** A meter covering less than this share of the miner's own samples' time is not the hour's energy. */
export const METERED_MIN_COVERAGE = 0.9;

/**
 * The best source of one miner-hour: its outlet's meter when it read energy, else the miner's own
 * power reading, else the estimate (the firmware's, or the model's nameplate at its state). A
 * PDU that was down (no reading, 0 Wh while the miner reported, or readings covering less than
 * 90 % of the time the miner's own samples cover) falls back for that miner alone. A slot metered at 0 Wh with no miner telemetry is an empty slot: no miner-hour (null).
 */
export function pickMinerHour(m: MinerHour): { provenance: Provenance; wh: number } | null {
  const meterCoversHour = m.telemetryS === 0 || m.meteredS >= METERED_MIN_COVERAGE * m.telemetryS;
  if (m.meteredN > 0 && m.meteredWh > 0 && meterCoversHour) return { provenance: 'metered', wh: m.meteredWh };
  if (m.reportedN > 0) return { provenance: 'reported', wh: m.reportedWh };
  if (m.estimatedN > 0) return { provenance: 'estimated', wh: m.estimatedWh };
  return null;
}

/**
 * Energy of one container-hour, priced: an input line of a close from inputs @3. Each source's
 * energy (whole Wh, summed over the miner-hours that used it, then rounded once) and the count of
 * miner-hours that used it; the tariff rate of that hour, so a staker can re-price the line:
 * (meteredWh + reportedWh + estimatedWh) / 1000 kWh x ratePerKwhMicro micro-units of currency.
 */
export interface ContainerEnergyLine {
  siteId: string;
  containerId: string;
  hourStartMs: number;
  meteredWh: number;
  reportedWh: number;
  estimatedWh: number;
  meteredMinerHours: number;
  reportedMinerHours: number;
  estimatedMinerHours: number;
  currency: string;
  ratePerKwhMicro: bigint;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Miner-hours -> priced container-hour lines (best source per miner-hour), in a stable order. */
export function containerEnergyLines(
  minerHours: readonly MinerHour[],
  tariffs: ReadonlyMap<string, SiteTariff>,
): ContainerEnergyLine[] {
  const sums = new Map<string, { key: Omit<ContainerEnergyLine, 'currency' | 'ratePerKwhMicro'> }>();
  for (const m of minerHours) {
    const picked = pickMinerHour(m);
    if (!picked) continue;
    const k = `${m.siteId}\u0000${m.containerId}\u0000${m.hourStartMs}`;
    let s = sums.get(k)?.key;
    if (!s) {
      s = {
        siteId: m.siteId,
        containerId: m.containerId,
        hourStartMs: m.hourStartMs,
        meteredWh: 0,
        reportedWh: 0,
        estimatedWh: 0,
        meteredMinerHours: 0,
        reportedMinerHours: 0,
        estimatedMinerHours: 0,
      };
      sums.set(k, { key: s });
    }
    s[`${picked.provenance}Wh`] += picked.wh;
    s[`${picked.provenance}MinerHours`] += 1;
  }
  const lines: ContainerEnergyLine[] = [];
  for (const { key: s } of sums.values()) {
    const t = tariffs.get(s.siteId);
    if (!t) throw new Error(`site ${s.siteId}: no tariff, cannot price its energy`);
    lines.push({
      ...s,
      meteredWh: Math.round(s.meteredWh),
      reportedWh: Math.round(s.reportedWh),
      estimatedWh: Math.round(s.estimatedWh),
      currency: t.tariff.currency,
      ratePerKwhMicro: rateMicro(tariffRateAt(t.tariff, s.hourStartMs, t.timeZone)),
    });
  }
  return lines.sort(
    (a, b) =>
      byText(a.siteId, b.siteId) || byText(a.containerId, b.containerId) || a.hourStartMs - b.hourStartMs,
  );
}

/** The sources of an energy line of either shape: [provenance, Wh, miner-hours or null]. */
export function energyParts(
  e: EnergyLine | ContainerEnergyLine,
): { provenance: Provenance; wh: number; minerHours: number | null }[] {
  if ('provenance' in e) return [{ provenance: e.provenance, wh: e.energyWh, minerHours: null }];
  return (['estimated', 'metered', 'reported'] as const)
    .filter((p) => e[`${p}MinerHours`] > 0)
    .map((p) => ({ provenance: p, wh: e[`${p}Wh`], minerHours: e[`${p}MinerHours`] }));
}
