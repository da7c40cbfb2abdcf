/**
 * The one query layer over SQLite (embedded default) and PostgreSQL (HA, replicas).
 *
 * Conventions every caller relies on:
 * - SQL is portable, with `?` placeholders (translated to `$1..` for PostgreSQL).
 * - Integers come back as JS `number`, except columns whose name ends in `_sats`, which come back
 *   as `bigint` on both drivers (money; pass bigint params for them).
 * - Booleans are stored as integers 0/1 and come back as numbers 0/1; boolean params are sent as 0/1.
 * - Timestamps are epoch-ms integers (BIGINT). Ids are TEXT.
 */
export type SqlValue = string | number | bigint | boolean | null;

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  readonly dialect: Dialect;
  /** Portable SQL with `?` placeholders (translated to $1.. for PostgreSQL). */
  all<T = Record<string, unknown>>(sql: string, params?: SqlValue[]): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, params?: SqlValue[]): Promise<T | undefined>;
  run(sql: string, params?: SqlValue[]): Promise<{ changes: number }>;
  /**
   * Many rows into one table: `head` is `INSERT INTO table (col, ...)`, `tail` what follows the
   * rows (an `ON CONFLICT` clause), neither with placeholders; each row has one value per column.
   * SQLite: multi-row `VALUES`, 200 rows a statement. PostgreSQL: one statement for all the rows,
   * `INSERT ... SELECT * FROM unnest($1::type[], ...)`, one array per column (types read from the
   * catalog once), prepared once per connection (issue 15 item 1). One statement must not touch a
   * row twice, so the rows of one call must not repeat a conflict key. Optional, so a wrapper of a
   * Db (tests, benches) need not carry it: callers go through `insertRows` below.
   */
  insertRows?(head: string, rows: readonly (readonly SqlValue[])[], tail?: string): Promise<void>;
  /** Runs fn in one transaction (nested calls join it). */
  tx<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Opens a database by URL:
 * - `sqlite::memory:` or `sqlite:/path/file.db` (also `sqlite:relative.db`)
 * - `postgres://user@host:port/db` with an optional `?schema=name` (created when missing and put
 *   first on the search_path, so tests and replicas of one deployment can share a server).
 */
export async function openDb(url: string): Promise<Db> {
  if (url.startsWith('sqlite:')) {
    const { openSqlite } = await import('./sqlite.js');
    return openSqlite(url.slice('sqlite:'.length));
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { openPostgres } = await import('./postgres.js');
    return openPostgres(url);
  }
  throw new Error(
    `storage.url: unsupported database URL "${redactUrl(url)}" (use sqlite:<path> or postgres://...)`,
  );
}

/** A URL with any password replaced, for logs and errors (secrets never in logs). */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@');
}

/** Whether a column carries money in satoshis (returned as bigint). */
export const isSatsColumn = (name: string): boolean => name.endsWith('_sats');

/** One trivial query: throws when the database does not answer (the readiness check). */
export async function pingDb(db: Db): Promise<void> {
  await db.get('SELECT 1 AS one');
}

/** The table and columns of an `INSERT INTO table (col, ...)` head (Db.insertRows). */
export function insertHead(head: string): { table: string; columns: string[] } {
  const m = /^\s*INSERT\s+INTO\s+([a-z_][a-z0-9_]*)\s*\(([^)]*)\)\s*$/i.exec(head);
  if (!m)
    throw new Error(
      `insertRows: the head must be "INSERT INTO table (col, ...)", got "${head.slice(0, 80)}"`,
    );
  const columns = m[2]!.split(',').map((c) => c.trim());
  if (columns.some((c) => !/^[a-z_][a-z0-9_]*$/i.test(c)))
    throw new Error(`insertRows: a column of "${head.slice(0, 80)}" is not a plain name`);
  return { table: m[1]!, columns };
}

/** Throws when a row of an insertRows call has not one value per column, or the tail has placeholders. */
export function checkRows(
  head: string,
  columns: number,
  rows: readonly (readonly SqlValue[])[],
  tail: string,
): void {
  if (tail.includes('?'))
    throw new Error(`insertRows: the tail of "${head.slice(0, 60)}" must not take parameters`);
  for (const r of rows)
    if (r.length !== columns)
      throw new Error(
        `insertRows: "${head.slice(0, 60)}" has ${columns} columns, a row has ${r.length} values`,
      );
}

/**
 * `db.insertRows`, or, for a Db without it (a wrapper), the same rows as multi-row `VALUES`
 * statements through `db.run`, 200 rows each.
 */
export async function insertRows(
  db: Db,
  head: string,
  rows: readonly (readonly SqlValue[])[],
  tail = '',
): Promise<void> {
  if (db.insertRows) return db.insertRows(head, rows, tail);
  if (rows.length === 0) return;
  const columns = insertHead(head).columns.length;
  checkRows(head, columns, rows, tail);
  const tuple = `(${Array(columns).fill('?').join(', ')})`;
  for (let i = 0; i < rows.length; i += 200) {
    const part = rows.slice(i, i + 200);
    await db.run(`${head} VALUES ${part.map(() => tuple).join(', ')} ${tail}`, part.flat());
  }
}
