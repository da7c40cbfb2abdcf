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
