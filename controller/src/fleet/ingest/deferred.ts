import { type Db, insertRows, type SqlValue } from '../../core/storage/db.js';

/** One upsert written many rows at a time: `${head} VALUES (...), (...) ${tail}`. */
export type Upsert = {
  head: string;
  columns: number;
  tail: string;
  /**
   * For an upsert whose stored row ends up as one of the rows written for its key, whichever the
   * others were (a newest-wins guard, `DO NOTHING`): whether `next`, added after `held` for the
   * same key, is the one that would be left. The batch then writes only that row per key.
   */
  supersedes?: (held: readonly SqlValue[], next: readonly SqlValue[]) => boolean;
};

/** A row for an upsert, with the conflict key it touches. */
export type KeyedRow = { key: string; values: SqlValue[] };

/**
 * Rows of a batch's bulk upserts (miner_latest, miner_history, the hourly roll-ups, agents),
 * held until the batch has been applied and then written with one multi-row statement per
 * table and layer (issue 15 item 1) instead of a few statements per message.
 *
 * Exactly what writing them message by message does. An upsert with `supersedes` keeps one row
 * per key, the one its guard would have left. Otherwise a layer holds at most one row per conflict
 * key, and the rows of one key go into successive layers in the order they were added, so each
 * stored row sees the same upserts in the same order (the `WHERE excluded.at >= ...` guards and
 * the `+ excluded.x` sums give the same result, float sums included). Rows of different keys
 * never touch each other's row, so their order between them does not matter.
 *
 * A statement that reads what these tables hold must run after `flush` (ingest.ts flushes before
 * any message that is not plain telemetry, and telemetry.ts before its unreachable entries).
 */
export class Deferred {
  readonly #tables = new Map<Upsert, KeyedRow[]>();
  // Per upsert with `supersedes`: where each key's row is in its list.
  readonly #at = new Map<Upsert, Map<string, number>>();
  readonly #reads = new Map<string, Promise<unknown>>();

  /**
   * A read made once per batch and reused by its later telemetry messages, for tables that
   * applying telemetry does not write (e.g. a container's metered slots); forgotten at each flush,
   * that is before any other kind of message is applied.
   */
  read<T>(key: string, load: () => Promise<T>): Promise<T> {
    let held = this.#reads.get(key) as Promise<T> | undefined;
    if (!held) {
      held = load();
      this.#reads.set(key, held);
    }
    return held;
  }

  add(upsert: Upsert, rows: readonly KeyedRow[]): void {
    if (rows.length === 0) return;
    let held = this.#tables.get(upsert);
    if (!held) {
      held = [];
      this.#tables.set(upsert, held);
    }
    const supersedes = upsert.supersedes;
    if (!supersedes) {
      for (const r of rows) held.push(r);
      return;
    }
    let at = this.#at.get(upsert);
    if (!at) {
      at = new Map();
      this.#at.set(upsert, at);
    }
    for (const r of rows) {
      const i = at.get(r.key);
      if (i === undefined) {
        at.set(r.key, held.length);
        held.push(r);
      } else if (supersedes(held[i]!.values, r.values)) held[i] = r;
    }
  }

  /** Writes everything held, tables in the order first added, and forgets it. */
  async flush(db: Db): Promise<void> {
    const tables = [...this.#tables];
    this.#tables.clear();
    this.#at.clear();
    this.#reads.clear();
    for (const [upsert, rows] of tables) {
      // One statement per layer on PostgreSQL (unnest, prepared once), 200 rows a statement on SQLite.
      for (const layer of layers(rows)) await insertRows(db, upsert.head, layer, upsert.tail);
    }
  }
}

/** Rows split so no layer repeats a key; a key's rows land in successive layers in their order. */
export function layers(rows: readonly KeyedRow[]): SqlValue[][][] {
  const out: SqlValue[][][] = [];
  const depth = new Map<string, number>();
  for (const r of rows) {
    const d = depth.get(r.key) ?? 0;
    depth.set(r.key, d + 1);
    if (d === out.length) out.push([]);
    out[d]!.push(r.values);
  }
  return out;
}
