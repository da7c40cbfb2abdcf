import {
  type ContainerEnergyLine,
  containerEnergyLines,
  hashrateThs,
  type MinerHour,
  parseTariff,
  rateMicro,
  type SiteTariff,
  tariffRateAt,
} from '../../energy/index.js';
import type { Db } from '../storage/db.js';
import type { InfluxPoint } from './sink.js';

/** One container-hour's accepted work, as `container_hourly` holds it. */
export interface ContainerHourWork {
  siteId: string;
  containerId: string;
  hourStartMs: number;
  diff1Shares: number;
}

/**
 * `energy`: one point per container and hour (at the hour's start), priced the way a period close
 * bills it: the miner-hours of `miner_hourly_energy` each take their best source (`pickMinerHour`,
 * through `containerEnergyLines`, the function that makes a close's @3 energy lines), summed per
 * container-hour and priced at the site's tariff rate of that local month and hour. The hour's
 * accepted work comes from `container_hourly`. Each message that adds to an hour rewrites its
 * point; InfluxDB keeps the last write of a series and timestamp, so the stored point is the
 * hour's total, late spool data included.
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
  const siteTariff: SiteTariff = {
    tariff: parseTariff(site.tariff_json, siteId),
    timeZone: site.timezone || 'UTC',
  };
  const tariffs = new Map([[siteId, siteTariff]]);
  const points: InfluxPoint[] = [];
  for (const hourStart of [...new Set(hourStarts)].sort((a, b) => a - b)) {
    const work = await db.get<{ diff1_shares: number }>(
      'SELECT diff1_shares FROM container_hourly WHERE site_id = ? AND container_id = ? AND hour_start = ?',
      [siteId, containerId, hourStart],
    );
    const minerHours = await readMinerHours(db, siteId, containerId, hourStart);
    if (!work && minerHours.length === 0) continue;
    const [line] = containerEnergyLines(minerHours, tariffs);
    points.push(
      energyPoint(
        { siteId, containerId, hourStartMs: hourStart, diff1Shares: Number(work?.diff1_shares ?? 0) },
        line ?? null,
        {
          currency: siteTariff.tariff.currency,
          ratePerKwhMicro: rateMicro(tariffRateAt(siteTariff.tariff, hourStart, siteTariff.timeZone)),
        },
      ),
    );
  }
  return points;
}

const MINER_HOUR_FIELDS = [
  'meteredWh',
  'meteredN',
  'reportedWh',
  'reportedN',
  'estimatedWh',
  'estimatedN',
  'meteredS',
  'telemetryS',
] as const;

/** The `miner_hourly_energy` rows of one container-hour (PostgreSQL BIGINTs arrive as strings). */
async function readMinerHours(
  db: Db,
  siteId: string,
  containerId: string,
  hourStartMs: number,
): Promise<MinerHour[]> {
  const rows = await db.all<Record<(typeof MINER_HOUR_FIELDS)[number], number | string> & { unit: string }>(
    `SELECT unit, metered_wh AS "meteredWh", metered_n AS "meteredN", reported_wh AS "reportedWh",
       reported_n AS "reportedN", estimated_wh AS "estimatedWh", estimated_n AS "estimatedN",
       metered_s AS "meteredS", telemetry_s AS "telemetryS"
     FROM miner_hourly_energy WHERE site_id = ? AND container_id = ? AND hour_start = ? ORDER BY unit`,
    [siteId, containerId, hourStartMs],
  );
  return rows.map((r) => {
    const m: MinerHour = { siteId, containerId, hourStartMs, unit: r.unit } as MinerHour;
    for (const f of MINER_HOUR_FIELDS) m[f] = Number(r[f]);
    return m;
  });
}

/**
 * The point of one container-hour from its work and its priced energy line (null: no miner-hour
 * had energy, so the close bills nothing) at the site's rate of that hour (the line's own rate,
 * both from `tariffRateAt`). Wh per source are what the close bills from that source; `cost` is
 * Wh / 1000 x the rate, as the close prices it. Pure.
 */
export function energyPoint(
  work: ContainerHourWork,
  line: ContainerEnergyLine | null,
  price: { currency: string; ratePerKwhMicro: bigint },
): InfluxPoint {
  const wh = line ? line.meteredWh + line.reportedWh + line.estimatedWh : 0;
  const ratePerKwh = Number(line?.ratePerKwhMicro ?? price.ratePerKwhMicro) / 1e6;
  return {
    measurement: 'energy',
    tags: { site: work.siteId, container: work.containerId, currency: line?.currency ?? price.currency },
    fields: {
      energy_wh: wh,
      energy_wh_metered: line?.meteredWh ?? 0,
      energy_wh_reported: line?.reportedWh ?? 0,
      energy_wh_estimated: line?.estimatedWh ?? 0,
      rate_per_kwh: ratePerKwh,
      cost: (wh / 1000) * ratePerKwh,
      diff1_shares: work.diff1Shares,
      // Mean TH/s of the hour's accepted work = TH/s x hours: summed over hours, divides cost into cost per TH/s.
      work_ths_h: hashrateThs(work.diff1Shares, 3600),
    },
    at: work.hourStartMs,
  };
}
