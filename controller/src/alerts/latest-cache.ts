import type { Db } from '../core/storage/db.js';
import { latestFromRow, type MinerSource, type PlacementRow } from './read.js';
import type { LatestSample } from './snapshot.js';

/**
 * The leader's copy of every miner's latest sample, parsed once and refreshed each tick with only
 * the rows written since the last read, by `miner_latest.change_seq` (the cursor of migration
 * 0302_alerts_change_cursor, which says why it misses no row on either database).
 *
 * The first tick, and a tick after a gap longer than `rebuildAfterMs` (this replica was not the
 * leader, or the process just started), reads the whole table instead. Reads go in pages with a
 * yield between them, so a large read never holds the event loop for long.
 */
export type LatestCacheOptions = {
  /** A tick later than this after the previous one rebuilds the copy from the whole table. */
  rebuildAfterMs?: number;
  /** Rows per query; the event loop gets a turn between pages. */
  pageRows?: number;
};

type LatestRow = {
  miner_id: string;
  change_seq: number;
  at: number;
  received_at: number;
  online: number;
  error: string | null;
  state: string;
  sample_json: string;
};

const LATEST_PAGE_SQL = `SELECT miner_id, change_seq, at, received_at, online, error, state, sample_json
  FROM miner_latest WHERE change_seq >= ? AND (change_seq > ? OR (change_seq = ? AND miner_id > ?))
  ORDER BY change_seq, miner_id LIMIT ?`;

const PLACEMENT_PAGE_SQL = `SELECT m.id, m.model, m.status, m.site_id, m.container_id, m.slot_id, s.rack, s.slot
  FROM miners m LEFT JOIN slots s ON s.id = m.slot_id WHERE m.id > ? ORDER BY m.id LIMIT ?`;

export const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Where the next read starts: a stamp no row committed from now on can be below. SQLite: above
 * the highest stamp. PostgreSQL: the oldest transaction id still running.
 */
async function nextCursor(db: Db): Promise<number> {
  const sql =
    db.dialect === 'postgres'
      ? 'SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS next'
      : 'SELECT COALESCE(MAX(change_seq), 0) + 1 AS next FROM miner_latest';
  const row = await db.get<{ next: number | string }>(sql);
  return Number(row?.next ?? 0);
}

export type LatestCacheStats = {
  /** Whether this refresh read the whole table. */
  full: boolean;
  /** Rows read, and of them the ones whose stamp was new (parsed). */
  rowsRead: number;
  parsed: number;
};

export function createLatestCache(opts: LatestCacheOptions = {}) {
  const rebuildAfterMs = opts.rebuildAfterMs ?? 300_000;
  const pageRows = opts.pageRows ?? 5_000;
  const held = new Map<string, { seq: number; latest: LatestSample | null }>();
  let from: number | null = null;
  let lastNow = Number.NEGATIVE_INFINITY;
  let stats: LatestCacheStats = { full: true, rowsRead: 0, parsed: 0 };

  /** Brings the copy up to date: the rows stamped at or above the cursor, page by page. */
  async function refresh(db: Db, now: number): Promise<void> {
    const full = from === null || now < lastNow || now - lastNow > rebuildAfterMs;
    if (full) held.clear();
    const start = full ? 0 : from!;
    // Taken before reading: a row committed after this point carries a stamp at or above it.
    const next = await nextCursor(db);
    stats = { full, rowsRead: 0, parsed: 0 };
    let after = { seq: start - 1, id: '' };
    for (;;) {
      const rows = await db.all<LatestRow>(LATEST_PAGE_SQL, [
        start,
        after.seq,
        after.seq,
        after.id,
        pageRows,
      ]);
      for (const r of rows) {
        const seq = Number(r.change_seq);
        const had = held.get(r.miner_id);
        if (had?.seq === seq) continue;
        held.set(r.miner_id, { seq, latest: latestFromRow(r) });
        stats.parsed++;
      }
      stats.rowsRead += rows.length;
      if (rows.length < pageRows) break;
      const last = rows[rows.length - 1]!;
      after = { seq: Number(last.change_seq), id: last.miner_id };
      await yieldToLoop();
    }
    from = next;
    lastNow = now;
  }

  /** The fleet's miners in id order, each with its held sample (rows are read in pages). */
  const source: MinerSource = async (db) => {
    const rows: PlacementRow[] = [];
    let afterId = '';
    for (;;) {
      const page = await db.all<PlacementRow>(PLACEMENT_PAGE_SQL, [afterId, pageRows * 4]);
      for (const r of page) rows.push(r);
      if (page.length < pageRows * 4) break;
      afterId = page[page.length - 1]!.id;
      await yieldToLoop();
    }
    return { rows, latest: rows.map((r) => held.get(r.id)?.latest ?? null) };
  };

  return {
    refresh,
    source,
    /** What the last refresh read. */
    stats: () => stats,
    /** Forget everything: the next refresh reads the whole table. */
    reset() {
      held.clear();
      from = null;
    },
  };
}
