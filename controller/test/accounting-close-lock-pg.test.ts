import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeStoredPeriod } from '../src/accounting/ledger.js';
import { parsePeriodId } from '../src/accounting/period.js';
import { allMigrations } from '../src/core/app.js';
import { createAudit } from '../src/core/audit.js';
import { SYSTEM } from '../src/core/auth/roles.js';
import { type Db, openDb } from '../src/core/storage/db.js';
import { migrate } from '../src/core/storage/migrate.js';
import { PG_URL, pgAvailable, pgSchemaUrl } from './helpers.js';

/**
 * The close's PostgreSQL advisory lock is per schema (accounting/ledger.ts): two deployments in
 * their own schemas of one database do not wait for each other's close. Deployment B holds its
 * close lock in an open transaction (its close of a period that has not ended takes the lock, then
 * refuses; the transaction, and so the lock, stays open); deployment A's close must still get its
 * own lock and answer. With one lock key for the whole database, A waits for B, which waits for A:
 * the test hangs and fails at its timeout. That the replicas of one deployment still exclude each
 * other is interop/accounting-postgres.test.ts ("two replicas closing at once").
 */
const pgUp = await pgAvailable(PG_URL);
const PERIOD = '2026-11-23';
const now = () => parsePeriodId(PERIOD).startMs + 3_600_000;

describe.skipIf(!pgUp)('the close lock is per schema (PostgreSQL)', () => {
  let a: Db;
  let b: Db;
  beforeAll(async () => {
    a = await openDb(pgSchemaUrl(PG_URL));
    b = await openDb(pgSchemaUrl(PG_URL));
    await migrate(a, allMigrations(), now);
    await migrate(b, allMigrations(), now);
  }, 60_000);
  afterAll(async () => {
    for (const db of [a, b]) {
      const schema = (await db?.get<{ s: string }>('SELECT current_schema() AS s'))?.s;
      if (schema?.startsWith('t_')) await db.run(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
      await db?.close();
    }
  });

  it("a close in one schema answers while another schema's close holds its lock", async () => {
    const close = (db: Db) => closeStoredPeriod({ db, audit: createAudit(db, now), now }, PERIOD, SYSTEM);
    await b.tx(async (tx) => {
      await expect(close(tx)).rejects.toThrow(/has not ended yet/);
      // B's transaction is open and holds its close lock until it ends.
      await expect(close(a)).rejects.toThrow(/has not ended yet/);
    });
  }, 30_000);
});
