import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closePeriod } from '../src/accounting/close.js';
import { parseInputsDoc } from '../src/accounting/close-inputs.js';
import { holderOf } from '../src/accounting/holder.js';
import { UNITS_PER_HSS } from '../src/accounting/hss.js';
import {
  closeStoredPeriod,
  JOURNAL_COLUMNS,
  PAYOUT_COLUMNS,
  recomputeStored,
} from '../src/accounting/ledger.js';
import { loadCloseInputs, pruneEntries } from '../src/accounting/load-inputs.js';
import { parsePeriodId } from '../src/accounting/period.js';
import { STAKERS_PER_PAGE, stakeEntriesUntil } from '../src/accounting/register.js';
import { allMigrations } from '../src/core/app.js';
import { createAudit } from '../src/core/audit.js';
import { SYSTEM } from '../src/core/auth/roles.js';
import { insertMany, PG_ROWS_PER_STATEMENT, SQLITE_MAX_PARAMS } from '../src/core/storage/bulk.js';
import { type Db, openDb, type SqlValue } from '../src/core/storage/db.js';
import { migrate } from '../src/core/storage/migrate.js';
import { PG_URL, pgAvailable, pgSchemaUrl } from './helpers.js';

/**
 * The close stores its payouts and journal lines in bulk (accounting/ledger.ts, core/storage/bulk.ts
 * `insertColumns`: unnest arrays on PostgreSQL, multi-row INSERTs on SQLite;
 * issue 15 item 3). This proves, on SQLite and PostgreSQL, with more stakers than two statements
 * hold and a count that is no multiple of a statement's rows (so a chunk boundary that drops,
 * repeats or reorders a row shows), that the rows stored are exactly those the one-row-per-statement
 * path wrote: every column, in the order written, line numbers counted per transaction from 0,
 * with their counts and sums; that they went in ceil(rows / rows per statement) statements; and
 * that recompute still gives the same bytes.
 */
const pgUp = await pgAvailable(PG_URL);
const PERIOD = '2026-11-23';
const day = parsePeriodId(PERIOD);
const NOW = day.endMs + 3 * 3_600_000;
const STAKERS = 2 * PG_ROWS_PER_STATEMENT + 345;
const NODES = Math.ceil(STAKERS / 10);

/** The database as the close uses it, counting the INSERT statements per acct_ table. */
function countingInserts(db: Db, counts: Map<string, number>): Db {
  const wrapped: Db = {
    dialect: db.dialect,
    all: (sql, params) => db.all(sql, params),
    get: (sql, params) => db.get(sql, params),
    run: (sql, params) => {
      const table = /^\s*INSERT INTO (acct_\w+)/.exec(sql)?.[1];
      if (table) counts.set(table, (counts.get(table) ?? 0) + 1);
      return db.run(sql, params);
    },
    tx: (fn) => db.tx(() => fn(wrapped)),
    close: () => db.close(),
  };
  return wrapped;
}

/** Stakers of 1,200..5,000 HSS, 9 or 10 per shared node (all eligible), a tenth changing at noon. */
async function seed(db: Db): Promise<void> {
  const at = day.startMs - 86_400_000;
  const nodes: SqlValue[][] = Array.from({ length: NODES }, (_, i) => [`n${i}`, `node ${i}`, 'shared', at]);
  await insertMany(db, 'INSERT INTO acct_nodes (id, name, kind, created_at)', 4, nodes, '', 1000);
  const stakers: SqlValue[][] = [];
  const entries: SqlValue[][] = [];
  const units = (i: number) => ((BigInt(i * 7919) % 3801n) + 1200n) * UNITS_PER_HSS;
  for (let i = 0; i < STAKERS; i++) {
    const id = `s${i}`;
    const salt = i.toString(16).padStart(32, '0');
    stakers.push([id, `staker ${i}`, holderOf(id, salt), salt, at]);
    const entry = (effective: number, amount: bigint): SqlValue[] => [
      entries.length + 1,
      id,
      `n${i % NODES}`,
      amount.toString(),
      effective,
      'test',
      'test',
      at,
    ];
    entries.push(entry(at, units(i)));
    if (i % 10 === 0) entries.push(entry(day.startMs + 12 * 3_600_000, units(i + 1)));
  }
  await insertMany(
    db,
    'INSERT INTO acct_stakers (id, name, holder, holder_salt, created_at)',
    5,
    stakers,
    '',
    1000,
  );
  await insertMany(
    db,
    'INSERT INTO acct_stake_entries (seq, staker_id, node_id, amount_units, effective_at, source, entered_by, entered_at)',
    8,
    entries,
    '',
    1000,
  );
  await db.run(
    'INSERT INTO acct_credits (id, period_id, pool, reference, amount_sats, entered_by, entered_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ['c1', PERIOD, 'pool', 'ref-1', 2_100_000_000n, 'test', at],
  );
  await db.run(
    'INSERT INTO acct_costs (id, period_id, description, currency, amount_sats, amount_micro, entered_by, entered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ['k1', PERIOD, 'rent', 'BTC', 60_000_000n, null, 'test', at],
  );
}

/** Rows per statement: PostgreSQL's unnest arrays, SQLite's multi-row VALUES up to its parameters. */
const rowsPerStatement = (db: Db, columns: number) =>
  db.dialect === 'postgres' ? PG_ROWS_PER_STATEMENT : Math.floor(SQLITE_MAX_PARAMS / columns);

/** Rows in the order they were written: SQLite's rowid, PostgreSQL's heap order of a fresh table. */
const writtenOrder = (db: Db) => (db.dialect === 'sqlite' ? 'rowid' : 'ctid');

const variants = [
  { name: 'SQLite', url: () => 'sqlite::memory:', run: true },
  { name: 'PostgreSQL', url: () => pgSchemaUrl(PG_URL), run: pgUp },
];

