import type { Db, SqlValue } from '../core/storage/db.js';
import { type LatestRow, type Rollup, rollup } from './rollup.js';

const LATEST = `SELECT m.id AS miner_id, m.site_id, m.container_id, m.slot_id, s.rack, s.slot, l.at, l.hashrate_ths,
  l.expected_ths, l.power_w, l.power_provenance, l.chip_temp_max_c, l.state, l.online
  FROM miners m LEFT JOIN miner_latest l ON l.miner_id = m.id LEFT JOIN slots s ON s.id = m.slot_id`;

export async function latestRows(db: Db, where: string, params: SqlValue[]): Promise<LatestRow[]> {
  return db.all<LatestRow>(`${LATEST} WHERE m.status <> 'decommissioned' AND ${where}`, params);
}

/** PDU watts of a container (metered), or null when it has no fresh PDU reading. */
async function meteredW(db: Db, containerIds: string[], since: number): Promise<number | null> {
  if (containerIds.length === 0) return null;
  const rows = await db.all<{ power_w: number | null }>(
    `SELECT power_w FROM pdu_latest WHERE at >= ? AND container_id IN (${containerIds.map(() => '?').join(', ')})`,
    [since, ...containerIds],
  );
  const known = rows.filter((r) => r.power_w !== null);
  return known.length ? known.reduce((a, r) => a + r.power_w!, 0) : null;
}

export async function containerRollup(
  db: Db,
  containerId: string,
  now: number,
  offlineAfterMs: number,
): Promise<Rollup> {
  const rows = await latestRows(db, 'm.container_id = ?', [containerId]);
  return rollup(rows, now, offlineAfterMs, await meteredW(db, [containerId], now - offlineAfterMs));
}

/** Site roll-up: containers with PDUs count metered watts, the others their miners' figures. */
export async function siteRollup(
  db: Db,
  siteId: string,
  now: number,
  offlineAfterMs: number,
): Promise<Rollup> {
  const rows = await latestRows(db, 'm.site_id = ?', [siteId]);
  const byContainer = new Map<string, LatestRow[]>();
  for (const r of rows) {
    const k = r.container_id ?? '';
    byContainer.set(k, [...(byContainer.get(k) ?? []), r]);
  }
  const parts: Rollup[] = [];
  for (const [containerId, list] of byContainer) {
    const metered = containerId ? await meteredW(db, [containerId], now - offlineAfterMs) : null;
    parts.push(rollup(list, now, offlineAfterMs, metered));
  }
  return mergeRollups(parts);
}

export function mergeRollups(parts: Rollup[]): Rollup {
  const out = rollup([], 0, 0, null);
  for (const p of parts) {
    out.hashrateThs += p.hashrateThs;
    out.expectedThs += p.expectedThs;
    out.powerW += p.powerW;
    out.powerProvenance.reported += p.powerProvenance.reported;
    out.powerProvenance.estimated += p.powerProvenance.estimated;
    out.powerProvenance.metered += p.powerProvenance.metered;
    out.online += p.online;
    out.hashing += p.hashing;
    out.total += p.total;
    out.hottest.push(...p.hottest);
  }
  out.efficiencyJPerTh = out.hashrateThs > 0 ? out.powerW / out.hashrateThs : null;
  out.hottest = out.hottest.sort((a, b) => b.chipTempMaxC - a.chipTempMaxC).slice(0, 5);
  return out;
}

export type SlotRow = {
  slot_id: string;
  rack: string;
  slot: string;
  miner_id: string | null;
  serial: string | null;
  asset_code: string | null;
  model: string | null;
  status: string | null;
  at: number | null;
  state: string | null;
  hashrate_ths: number | null;
  expected_ths: number | null;
  chip_temp_max_c: number | null;
  power_w: number | null;
  power_provenance: string | null;
  online: number | null;
  pdu_id: string | null;
  outlet: number | null;
};

type ContainerRow = { id: string; site_id: string; name: string; agent_id: string | null };

