import { insertMany } from '../core/storage/bulk.js';
import type { Db } from '../core/storage/db.js';
import type { KeyedRow, Upsert } from './ingest/deferred.js';
import type { HourlyIncrement, MinerEnergyIncrement } from './work.js';

const HOURLY: Upsert = {
  head: `INSERT INTO container_hourly (site_id, container_id, hour_start, diff1_shares, diff1_shares_estimated,
       energy_wh_metered, energy_wh_reported, energy_wh_estimated, miner_uptime_s, samples)`,
  columns: 10,
  tail: `ON CONFLICT (site_id, container_id, hour_start) DO UPDATE SET
       diff1_shares = container_hourly.diff1_shares + excluded.diff1_shares,
       diff1_shares_estimated = container_hourly.diff1_shares_estimated + excluded.diff1_shares_estimated,
       energy_wh_metered = container_hourly.energy_wh_metered + excluded.energy_wh_metered,
       energy_wh_reported = container_hourly.energy_wh_reported + excluded.energy_wh_reported,
       energy_wh_estimated = container_hourly.energy_wh_estimated + excluded.energy_wh_estimated,
       miner_uptime_s = container_hourly.miner_uptime_s + excluded.miner_uptime_s,
       samples = container_hourly.samples + excluded.samples`,
};

const MINER_ENERGY: Upsert = {
  head: `INSERT INTO miner_hourly_energy (site_id, container_id, hour_start, unit, metered_wh, metered_n,
       reported_wh, reported_n, estimated_wh, estimated_n, metered_s, telemetry_s)`,
  columns: 12,
  tail: `ON CONFLICT (site_id, container_id, hour_start, unit) DO UPDATE SET
       metered_wh = miner_hourly_energy.metered_wh + excluded.metered_wh,
       metered_n = miner_hourly_energy.metered_n + excluded.metered_n,
       reported_wh = miner_hourly_energy.reported_wh + excluded.reported_wh,
       reported_n = miner_hourly_energy.reported_n + excluded.reported_n,
       estimated_wh = miner_hourly_energy.estimated_wh + excluded.estimated_wh,
       estimated_n = miner_hourly_energy.estimated_n + excluded.estimated_n,
       metered_s = miner_hourly_energy.metered_s + excluded.metered_s,
       telemetry_s = miner_hourly_energy.telemetry_s + excluded.telemetry_s`,
};

/**
 * One message's increments to `container_hourly`, summed per hour (the uptime rounded per message
 * and hour, as stored), for `Deferred.add` (ingest/deferred.ts) or `addHourly`.
 */
export function hourlyRows(
  siteId: string,
  containerId: string,
  increments: readonly HourlyIncrement[],
): [Upsert, KeyedRow[]] {
  const byHour = sumBy(
    increments.map((i) => ({ ...i, minerUptimeS: Math.round(i.minerUptimeS) })),
    (i) => String(i.hourStart),
  );
  return [
    HOURLY,
    byHour.map((i) => ({
      key: `${siteId}\u0000${containerId}\u0000${i.hourStart}`,
      values: [
        siteId,
        containerId,
        i.hourStart,
        i.diff1Shares,
        i.diff1SharesEstimated,
        i.energyWhMetered,
        i.energyWhReported,
        i.energyWhEstimated,
        i.minerUptimeS,
        i.samples,
      ],
    })),
  ];
}

/** One message's per-miner energy for `miner_hourly_energy`, summed per hour and unit. */
export function minerEnergyRows(
  siteId: string,
  containerId: string,
  increments: readonly MinerEnergyIncrement[],
): [Upsert, KeyedRow[]] {
  return [
    MINER_ENERGY,
    sumBy(increments, (i) => `${i.hourStart}\u0000${i.unit}`).map((i) => ({
      key: `${siteId}\u0000${containerId}\u0000${i.hourStart}\u0000${i.unit}`,
      values: [
        siteId,
        containerId,
        i.hourStart,
        i.unit,
        i.meteredWh,
        i.meteredN,
        i.reportedWh,
        i.reportedN,
        i.estimatedWh,
        i.estimatedN,
        i.meteredS,
        i.telemetryS,
      ],
    })),
  ];
}

const writeNow = async (db: Db, [upsert, rows]: [Upsert, KeyedRow[]]) =>
  insertMany(
    db,
    upsert.head,
    upsert.columns,
    rows.map((r) => r.values),
    upsert.tail,
  );

/**
 * Adds increments to `container_hourly`; call in the same transaction as the ingest dedupe.
 * Increments of one hour are summed first, then written in one multi-row statement per 200 hours
 * (one round trip instead of one per increment: it matters on PostgreSQL, issue 15).
 */
export async function addHourly(
  db: Db,
  siteId: string,
  containerId: string,
  increments: readonly HourlyIncrement[],
): Promise<void> {
  await writeNow(db, hourlyRows(siteId, containerId, increments));
}

/**
 * Adds per-miner energy to `miner_hourly_energy`; same transaction as the ingest dedupe. Summed
 * per hour and unit, then multi-row like addHourly.
 */
export async function addMinerEnergy(
  db: Db,
  siteId: string,
  containerId: string,
  increments: readonly MinerEnergyIncrement[],
): Promise<void> {
  await writeNow(db, minerEnergyRows(siteId, containerId, increments));
}

/**
 * Sums rows that share a key (every numeric field but the key's own), in first-seen order: a
 * multi-row upsert may not touch one row twice.
 */
function sumBy<T extends object>(rows: readonly T[], key: (row: T) => string): T[] {
  const out = new Map<string, T>();
  for (const row of rows) {
    const k = key(row);
    const prev = out.get(k);
    if (!prev) {
      out.set(k, { ...row });
      continue;
    }
    const sum = prev as Record<string, unknown>;
    for (const [field, value] of Object.entries(row))
      if (typeof value === 'number' && field !== 'hourStart') sum[field] = (sum[field] as number) + value;
  }
  return [...out.values()];
}
