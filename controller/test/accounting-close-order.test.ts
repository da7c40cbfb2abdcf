import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UNITS_PER_HSS } from '../src/accounting/hss.js';
import { closeStoredPeriod } from '../src/accounting/ledger.js';
import { parsePeriodId } from '../src/accounting/period.js';
import { allMigrations } from '../src/core/app.js';
import { createAudit } from '../src/core/audit.js';
import { SYSTEM } from '../src/core/auth/roles.js';
import { type Db, openDb } from '../src/core/storage/db.js';
import { migrate } from '../src/core/storage/migrate.js';

/**
 * The close refuses an incomplete period (accounting/completeness.ts) before it reads the stake
 * register and computes the close: the report reads the period's container-hours alone, while the
 * close reads every stake entry (1,100,000 at 1,000,000 stakers) and runs the whole split. Proven
 * by the statements the close sends: none reads acct_stake_entries when it refuses.
 */
const PERIOD = '2026-11-23';
const day = parsePeriodId(PERIOD);
const NOW = day.endMs + 3_600_000;

/** The database as the close uses it, keeping every statement's text. */
function recording(db: Db, sql: string[]): Db {
  const wrapped: Db = {
    dialect: db.dialect,
    all: (q, p) => {
      sql.push(q);
      return db.all(q, p);
    },
    get: (q, p) => {
      sql.push(q);
      return db.get(q, p);
    },
    run: (q, p) => {
      sql.push(q);
      return db.run(q, p);
    },
    tx: (fn) => db.tx(() => fn(wrapped)),
    close: () => db.close(),
  };
  return wrapped;
}

let db: Db;
beforeEach(async () => {
  db = await openDb('sqlite::memory:');
  await migrate(db, allMigrations(), () => NOW);
  const at = day.startMs - 86_400_000;
  await db.run("INSERT INTO acct_nodes (id, name, kind, created_at) VALUES ('n1', 'node 1', 'shared', ?)", [
    at,
  ]);
  for (const [i, hss] of [6000n, 7000n].entries()) {
    await db.run(
      "INSERT INTO acct_stakers (id, name, holder, holder_salt, created_at) VALUES (?, ?, ?, 'salt', ?)",
      [`s${i}`, `staker ${i}`, `holder-${i}`, at],
    );
    await db.run(
      `INSERT INTO acct_stake_entries (seq, staker_id, node_id, amount_units, effective_at, source, entered_by, entered_at)
       VALUES (?, ?, 'n1', ?, ?, 'test', 'test', ?)`,
      [i + 1, `s${i}`, (hss * UNITS_PER_HSS).toString(), at, at],
    );
  }
  // A credit but no fleet data at all: below every threshold.
  await db.run(
    "INSERT INTO acct_credits (id, period_id, pool, reference, amount_sats, entered_by, entered_at) VALUES ('c1', ?, 'pool', 'r1', ?, 'test', ?)",
    [PERIOD, 1_000_000n, at],
  );
});
afterEach(async () => db.close());

const close = (sql: string[], override?: string) => {
  const d = recording(db, sql);
  const now = () => NOW;
  return closeStoredPeriod({ db: d, audit: createAudit(d, now), now }, PERIOD, SYSTEM, { override });
};

describe('the completeness refusal comes before the close is computed', () => {
  it('refuses an incomplete period without reading the stake register', async () => {
    const sql: string[] = [];
    await expect(close(sql)).rejects.toThrow(`period ${PERIOD}: incomplete (`);
    expect(sql.length).toBeGreaterThan(0);
    expect(sql.filter((q) => q.includes('acct_stake_entries'))).toEqual([]);
    expect(await db.get('SELECT period_id FROM acct_closes')).toBeUndefined();
  });

  it('refuses a period without a pool credit by that name, before reading the register', async () => {
    const sql: string[] = [];
    const d = recording(db, sql);
    const now = () => NOW;
    await expect(
      closeStoredPeriod({ db: d, audit: createAudit(d, now), now }, '2026-11-22', SYSTEM, {
        override: 'test: an override does not stand in for the credit',
      }),
    ).rejects.toThrow('period 2026-11-22: no pool credit entered; POST /credits first');
    expect(sql.filter((q) => q.includes('acct_stake_entries'))).toEqual([]);
  });

  it('with an override it reads the register and closes', async () => {
    const sql: string[] = [];
    const { summary, result } = await close(sql, 'test: no fleet data');
    expect(summary.alreadyClosed).toBe(false);
    expect(result!.payouts.length).toBe(2);
    expect(sql.some((q) => q.includes('acct_stake_entries'))).toBe(true);
  });
});