/** Containers in id order, of one site or all. */
export async function listContainers(db: Db, siteId: string | undefined): Promise<ContainerRow[]> {
  return db.all<ContainerRow>(
    `SELECT id, site_id, name, agent_id FROM containers ${siteId ? 'WHERE site_id = ?' : ''} ORDER BY id`,
    siteId ? [siteId] : [],
  );
}

export async function getContainer(db: Db, id: string): Promise<ContainerRow | undefined> {
  return db.get<ContainerRow>('SELECT id, site_id, name, agent_id FROM containers WHERE id = ?', [id]);
}

/** A container's slots in rack and slot order, each with its miner, latest reading and PDU outlet. */
export async function containerSlots(db: Db, id: string): Promise<SlotRow[]> {
  return db.all<SlotRow>(
    `SELECT s.id AS slot_id, s.rack, s.slot, s.miner_id, m.serial, m.asset_code, m.model, m.status, l.at, l.state, l.hashrate_ths,
           l.expected_ths, l.chip_temp_max_c, l.power_w, l.power_provenance, l.online, o.pdu_id, o.outlet
         FROM slots s LEFT JOIN miners m ON m.id = s.miner_id LEFT JOIN miner_latest l ON l.miner_id = s.miner_id
         LEFT JOIN pdu_outlets o ON o.slot_id = s.id
         WHERE s.container_id = ? ORDER BY s.rack, s.slot`,
    [id],
  );
}

/** The latest reading of each PDU of a container. */
export async function containerPdus(db: Db, id: string) {
  return db.all<{
    pdu_id: string;
    at: number;
    power_w: number | null;
    sample_json: string;
  }>('SELECT pdu_id, at, power_w, sample_json FROM pdu_latest WHERE container_id = ? ORDER BY pdu_id', [id]);
}

export type SiteRow = {
  id: string;
  name: string;
  timezone: string;
  capacity_mw: number | null;
  capacity_slots: number | null;
  tariff_json: string;
};

export async function listSites(db: Db): Promise<SiteRow[]> {
  return db.all<SiteRow>('SELECT * FROM sites ORDER BY id');
}

export async function getSite(db: Db, id: string): Promise<SiteRow | undefined> {
  return db.get<SiteRow>('SELECT * FROM sites WHERE id = ?', [id]);
}

export async function siteContainers(db: Db, id: string) {
  return db.all<{ id: string; name: string; agent_id: string | null }>(
    'SELECT id, name, agent_id FROM containers WHERE site_id = ? ORDER BY id',
    [id],
  );
}

type AgentRow = {
  id: string;
  site_id: string | null;
  container_id: string | null;
  state: string;
  state_reason: string | null;
  state_at: number;
  boot_id: string | null;
  agent_version: string | null;
  poll_interval_ms: number | null;
  last_birth_at: number | null;
  last_seen_at: number | null;
  clock_skew_ms: number | null;
  metrics_json: string | null;
};

export async function listAgents(db: Db): Promise<AgentRow[]> {
  return db.all<AgentRow>('SELECT * FROM agents ORDER BY id');
}

/** Fleet events newest first, since a time and of a kind (a kind ending in "." is a prefix). */
export async function listEvents(db: Db, q: { since?: number; kind?: string; limit: number }) {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (q.since !== undefined) {
    where.push('at >= ?');
    params.push(q.since);
  }
  if (q.kind) {
    // A kind ending in "." is a prefix: `miner.` matches every miner event.
    where.push(q.kind.endsWith('.') ? 'kind LIKE ?' : 'kind = ?');
    params.push(q.kind.endsWith('.') ? `${q.kind}%` : q.kind);
  }
  return db.all<{
    id: string;
    at: number;
    kind: string;
    miner_id: string | null;
    agent_id: string | null;
    details_json: string;
  }>(
    `SELECT id, at, kind, miner_id, agent_id, details_json FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY at DESC LIMIT ?`,
    [...params, q.limit],
  );
}
