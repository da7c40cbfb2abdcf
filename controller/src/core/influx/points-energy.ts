import {
  type ContainerHour,
  hashrateThs,
  parseTariff,
  pickEnergy,
  tariffRateAt,
} from '../../energy/index.js';
import type { Db } from '../storage/db.js';
import type { InfluxPoint } from './sink.js';

/**
 * `energy`: one point per container and hour (at the hour's start) holding that hour's
 * `container_hourly` row as it stands, priced by the site's tariff the way a period close prices
 * it (best source per container-hour, rate of the site's local month and hour). Each message that
 * adds to an hour rewrites its point; InfluxDB keeps the last write of a series and timestamp,
 * so the stored point is the hour's total, late spool data included.
 */
export async function energyPoints(
  db: Db,
  siteId: string,
  containerId: string,
  hourStarts: readonly number[],
): Promise<InfluxPoint[]> {
  if (hourStarts.length === 0) return [];
  const site = await db.get<{ timezone: string | null; tariff_json: string }>(
    'SELECT timezone, tariff_json FROM sites WHERE id = ?',
    [siteId],
  );
  if (!site) return [];
  const tariff = parseTariff(site.tariff_json, siteId);
  const timeZone = site.timezone || 'UTC';
  const points: InfluxPoint[] = [];
  for (const hourStart of [...new Set(hourStarts)].sort((a, b) => a - b)) {
    const row = await db.get<{
      diff1_shares: number;
      energy_wh_metered: number | null;
      energy_wh_reported: number | null;
      energy_wh_estimated: number | null;
    }>(
      `SELECT diff1_shares, energy_wh_metered, energy_wh_reported, energy_wh_estimated
       FROM container_hourly WHERE site_id = ? AND container_id = ? AND hour_start = ?`,
      [siteId, containerId, hourStart],
    );
    if (!row) continue;
    const hour: ContainerHour = {
      siteId,
      containerId,
      hourStartMs: hourStart,
      diff1Shares: Number(row.diff1_shares),
      energyWhMetered: row.energy_wh_metered === null ? null : Number(row.energy_wh_metered),
      energyWhReported: row.energy_wh_reported === null ? null : Number(row.energy_wh_reported),
      energyWhEstimated: row.energy_wh_estimated === null ? null : Number(row.energy_wh_estimated),
    };
    points.push(energyPoint(hour, tariffRateAt(tariff, hourStart, timeZone), tariff.currency));
  }
  return points;
}

/** The point of one container-hour at a tariff rate (currency per kWh). Pure. */
export function energyPoint(hour: ContainerHour, ratePerKwh: number, currency: string): InfluxPoint {
  const best = pickEnergy(hour)?.wh ?? 0;
  return {
    measurement: 'energy',
    tags: { site: hour.siteId, container: hour.containerId, currency },
    fields: {
      energy_wh: best,
      energy_wh_metered: hour.energyWhMetered,
      energy_wh_reported: hour.energyWhReported,
      energy_wh_estimated: hour.energyWhEstimated,
      rate_per_kwh: ratePerKwh,
      cost: (best / 1000) * ratePerKwh,
      diff1_shares: hour.diff1Shares,
      // Mean TH/s of the hour's accepted work = TH/s x hours: summed over hours, divides cost into cost per TH/s.
      work_ths_h: hashrateThs(hour.diff1Shares, 3600),
    },
    at: hour.hourStartMs,
  };
}