for (const v of variants) {
  describe.skipIf(!v.run)(`a close's payouts and journal in bulk statements (${v.name})`, () => {
    let db: Db;
    beforeAll(async () => {
      db = await openDb(v.url());
      await migrate(db, allMigrations(), () => NOW);
      await seed(db);
    }, 120_000);
    afterAll(async () => {
      await db?.close();
    });

    it('stores the rows the one-row path stored, in ceil(rows / chunk) statements', async () => {
      const counts = new Map<string, number>();
      const counted = countingInserts(db, counts);
      const now = () => NOW;
      const { summary, result } = await closeStoredPeriod(
        { db: counted, audit: createAudit(counted, now), now },
        PERIOD,
        SYSTEM,
        { override: 'test: no fleet data, only the register' },
      );
      expect(summary.alreadyClosed).toBe(false);
      const o = result!.outputs;
      // The case this test is for: several statements, the last one partial.
      const payoutChunk = rowsPerStatement(db, PAYOUT_COLUMNS.length);
      const journalChunk = rowsPerStatement(db, JOURNAL_COLUMNS.length);
      expect(o.payouts.length).toBe(STAKERS);
      expect(STAKERS).toBeGreaterThan(2 * payoutChunk);
      expect(STAKERS % payoutChunk).not.toBe(0);
      expect(o.journal.length).toBeGreaterThan(2 * journalChunk);
      expect(o.journal.length % journalChunk).not.toBe(0);

      // What the one-row-per-statement path wrote, computed again from the stored inputs alone.
      const stored = await db.get<{ inputs_json: string }>(
        'SELECT inputs_json FROM acct_closes WHERE period_id = ?',
        [PERIOD],
      );
      const again = closePeriod(parseInputsDoc(stored!.inputs_json, PERIOD)).outputs;
      const stakerOf = new Map(
        (await db.all<{ id: string; holder: string }>('SELECT id, holder FROM acct_stakers')).map((s) => [
          s.holder,
          s.id,
        ]),
      );
      const expectedPayouts = again.payouts.map((p) => ({
        period_id: PERIOD,
        staker_id: stakerOf.get(p.holder),
        holder: p.holder,
        weight_units_s: p.weight.toString(),
        amount_sats: p.sats,
      }));
      const lineNo = new Map<string, number>();
      const expectedJournal = again.journal.map((l) => {
        const n = lineNo.get(l.tx) ?? 0;
        lineNo.set(l.tx, n + 1);
        return {
          period_id: PERIOD,
          tx: l.tx,
          line_no: n,
          kind: 'close',
          account: l.account,
          debit_sats: l.debitSats,
          credit_sats: l.creditSats,
          memo: l.memo,
          idempotency_key: null,
          created_by: SYSTEM.name,
          created_at: NOW,
        };
      });

      // Payouts are written in staker id order (ledger.ts insertPayouts says why).
      expectedPayouts.sort((a, b) => (a.staker_id! < b.staker_id! ? -1 : 1));
      const payouts = await db.all(
        `SELECT period_id, staker_id, holder, weight_units_s, amount_sats FROM acct_payouts ORDER BY ${writtenOrder(db)}`,
      );
      const journal = await db.all(
        `SELECT period_id, tx, line_no, kind, account, debit_sats, credit_sats, memo, idempotency_key, created_by, created_at
         FROM acct_journal ORDER BY ${writtenOrder(db)}`,
      );
      expect(payouts.length).toBe(expectedPayouts.length);
      expect(journal.length).toBe(expectedJournal.length);
      expect(payouts).toEqual(expectedPayouts);
      expect(journal).toEqual(expectedJournal);

      const sums = await db.get<{ n: number; paid_sats: bigint }>(
        'SELECT COUNT(*) AS n, SUM(amount_sats) AS paid_sats FROM acct_payouts WHERE period_id = ?',
        [PERIOD],
      );
      expect(Number(sums!.n)).toBe(STAKERS);
      expect(sums!.paid_sats + o.unallocatedSats).toBe(o.stakerPoolSats);
      const sides = await db.get<{ debit_sats: bigint; credit_sats: bigint }>(
        'SELECT SUM(debit_sats) AS debit_sats, SUM(credit_sats) AS credit_sats FROM acct_journal WHERE period_id = ?',
        [PERIOD],
      );
      expect(sides!.debit_sats).toBe(sides!.credit_sats);

      expect(counts.get('acct_payouts')).toBe(Math.ceil(STAKERS / payoutChunk));
      expect(counts.get('acct_journal')).toBe(Math.ceil(o.journal.length / journalChunk));
      expect((await recomputeStored(db, PERIOD)).identical).toBe(true);
    }, 120_000);

    it('reads the stake entries a page of stakers at a time, as one read of them all gives them', async () => {
      expect(STAKERS).toBeGreaterThan(2 * STAKERS_PER_PAGE);
      const all = await stakeEntriesUntil(db, day.endMs);
      const expected = pruneEntries(all.entries, day.startMs);
      const counts = new Map<string, number>();
      const pages: string[] = [];
      const counted = countingInserts(db, counts);
      const reading: Db = {
        ...counted,
        all: (sql, params) => {
          if (sql.includes('FROM acct_stakers')) pages.push(sql);
          return db.all(sql, params);
        },
      };
      const { inputs, stakerOf } = await loadCloseInputs(reading, day, 'drift');
      expect(pages.length).toBe(Math.ceil(STAKERS / STAKERS_PER_PAGE));
      expect(inputs.stakes.length).toBe(expected.length);
      expect(inputs.stakes).toEqual(expected);
      expect(stakerOf).toEqual(all.holderOf);
    }, 120_000);
  });
}
