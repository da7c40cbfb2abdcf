import { allMigrations } from '@hashfleet/controller/core/app';
import { createAudit } from '@hashfleet/controller/core/audit';
import { SYSTEM } from '@hashfleet/controller/core/auth/roles';
import { type Db, openDb } from '@hashfleet/controller/core/storage/db';
import { migrate } from '@hashfleet/controller/core/storage/migrate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL, pgReachable, pgSchemaUrl } from '../controller/test/helpers.js';

/**
 * The storage layer on a real PostgreSQL (the same checks npm test runs when PG answers; here a
 * missing server fails in CI): every migration applies once, concurrently started replicas do not
 * race, satoshis stay exact bigints, the audit log refuses changes.
 */
const up = await pgReachable(PG_URL);
const runOrSkip = !up && !process.env.CI ? describe.skip : describe;

runOrSkip('controller storage on PostgreSQL', () => {
  const url = pgSchemaUrl(PG_URL);
  let a: Db;
  let b: Db;
  beforeAll(async () => {
    if (!up) throw new Error(`PostgreSQL ${PG_URL} not reachable`);
    a = await openDb(url);
    b = await openDb(url);
  });
  afterAll(async () => {
    await a?.run(`DROP SCHEMA IF EXISTS ${new URL(url).searchParams.get('schema')} CASCADE`).catch(() => {});
    await a?.close();
    await b?.close();
  });

  it('applies migrations once when two replicas start at the same time', async () => {
    const [ra, rb] = await Promise.all([
      migrate(a, allMigrations(), Date.now),
      migrate(b, allMigrations(), Date.now),
    ]);
    expect([...ra, ...rb].sort()).toEqual(
      allMigrations()
        .map((m) => m.id)
        .sort(),
    );
    expect(ra.length === 0 || rb.length === 0).toBe(true);
  });

  it('keeps satoshis exact and the audit log append-only', async () => {
    await a.run('CREATE TABLE sats_probe (id TEXT PRIMARY KEY, amount_sats BIGINT)');
    await a.run('INSERT INTO sats_probe VALUES (?, ?)', ['max', 9_007_199_254_740_993n]);
    expect((await b.get<{ amount_sats: bigint }>('SELECT amount_sats FROM sats_probe'))?.amount_sats).toBe(
      9_007_199_254_740_993n,
    );
    await createAudit(a, Date.now).record({ actor: SYSTEM, action: 'probe', subject: 'pg', details: {} });
    await expect(b.run('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
  });
});
