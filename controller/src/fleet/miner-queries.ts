import type { Db, SqlValue } from '../core/storage/db.js';
import type { MinerStatus } from './inventory/types.js';
import { type LatestColumns, latestSelect, type Nullable } from './latest-row.js';

/** The miner queries of the fleet routes (`routes/miners.ts`): rows as stored, the routes shape them. */
export type MinerListRow = {
  id: string;
  serial: string | null;
  asset_code: string | null;
  /** The newest IP and MAC its agents reported (or the import planned). */
  ip: string | null;
  mac: string | null;
  model: string | null;
  profile: string | null;
  firmware_version: string | null;
  status: string;
  site_id: string | null;
  container_id: string | null;
  slot_id: string | null;
  rack: string | null;
  slot: string | null;
  at: number | null;
  state: string | null;
  hashrate_ths: number | null;
  expected_ths: number | null;
  chip_temp_max_c: number | null;
  power_w: number | null;
  power_provenance: string | null;
  online: number | null;
};

const newest = (kind: string) =>
  `(SELECT i.value FROM miner_identities i WHERE i.miner_id = m.id AND i.kind = '${kind}'
    ORDER BY i.last_seen DESC LIMIT 1) AS ${kind}`;

const SELECT = `SELECT m.id, m.serial, m.asset_code, ${newest('ip')}, ${newest('mac')}, m.model, m.profile,
  m.firmware_version, m.status, m.site_id, m.container_id,
  m.slot_id, s.rack, s.slot, l.at, l.state, l.hashrate_ths, l.expected_ths, l.chip_temp_max_c, l.power_w,
  l.power_provenance, l.online
  FROM miners m LEFT JOIN slots s ON s.id = m.slot_id LEFT JOIN miner_latest l ON l.miner_id = m.id`;

export type MinerFilter = {
  siteId?: string;
  containerId?: string;
  status?: MinerStatus;
  model?: string;
  /**
   * Matches as a substring: serial, asset code, model, id, slot as stored (`R2/S9` or `S9`), or any
   * identity value (IP, MAC).
   */
  q?: string;
};

/** One page of the miners that match, in container, rack and slot order, and how many match in all. */
export async function listMiners(
  db: Db,
  q: MinerFilter,
  limit: number,
  offset: number,
): Promise<{ total: number; rows: MinerListRow[] }> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  const eq = (col: string, v: string | undefined) => {
    if (v !== undefined) {
      where.push(`${col} = ?`);
      params.push(v);
    }
  };
  eq('m.site_id', q.siteId);
  eq('m.container_id', q.containerId);
  eq('m.status', q.status);
  eq('m.model', q.model);
  if (q.q) {
    const like = `%${q.q.toLowerCase()}%`;
    where.push(
      `(LOWER(m.serial) LIKE ? OR LOWER(m.asset_code) LIKE ? OR LOWER(m.model) LIKE ? OR LOWER(m.id) LIKE ?
        OR LOWER(s.rack || '/' || s.slot) LIKE ?
        OR m.id IN (SELECT miner_id FROM miner_identities WHERE LOWER(value) LIKE ?))`,
    );
    params.push(like, like, like, like, like, like);
  }
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = await db.get<{ n: number }>(
    `SELECT COUNT(*) AS n FROM miners m LEFT JOIN slots s ON s.id = m.slot_id ${clause}`,
    params,
  );
  const rows = await db.all<MinerListRow>(
    `${SELECT} ${clause} ORDER BY m.container_id, s.rack, s.slot, m.id LIMIT ? OFFSET ?`,
    [...params, limit, offset],
  );
  return { total: total?.n ?? 0, rows };
}

/** A miner with its place and latest reading, and its purchase and warranty dates; undefined if unknown. */
export async function getMinerRow(db: Db, id: string) {
  return db.get<MinerListRow & { purchase_date: string | null; warranty_end: string | null }>(
    `${SELECT.replace('SELECT m.id,', 'SELECT m.id, m.purchase_date, m.warranty_end,')} WHERE m.id = ?`,
    [id],
  );
}

/** A miner's last sample, its identities (newest first per kind) and its last 100 locations. */
export async function minerDetail(db: Db, id: string) {
  const latest = await db.get<Nullable<LatestColumns> & { sample_json: string; received_at: number }>(
    `SELECT sample_json, ${latestSelect()} FROM miner_latest WHERE miner_id = ?`,
    [id],
  );
  const identities = await db.all<{
    kind: string;
    value: string;
    first_seen: number;
    last_seen: number;
  }>(
    'SELECT kind, value, first_seen, last_seen FROM miner_identities WHERE miner_id = ? ORDER BY kind, last_seen DESC',
    [id],
  );
  const locations = await db.all<Record<string, unknown>>(
    'SELECT at, site_id, container_id, slot_id, status, reason FROM miner_locations WHERE miner_id = ? ORDER BY at DESC LIMIT 100',
    [id],
  );
  return { latest, identities, locations };
}

/** The InfluxQL for a miner's history in `stepS` buckets (the caller checks `id` is a plain name). */
export function minerHistoryInfluxQl(id: string, from: number, to: number, stepS: number): string {
  return `SELECT mean(hashrate_ths) AS hashrate_ths, max(chip_temp_max_c) AS chip_temp_max_c, mean(power_w) AS power_w FROM miner WHERE miner = '${id}' AND time >= ${from}ms AND time < ${to}ms GROUP BY time(${stepS}s) fill(none)`;
}

/** A miner's history from the SQL table, averaged in `stepMs` buckets. */
export async function minerHistory(db: Db, id: string, from: number, to: number, stepMs: number) {
  return db.all<{
    bucket: number;
    hashrate_ths: number | null;
    chip_temp_max_c: number | null;
    power_w: number | null;
  }>(
    `SELECT (minute / ?) * ? AS bucket, AVG(hashrate_ths) AS hashrate_ths, MAX(chip_temp_max_c) AS chip_temp_max_c,
           AVG(power_w) AS power_w
         FROM miner_history WHERE miner_id = ? AND minute >= ? AND minute < ?
         GROUP BY bucket ORDER BY bucket`,
    [stepMs, stepMs, id, from, to],
  );
}

/** A miner's last 500 events, newest first. */
export async function minerEvents(db: Db, id: string) {
  return db.all<{
    id: string;
    at: number;
    kind: string;
    agent_id: string | null;
    details_json: string;
  }>(
    'SELECT id, at, kind, agent_id, details_json FROM events WHERE miner_id = ? ORDER BY at DESC LIMIT 500',
    [id],
  );
}
