import { yieldToLoop } from '../core/jobs.js';
import { type Db, insertRows, type SqlValue } from '../core/storage/db.js';
import { poolOf } from '../fleet/index.js';
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
  power_limit_w: number | null;
  pool_url: string | null;
  pool_user: string | null;
  firmware_version: string | null;
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
  l.online, l.state, l.power_w, l.power_limit_w, l.pool_url, l.pool_user, l.firmware_version
  FROM miners m LEFT JOIN slots s ON s.id = m.slot_id LEFT JOIN sites st ON st.id = m.site_id
  LEFT JOIN miner_latest l ON l.miner_id = m.id
  WHERE m.status IN ('in_service', 'sleeping')`;

/** What a miner shows, from its latest sample's columns (fleet/latest-row.ts); null without one. */
function actualOf(r: Row, minute: number): Actual | null {
  if (r.state === null) return null;
  return {
    online: r.online === 1,
    state: r.state,
    pool: poolOf(r),
    powerW: r.power_w,
    powerLimitW: r.power_limit_w,
    firmwareVersion: r.firmware_version,
    localMinute: minute,
  };
}

/** Miners judged between turns of the event loop (core/jobs.ts yieldToLoop). */
const PIECE = 2_000;

/**
 * Every operable miner's drift from its latest reading, judged at `now` (sleep windows need it).
 * The latest sample's figures are read from their columns (fleet/latest-row.ts), only a miner
 * some desired state applies to is judged, each site's local minute is worked out once (a formatter per miner was most of this at 100,000 miners), and the
 * event loop gets a turn every 2,000 miners: the whole pass held it for about a second at 20,000
 * miners in the scale rehearsal (controller/bench/scale.bench.ts), every 15 s.
 */
export async function fleetDrift(db: Db, now: number, states?: ActiveState[]): Promise<MinerDrift[]> {
  const active = states ?? (await activeStates(db));
  const rows = await db.all<Row>(FLEET_SQL);
  const minutes = new Map<string, number>();
  const minuteAt = (tz: string) => {
    const known = minutes.get(tz);
    if (known !== undefined) return known;
    const m = localMinute(now, tz);
    minutes.set(tz, m);
    return m;
  };
  const out: MinerDrift[] = [];
  for (const [i, r] of rows.entries()) {
    if (i > 0 && i % PIECE === 0) await yieldToLoop();
    const place: MinerPlace = {
      minerId: r.id,
      siteId: r.site_id,
      containerId: r.container_id,
      model: r.model,
      rack: r.rack,
      slot: r.slot,
    };
    const want = resolveDesired(active, place);
    const managed = Object.keys(want).length > 0;
    out.push({
      place,
      serial: r.serial,
      managed,
      // A miner no desired state names has no field to drift (driftOf of nothing is nothing).
      drift: managed ? driftOf(want, place, actualOf(r, minuteAt(r.timezone || 'UTC'))) : [],
    });
  }
  return out;
}

/**
 * Stores each drifted field with the time it was first seen drifted, so the grace period before a
 * `drift` alert counts from then; a field back in its desired state loses its row. Written many
 * rows a statement (core/storage/db.ts insertRows), where each field was a statement of its own.
 */
export async function refreshDrift(db: Db, now: number): Promise<{ drifted: number }> {
  const fleet = await fleetDrift(db, now);
  const existing = new Set(
    (await db.all<{ miner_id: string; field: string }>('SELECT miner_id, field FROM desired_drift')).map(
      (r) => `${r.miner_id}\u0000${r.field}`,
    ),
  );
  const rows: SqlValue[][] = [];
  for (const m of fleet)
    for (const d of m.drift) {
      existing.delete(`${m.place.minerId}\u0000${d.field}`);
      rows.push([m.place.minerId, d.field, d.desired, d.actual, d.versionId, now, now]);
    }
  const gone = [...existing].map((key) => key.split('\u0000') as [string, string]);
  if (rows.length || gone.length)
    await db.tx(async (tx) => {
      // `since` stays as first stored: the conflict clause leaves it alone.
      if (rows.length)
        await insertRows(
          tx,
          'INSERT INTO desired_drift (miner_id, field, desired, actual, version_id, since, seen_at)',
          rows,
          `ON CONFLICT (miner_id, field) DO UPDATE SET desired = excluded.desired, actual = excluded.actual,
           version_id = excluded.version_id, seen_at = excluded.seen_at`,
        );
      for (let i = 0; i < gone.length; i += 250) {
        const part = gone.slice(i, i + 250);
        await tx.run(
          `DELETE FROM desired_drift WHERE (miner_id, field) IN (VALUES ${part.map(() => '(?, ?)').join(', ')})`,
          part.flat(),
        );
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
