import type { Db } from '../core/storage/db.js';
import { latestSelect } from '../fleet/index.js';
import { STAMPED_TABLES } from './migration.js';
import { yieldToLoop } from './pace.js';
import {
  type KnownWorker,
  knownWorkerOfRow,
  latestFromRow,
  type MinerSource,
  type OutletRow,
  PDUS_SQL,
  type PduRead,
  type PduRow,
  type PlacementRow,
  pduFromRow,
  type SnapshotSource,
  type WorkerRow,
} from './read.js';
import type { LatestSample, MinerSnapshot } from './snapshot.js';

/**
 * The leader's copy of the rows the tick reads per miner (latest samples, parsed once; miners and
 * their slots; PDU outlets; known-good workers), refreshed each tick with only the rows written
 * since the last read, by their `change_seq` stamps (migrations 0302 and 0303 in migration.ts,
 * which say why the cursor misses no row on either database).
 *
 * The first tick, and a tick after a gap longer than `rebuildAfterMs` (this replica was not the
 * leader, or the process just started), reads the whole tables instead. Reads go in pages with a
 * yield between them, so a large read never holds the event loop for long.
 */
export type LatestCacheOptions = {
  /** A tick later than this after the previous one rebuilds the copy from the whole tables. */
  rebuildAfterMs?: number;
  /** Rows per query; the event loop gets a turn between pages. */
  pageRows?: number;
};

export type LatestCacheStats = {
  /** Whether this refresh read the whole tables. */
  full: boolean;
  /** miner_latest rows read, and of them the ones whose stamp was new (parsed). */
  rowsRead: number;
  parsed: number;
  /** Rows of the other tables taken in (new stamps). */
  otherRows: number;
  /** PDU samples parsed (new readings). */
  pdusParsed: number;
};

type Row = Record<string, unknown> & { change_seq: number | string };

/**
 * Where the next read of `table` starts: a stamp no row committed from now on can be below.
 * SQLite: above the table's highest stamp. PostgreSQL: the oldest transaction id still running.
 */
async function nextCursor(db: Db, table: string): Promise<number> {
  const sql =
    db.dialect === 'postgres'
      ? 'SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS next'
      : `SELECT COALESCE(MAX(change_seq), 0) + 1 AS next FROM ${table}`;
  const row = await db.get<{ next: number | string }>(sql);
  return Number(row?.next ?? 0);
}

/**
 * One stamped table held in memory by key, refreshed from its cursor page by page; `onSet` hears
 * every row taken in.
 */
function stampedTable<V>(
  table: string,
  key: string[],
  select: string,
  value: (r: Row) => V,
  onSet?: (key: string, value: V) => void,
) {
  const held = new Map<string, { seq: number; value: V }>();
  let from: number | null = null;
  const order = ['change_seq', ...key].join(', ');
  const firstPage = `SELECT change_seq, ${select} FROM ${table} WHERE change_seq >= ? ORDER BY ${order} LIMIT ?`;
  const nextPage = `SELECT change_seq, ${select} FROM ${table} WHERE change_seq >= ? AND (${order}) > (${[
    'change_seq',
    ...key,
  ]
    .map(() => '?')
    .join(', ')}) ORDER BY ${order} LIMIT ?`;
  const keyOf = (r: Row) => (key.length === 1 ? String(r[key[0]!]) : key.map((k) => r[k]).join('\u0000'));

  async function refresh(db: Db, full: boolean, pageRows: number) {
    if (full) {
      held.clear();
      from = null;
    }
    const start = from ?? 0;
    // Taken before reading: a row committed after this point carries a stamp at or above it.
    const next = await nextCursor(db, table);
    let rowsRead = 0;
    let taken = 0;
    let after: Row | null = null;
    for (;;) {
      const rows: Row[] = after
        ? await db.all<Row>(nextPage, [
            start,
            after.change_seq,
            ...key.map((k) => after![k] as string | number),
            pageRows,
          ])
        : await db.all<Row>(firstPage, [start, pageRows]);
      for (const r of rows) {
        const seq = Number(r.change_seq);
        const k = keyOf(r);
        if (held.get(k)?.seq === seq) continue;
        const v = value(r);
        held.set(k, { seq, value: v });
        onSet?.(k, v);
        taken++;
      }
      rowsRead += rows.length;
      if (rows.length < pageRows) break;
      after = rows[rows.length - 1]!;
      await yieldToLoop();
    }
    from = next;
    return { rowsRead, taken };
  }
  return { held, refresh };
}

