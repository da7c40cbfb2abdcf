import type { Db } from '../core/storage/db.js';
import { type Actual, type Drift, driftOf, localMinute } from './drift.js';
import { type ActiveState, type MinerPlace, resolveDesired } from './resolve.js';
import { activeStates } from './versions.js';

type Row = {
  id: string;
  site_id: string | null;
  container_id: string | null;
  model: string | null;
  rack: string | null;
  slot: string | null;
  serial: string | null;
  timezone: string | null;
  online: number | null;
  state: string | null;
  power_w: number | null;
  sample_json: string | null;
};

/** A miner with its place, what it should be and which of its fields are not. */
export type MinerDrift = {
  place: MinerPlace;
  serial: string | null;
  drift: Drift[];
  /** True when some desired state applies to it (a miner no scope names cannot drift). */
  managed: boolean;
};

// Miners being moved, stored or retired are not held to a desired state.
const FLEET_SQL = `SELECT m.id, m.site_id, m.container_id, m.model, s.rack, s.slot, m.serial, st.timezone,
  l.online, l.state, l.power_w, l.sample_json
  FROM miners m LEFT JOIN slots s ON s.id = m.slot_id LEFT JOIN sites st ON st.id = m.site_id
  LEFT JOIN miner_latest l ON l.miner_id = m.id
  WHERE m.status IN ('in_service', 'sleeping')`;

function actualOf(r: Row, now: number): Actual | null {
  if (r.sample_json === null) return null;
  let s: { pool?: Actual['pool']; powerLimitW?: number | null; firmwareVersion?: string | null } = {};
  try {
    s = JSON.parse(r.sample_json) as typeof s;
  } catch {
    // a corrupt stored sample judges nothing but the state
  }
  return {
    online: r.online === 1,
    state: r.state ?? 'error',
    pool: s.pool ?? null,
    powerW: r.power_w,
    powerLimitW: s.powerLimitW ?? null,
    firmwareVersion: s.firmwareVersion ?? null,
    localMinute: localMinute(now, r.timezone || 'UTC'),
  };
}

/** Every operable miner's drift from its latest reading, judged at `now` (sleep windows need it). */
export async function fleetDrift(db: Db, now: number, states?: ActiveState[]): Promise<MinerDrift[]> {
  const active = states ?? (await activeStates(db));
  const rows = await db.all<Row>(FLEET_SQL);
  return rows.map((r) => {
    const place: MinerPlace = {
      minerId: r.id,
      siteId: r.site_id,
      containerId: r.container_id,
      model: r.model,
      rack: r.rack,
      slot: r.slot,
    };
    const want = resolveDesired(active, place);
    return {
      place,
      serial: r.serial,
      managed: Object.keys(want).length > 0,
      drift: driftOf(want, place, actualOf(r, now)),
    };
  });
}

/**
 * Stores each drifted field with the time it was first seen drifted, so the grace period before a
 * `drift` alert counts from then; a field back in its desired state loses its row.
 */
export async function refreshDrift(db: Db, now: number): Promise<{ drifted: number }> {
  const fleet = await fleetDrift(db, now);
  const existing = new Map(
    (await db.all<{ miner_id: string; field: string }>('SELECT miner_id, field FROM desired_drift')).map(
      (r) => [`${r.miner_id}\u0000${r.field}`, true],
    ),
  );
  await db.tx(async (tx) => {
    for (const m of fleet) {
      for (const d of m.drift) {
        const key = `${m.place.minerId}\u0000${d.field}`;
        if (existing.delete(key)) {
          await tx.run(
            'UPDATE desired_drift SET desired = ?, actual = ?, version_id = ?, seen_at = ? WHERE miner_id = ? AND field = ?',
            [d.desired, d.actual, d.versionId, now, m.place.minerId, d.field],
          );
        } else {
          await tx.run(
            `INSERT INTO desired_drift (miner_id, field, desired, actual, version_id, since, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
            [m.place.minerId, d.field, d.desired, d.actual, d.versionId, now, now],
          );
        }
      }
    }
    for (const key of existing.keys()) {
      const [minerId, field] = key.split('\u0000') as [string, string];
      await tx.run('DELETE FROM desired_drift WHERE miner_id = ? AND field = ?', [minerId, field]);
    }
  });
  return { drifted: fleet.filter((m) => m.drift.length > 0).length };
}

/** Each drifted miner's longest-drifted field, as the `drift` alert judges it. */
export type DriftSince = { field: string; desired: string; actual: string | null; since: number };

export async function driftSince(db: Db): Promise<Map<string, DriftSince>> {
  const rows = await db.all<{
    miner_id: string;
    field: string;
    desired: string;
    actual: string | null;
    since: number;
  }>('SELECT miner_id, field, desired, actual, since FROM desired_drift ORDER BY since, field');
  const out = new Map<string, DriftSince>();
  for (const r of rows)
    if (!out.has(r.miner_id))
      out.set(r.miner_id, { field: r.field, desired: r.desired, actual: r.actual, since: Number(r.since) });
  return out;
}

/** When each of a miner's fields began to drift (from the stored rows), for the API. */
export async function sinceByField(db: Db, minerIds?: string[]): Promise<Map<string, number>> {
  const rows = minerIds
    ? await db.all<{ miner_id: string; field: string; since: number }>(
        `SELECT miner_id, field, since FROM desired_drift WHERE miner_id IN (${minerIds.map(() => '?').join(', ')})`,
        minerIds,
      )
    : await db.all<{ miner_id: string; field: string; since: number }>(
        'SELECT miner_id, field, since FROM desired_drift',
      );
  return new Map(rows.map((r) => [`${r.miner_id}\u0000${r.field}`, Number(r.since)]));
}
