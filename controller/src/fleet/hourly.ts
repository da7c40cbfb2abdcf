import type { Db } from '../core/storage/db.js';
import type { HourlyIncrement, MinerEnergyIncrement } from './work.js';

/** Adds increments to `container_hourly`; call in the same transaction as the ingest dedupe. */
export async function addHourly(
  db: Db,
  siteId: string,
  containerId: string,
  increments: readonly HourlyIncrement[],
): Promise<void> {
  for (const i of increments) {
    await db.run(
      `INSERT INTO container_hourly (site_id, container_id, hour_start, diff1_shares, diff1_shares_estimated,
         energy_wh_metered, energy_wh_reported, energy_wh_estimated, miner_uptime_s, samples)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (site_id, container_id, hour_start) DO UPDATE SET
         diff1_shares = container_hourly.diff1_shares + excluded.diff1_shares,
         diff1_shares_estimated = container_hourly.diff1_shares_estimated + excluded.diff1_shares_estimated,
         energy_wh_metered = container_hourly.energy_wh_metered + excluded.energy_wh_metered,
         energy_wh_reported = container_hourly.energy_wh_reported + excluded.energy_wh_reported,
         energy_wh_estimated = container_hourly.energy_wh_estimated + excluded.energy_wh_estimated,
         miner_uptime_s = container_hourly.miner_uptime_s + excluded.miner_uptime_s,
         samples = container_hourly.samples + excluded.samples`,
      [
        siteId,
        containerId,
        i.hourStart,
        i.diff1Shares,
        i.diff1SharesEstimated,
        i.energyWhMetered,
        i.energyWhReported,
        i.energyWhEstimated,
        Math.round(i.minerUptimeS),
        i.samples,
      ],
    );
  }
}

/** Adds per-miner energy to `miner_hourly_energy`; same transaction as the ingest dedupe. */
export async function addMinerEnergy(
  db: Db,
  siteId: string,
  containerId: string,
  increments: readonly MinerEnergyIncrement[],
): Promise<void> {
  for (const i of increments) {
    await db.run(
      `INSERT INTO miner_hourly_energy (site_id, container_id, hour_start, unit, metered_wh, metered_n,
         reported_wh, reported_n, estimated_wh, estimated_n, metered_s, telemetry_s)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (site_id, container_id, hour_start, unit) DO UPDATE SET
         metered_wh = miner_hourly_energy.metered_wh + excluded.metered_wh,
         metered_n = miner_hourly_energy.metered_n + excluded.metered_n,
         reported_wh = miner_hourly_energy.reported_wh + excluded.reported_wh,
         reported_n = miner_hourly_energy.reported_n + excluded.reported_n,
         estimated_wh = miner_hourly_energy.estimated_wh + excluded.estimated_wh,
         estimated_n = miner_hourly_energy.estimated_n + excluded.estimated_n,
         metered_s = miner_hourly_energy.metered_s + excluded.metered_s,
         telemetry_s = miner_hourly_energy.telemetry_s + excluded.telemetry_s`,
      [
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
    );
  }
}