const stamped = <V>(
  table: keyof typeof STAMPED_TABLES,
  value: (r: Row) => V,
  onSet?: (key: string, value: V) => void,
) => {
  const { key, columns } = STAMPED_TABLES[table]!;
  return stampedTable(table, key, [...key, ...columns].join(', '), value, onSet);
};

/** What the leader holds per miner, reached from its placement row without a lookup by id. */
type Entry = {
  latest: LatestSample | null;
  known: KnownWorker | undefined;
  snapshot: MinerSnapshot | undefined;
};
type Placed = PlacementRow & { entry: Entry; outletRow: OutletRow | undefined };

/**
 * The leader's copy of the fleet for the alert tick (docs/architecture.md §4 step 10). Long because
 * it is a factory: the per-miner entries, the stamped tables and the cursors are shared by its
 * methods through the closure.
 */
export function createLatestCache(opts: LatestCacheOptions = {}) {
  const rebuildAfterMs = opts.rebuildAfterMs ?? 300_000;
  const pageRows = opts.pageRows ?? 500;
  /** Per miner id: its held sample, known-good worker and snapshot object (emptied by a full read). */
  const entries = new Map<string, Entry>();
  const entryOf = (id: string): Entry => {
    let e = entries.get(id);
    if (!e) {
      e = { latest: null, known: undefined, snapshot: undefined };
      entries.set(id, e);
    }
    return e;
  };
  const latest = stampedTable<LatestSample | null>(
    'miner_latest',
    ['miner_id'],
    `miner_id, ${latestSelect()}`,
    (r) => latestFromRow(r as unknown as Parameters<typeof latestFromRow>[0]),
    (id, v) => {
      entryOf(id).latest = v;
    },
  );
  const miners = stamped('miners', (r) => r as unknown as Omit<PlacementRow, 'rack' | 'slot'>);
  const slots = stamped('slots', (r) => ({ rack: r['rack'] as string, slot: r['slot'] as string }));
  const outlets = stamped('pdu_outlets', (r) => r as unknown as OutletRow);
  const workers = stamped(
    'alert_known_workers',
    (r) => knownWorkerOfRow(r as unknown as WorkerRow),
    (id, v) => {
      entryOf(id).known = v;
    },
  );
  /** The outlet of each slot, made again only when pdu_outlets changed. */
  let outletBySlot: Map<string, OutletRow> | null = null;
  /**
   * Each PDU's parsed reading with what it was read at. pdu_latest carries no change stamp; a
   * PDU's reading is named by its time (ingest stores a sample only when its time is not older, so
   * an equal time is the same sample delivered again) and its container and site.
   */
  const heldPdus = new Map<string, { at: number; container: string; site: string | null; read: PduRead }>();
  let lastNow = Number.NEGATIVE_INFINITY;
  let placements: Placed[] | null = null;
  let stats: LatestCacheStats = { full: true, rowsRead: 0, parsed: 0, otherRows: 0, pdusParsed: 0 };

  /** Brings the copy up to date: the rows stamped at or above each table's cursor. */
  async function refresh(db: Db, now: number): Promise<void> {
    const full = now < lastNow || now - lastNow > rebuildAfterMs;
    if (full) {
      entries.clear();
      heldPdus.clear();
    }
    const l = await latest.refresh(db, full, pageRows);
    const placed =
      (await miners.refresh(db, full, pageRows)).taken + (await slots.refresh(db, full, pageRows)).taken;
    // Miners joined with their slots again only when either changed (no 100,000 objects a tick).
    if (placed > 0 || full) placements = null;
    const outletRows = (await outlets.refresh(db, full, pageRows)).taken;
    if (outletRows > 0 || full) {
      outletBySlot = null;
      placements = null;
    }
    const otherRows = placed + outletRows + (await workers.refresh(db, full, pageRows)).taken;
    stats = { full, rowsRead: l.rowsRead, parsed: l.taken, otherRows, pdusParsed: 0 };
    lastNow = now;
  }

  /** The outlet of each slot. */
  const outletMap = () => {
    if (!outletBySlot) {
      outletBySlot = new Map();
      for (const { value } of outlets.held.values())
        if (value.slot_id !== null) outletBySlot.set(value.slot_id, value);
    }
    return outletBySlot;
  };

  /**
   * The fleet's miners, each with its slot's rack and slot, its outlet and its entry (held sample,
   * known-good worker, snapshot object), joined again only when a placement or an outlet changed.
   */
  const minerSource: MinerSource = async () => {
    if (!placements) {
      placements = [];
      const bySlot = outletMap();
      for (const { value: m } of miners.held.values()) {
        const s = m.slot_id === null ? undefined : slots.held.get(m.slot_id)?.value;
        placements.push({
          ...m,
          rack: s?.rack ?? null,
          slot: s?.slot ?? null,
          entry: entryOf(m.id),
          outletRow: m.slot_id === null ? undefined : bySlot.get(m.slot_id),
        });
      }
    }
    return {
      rows: placements,
      latest: (r) => (r as Placed).entry.latest,
      outlet: (r) => (r as Placed).outletRow,
      known: (r) => (r as Placed).entry.known,
      kept: (r) => (r as Placed).entry.snapshot,
      keep: (r, m) => {
        (r as Placed).entry.snapshot = m;
      },
    };
  };

  /** Every PDU, parsed again only when its time, container or site changed since the last read. */
  async function pdus(db: Db): Promise<PduRead[]> {
    const rows = await db.all<Omit<PduRow, 'sample_json'>>(
      `SELECT p.pdu_id, p.container_id, p.at, c.site_id
       FROM pdu_latest p LEFT JOIN containers c ON c.id = p.container_id ORDER BY p.pdu_id`,
    );
    const stale = rows.filter((r) => {
      const h = heldPdus.get(r.pdu_id);
      return !h || h.at !== Number(r.at) || h.container !== r.container_id || h.site !== r.site_id;
    });
    for (let i = 0; i < stale.length; i += 250) {
      if (i > 0) await yieldToLoop();
      const part = stale.slice(i, i + 250);
      const read = await db.all<PduRow>(
        `${PDUS_SQL} WHERE p.pdu_id IN (${part.map(() => '?').join(', ')})`,
        part.map((r) => r.pdu_id),
      );
      stats.pdusParsed += read.length;
      for (const r of read)
        heldPdus.set(r.pdu_id, {
          at: Number(r.at),
          container: r.container_id,
          site: r.site_id,
          read: pduFromRow(r),
        });
    }
    if (heldPdus.size > rows.length) {
      const present = new Set(rows.map((r) => r.pdu_id));
      for (const id of heldPdus.keys()) if (!present.has(id)) heldPdus.delete(id);
    }
    const out: PduRead[] = [];
    for (const r of rows) {
      const h = heldPdus.get(r.pdu_id);
      if (h) out.push(h.read);
    }
    return out;
  }

  const source: SnapshotSource = {
    miners: minerSource,
    pdus,
    outlets: async () => outletMap(),
    workers: async () => ({
      get: (minerId: string): KnownWorker | undefined => workers.held.get(minerId)?.value,
    }),
    paced: true,
  };

  return {
    refresh,
    source,
    /** What the last refresh read. */
    stats: () => stats,
    /** Forget everything: the next refresh reads the whole tables. */
    reset() {
      lastNow = Number.NEGATIVE_INFINITY;
      placements = null;
      outletBySlot = null;
      entries.clear();
      heldPdus.clear();
    },
  };
}
