import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { checkRows, type Db, insertHead, isSatsColumn, type SqlValue } from './db.js';

type Statement = Database.Statement<unknown[], Record<string, unknown>>;

const ROWS_PER_STATEMENT = 200;
const rowTexts = new Map<string, string>();

/** `${head} VALUES (?, ...), ... ${tail}` for `n` rows, built once per head, row count and tail. */
function rowsStatement(head: string, columns: number, n: number, tail: string): string {
  const key = `${n}\u0000${head}\u0000${tail}`;
  let sql = rowTexts.get(key);
  if (!sql) {
    const tuple = `(${Array(columns).fill('?').join(', ')})`;
    sql = `${head} VALUES ${Array(n).fill(tuple).join(', ')} ${tail}`;
    if (rowTexts.size >= 2000) rowTexts.clear();
    rowTexts.set(key, sql);
  }
  return sql;
}

/**
 * SQLite through better-sqlite3. The driver is synchronous, so transactions are serialised with
 * an async lock: while one `tx` runs, other callers wait; calls made inside the transaction
 * (found through AsyncLocalStorage) join it.
 */
export function openSqlite(path: string): Db {
  const file = path === ':memory:' || path === '' ? ':memory:' : path;
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const raw = new Database(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 5000');
  const cache = new Map<string, { stmt: Statement; reader: boolean; sats: boolean }>();
  const inTx = new AsyncLocalStorage<true>();
  let lock: Promise<void> = Promise.resolve();

  const prepare = (sql: string) => {
    let entry = cache.get(sql);
    if (!entry) {
      const stmt = raw.prepare(sql) as Statement;
      const reader = stmt.reader;
      const sats = reader && stmt.columns().some((c) => isSatsColumn(c.name));
      if (sats) stmt.safeIntegers(true);
      entry = { stmt, reader, sats };
      // The oldest prepared statement goes, not all of them: ingest's multi-row statements (one
      // text per row count) would otherwise clear the hot ones with them every few batches.
      if (cache.size >= 2000) cache.delete(cache.keys().next().value!);
      cache.set(sql, entry);
    }
    return entry;
  };

  const bind = (params: SqlValue[] = []) =>
    params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p)) as unknown[];

  // Sats columns need safeIntegers; every other integer of such a row goes back to number.
  const normalise = (row: Record<string, unknown>): Record<string, unknown> => {
    for (const key of Object.keys(row)) {
      const v = row[key];
      if (typeof v === 'bigint' && !isSatsColumn(key)) row[key] = Number(v);
      else if (typeof v === 'number' && isSatsColumn(key)) row[key] = BigInt(v);
    }
    return row;
  };

  const waitTurn = async (): Promise<void> => {
    if (inTx.getStore()) return;
    await lock;
  };

  const db: Db = {
    dialect: 'sqlite',
    async all<T>(sql: string, params?: SqlValue[]) {
      await waitTurn();
      const { stmt, sats } = prepare(sql);
      const rows = stmt.all(...bind(params)) as Record<string, unknown>[];
      return (sats ? rows.map(normalise) : rows) as T[];
    },
    async get<T>(sql: string, params?: SqlValue[]) {
      await waitTurn();
      const { stmt, sats } = prepare(sql);
      const row = stmt.get(...bind(params)) as Record<string, unknown> | undefined;
      return (row && sats ? normalise(row) : row) as T | undefined;
    },
    async run(sql: string, params?: SqlValue[]) {
      await waitTurn();
      const { stmt, reader } = prepare(sql);
      if (reader) {
        stmt.all(...bind(params));
        return { changes: 0 };
      }
      return { changes: stmt.run(...bind(params)).changes };
    },
    async insertRows(head: string, rows: readonly (readonly SqlValue[])[], tail = '') {
      if (rows.length === 0) return;
      const columns = insertHead(head).columns.length;
      checkRows(head, columns, rows, tail);
      await waitTurn();
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
        const n = Math.min(ROWS_PER_STATEMENT, rows.length - i);
        const params: unknown[] = new Array(n * columns);
        let k = 0;
        for (let r = i; r < i + n; r++)
          for (const v of rows[r]!) params[k++] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
        prepare(rowsStatement(head, columns, n, tail)).stmt.run(...params);
      }
    },
    async tx<T>(fn: (db: Db) => Promise<T>): Promise<T> {
      if (inTx.getStore()) return fn(db);
      const previous = lock;
      let release!: () => void;
      lock = new Promise<void>((resolve) => {
        release = resolve;
      });
      await previous;
      try {
        return await inTx.run(true, async () => {
          raw.exec('BEGIN IMMEDIATE');
          try {
            const result = await fn(db);
            raw.exec('COMMIT');
            return result;
          } catch (err) {
            if (raw.inTransaction) raw.exec('ROLLBACK');
            throw err;
          }
        });
      } finally {
        release();
      }
    },
    async close() {
      await lock;
      raw.close();
    },
  };
  return db;
}
