import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { type Db, isSatsColumn, type SqlValue } from './db.js';

type Statement = Database.Statement<unknown[], Record<string, unknown>>;

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
      if (cache.size > 500) cache.clear();
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
