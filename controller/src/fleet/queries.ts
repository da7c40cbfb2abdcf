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
