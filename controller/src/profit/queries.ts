import type { Db, SqlValue } from '../core/storage/db.js';

/** The rows profit needs (routes.ts shapes them): miners with their place and latest reading, sites, containers. */
export type ProfitMinerRow = {
  id: string;
  serial: string | null;
  asset_code: string | null;
  model: string | null;
  site_id: string | null;
  container_id: string | null;
  rack: string | null;
  slot: string | null;
  at: number | null;
  online: number | null;
  hashrate_ths: number | null;
  power_w: number | null;
  power_provenance: string | null;
};

export type ProfitFilter = { siteId?: string; containerId?: string; minerId?: string };

/** Miners in service that match, in site, container, rack and slot order. */
export async function profitMiners(db: Db, q: ProfitFilter): Promise<ProfitMinerRow[]> {
  const where = ["m.status <> 'decommissioned'"];
  const params: SqlValue[] = [];
  for (const [col, v] of [
    ['m.site_id', q.siteId],
    ['m.container_id', q.containerId],
    ['m.id', q.minerId],
  ] as const) {
    if (v === undefined) continue;
    where.push(`${col} = ?`);
    params.push(v);
  }
  return db.all<ProfitMinerRow>(
    `SELECT m.id, m.serial, m.asset_code, m.model, m.site_id, m.container_id, s.rack, s.slot,
       l.at, l.online, l.hashrate_ths, l.power_w, l.power_provenance
     FROM miners m LEFT JOIN slots s ON s.id = m.slot_id LEFT JOIN miner_latest l ON l.miner_id = m.id
     WHERE ${where.join(' AND ')}
     ORDER BY m.site_id, m.container_id, s.rack, s.slot, m.id`,
    params,
  );
}

export async function profitSites(
  db: Db,
): Promise<{ id: string; name: string; timezone: string | null; tariff_json: string | null }[]> {
  return db.all('SELECT id, name, timezone, tariff_json FROM sites ORDER BY id');
}

export async function profitContainers(db: Db): Promise<{ id: string; name: string; site_id: string }[]> {
  return db.all('SELECT id, name, site_id FROM containers ORDER BY id');
}
