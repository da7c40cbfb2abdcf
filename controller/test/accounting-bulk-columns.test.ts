import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  insertColumns,
  insertMany,
  PG_ROWS_PER_STATEMENT,
  SQLITE_MAX_PARAMS,
} from '../src/core/storage/bulk.js';
import { type Db, openDb, type SqlValue } from '../src/core/storage/db.js';
import { PG_URL, pgAvailable, pgSchemaUrl } from './helpers.js';

/**
 * `insertColumns` (core/storage/bulk.ts), the close's payout and journal writer (issue 15 item 3),
 * stores exactly the rows the multi-row INSERT writer (`insertMany`) stores, on
 * SQLite and on a real PostgreSQL, where it sends each column as one array literal through
 * `unnest`: text with quotes, backslashes, commas, braces, blanks, the word NULL, line breaks and
 * characters beyond ASCII; NULLs; integers beyond 2^53; more rows than one statement carries.
 */
const pgUp = await pgAvailable(PG_URL);

const AWKWARD = [
  'plain',
  '',
  ' ',
  '  two  spaces  ',
  'NULL',
  'null',
  '"',
  '\\',
  '\\"',
  'a,b',
  '{a,b}',
  '}',
  '{',
  "it's",
  'line\nbreak\ttab\rreturn',
  'Иванов, Иван',
  '中文',
  '😀 surrogate pair',
  'liability:staker:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
];

type Row = [string, string | null, bigint, number, string];
const rowsOf = (count: number): Row[] =>
  Array.from({ length: count }, (_, i) => [
    `k${i}`,
    i % 7 === 3 ? null : AWKWARD[i % AWKWARD.length]!,
    i % 2 ? 9_007_199_254_740_993n + BigInt(i) : -BigInt(i),
    i * 1000,
    AWKWARD[(i * 5) % AWKWARD.length]!,
  ]);

const TABLE = `CREATE TABLE bulk_check (
  k TEXT PRIMARY KEY, t TEXT, amount_sats BIGINT NOT NULL, at BIGINT NOT NULL, u TEXT NOT NULL)`;
const COLUMNS = ['k', 't', 'amount_sats', 'at', 'u'] as const;

const variants = [
  { name: 'SQLite', url: () => 'sqlite::memory:', run: true },
  { name: 'PostgreSQL', url: () => pgSchemaUrl(PG_URL), run: pgUp },
];

for (const v of variants) {
  describe.skipIf(!v.run)(`insertColumns stores what insertMany stores (${v.name})`, () => {
    let db: Db;
    beforeAll(async () => {
      db = await openDb(v.url());
    });
    afterAll(async () => {
      await db?.close();
    });

    it('same rows, awkward text, NULLs, big integers, several statements', async () => {
      const perStatement =
        db.dialect === 'postgres' ? PG_ROWS_PER_STATEMENT : Math.floor(SQLITE_MAX_PARAMS / COLUMNS.length);
      const rows = rowsOf(2 * perStatement + 17);
      await db.run(TABLE);
      await db.run(TABLE.replace('bulk_check', 'bulk_reference'));
      await insertMany(db, `INSERT INTO bulk_reference (${COLUMNS.join(', ')})`, 5, rows as SqlValue[][]);
      const statements = await insertColumns(
        db,
        {
          table: 'bulk_check',
          columns: COLUMNS,
          types: ['text', 'text', 'bigint', 'bigint', 'text'],
          row: (r: Row, out) => {
            for (let c = 0; c < r.length; c++) out[c] = r[c]!;
          },
        },
        rows,
      );
      expect(statements).toBe(3);
      // By the row's number: PostgreSQL may place a short row in an earlier page's free space.
      const order = 'at';
      const stored = await db.all(`SELECT ${COLUMNS.join(', ')} FROM bulk_check ORDER BY ${order}`);
      const reference = await db.all(`SELECT ${COLUMNS.join(', ')} FROM bulk_reference ORDER BY ${order}`);
      expect(stored.length).toBe(rows.length);
      expect(stored).toEqual(reference);
      // And what was given, column by column (the reference writer could be wrong the same way).
      expect(stored.map((r) => Object.values(r))).toEqual(rows);
    }, 60_000);

    it('columns with one value in every row of a statement, an all-NULL column, rows all alike', async () => {
      const perStatement =
        db.dialect === 'postgres' ? PG_ROWS_PER_STATEMENT : Math.floor(SQLITE_MAX_PARAMS / COLUMNS.length);
      // The first statement's rows differ in t; the next ones' share every column but k and at.
      const rows: Row[] = Array.from({ length: 2 * perStatement + 5 }, (_, i) => [
        `k${i}`,
        i < perStatement ? `t${i % 3}` : 'shared "value", {x}',
        9_007_199_254_740_993n,
        i,
        i < 10 ? 'Иванов' : '',
      ]);
      const alike = 'bulk_alike';
      await db.run(TABLE.replace('bulk_check', 'bulk_fixed'));
      await db.run(`CREATE TABLE ${alike} (t TEXT, amount_sats BIGINT, n BIGINT)`);
      await insertColumns(
        db,
        {
          table: 'bulk_fixed',
          columns: COLUMNS,
          types: ['text', 'text', 'bigint', 'bigint', 'text'],
          row: (r: Row, out) => {
            for (let c = 0; c < r.length; c++) out[c] = r[c]!;
          },
        },
        rows,
      );
      const stored = await db.all(`SELECT ${COLUMNS.join(', ')} FROM bulk_fixed ORDER BY at`);
      expect(stored.map((r) => Object.values(r))).toEqual(rows);
      // Three rows with every column the same, NULL included: still three rows.
      await insertColumns(
        db,
        {
          table: alike,
          columns: ['t', 'amount_sats', 'n'],
          types: ['text', 'bigint', 'bigint'],
          row: (_: number, out) => {
            out[0] = null;
            out[1] = 5n;
            out[2] = null;
          },
        },
        [1, 2, 3],
      );
      expect(await db.all(`SELECT t, amount_sats, n FROM ${alike}`)).toEqual(
        Array(3).fill({ t: null, amount_sats: 5n, n: null }),
      );
    }, 60_000);

    it('a statement that fails makes the call fail, in whichever statement it is', async () => {
      const perStatement =
        db.dialect === 'postgres' ? PG_ROWS_PER_STATEMENT : Math.floor(SQLITE_MAX_PARAMS / COLUMNS.length);
      for (const [name, at] of [
        ['bulk_dup_first', 5],
        ['bulk_dup_middle', perStatement + 5],
        ['bulk_dup_last', 2 * perStatement + 5],
      ] as const) {
        await db.run(TABLE.replace('bulk_check', name));
        // Row `at` repeats the key of the row before it.
        const rows = rowsOf(2 * perStatement + 10).map(
          (r, i): Row => (i === at ? ([`k${i - 1}`, ...r.slice(1)] as Row) : r),
        );
        await expect(
          insertColumns(
            db,
            {
              table: name,
              columns: COLUMNS,
              types: ['text', 'text', 'bigint', 'bigint', 'text'],
              row: (r: Row, out) => {
                for (let c = 0; c < r.length; c++) out[c] = r[c]!;
              },
            },
            rows,
          ),
        ).rejects.toThrow(/unique|UNIQUE|duplicate/);
      }
    }, 60_000);

    it('an empty list sends nothing', async () => {
      const statements = await insertColumns(
        db,
        { table: 'nowhere', columns: ['a'], types: ['text'], row: () => {} },
        [],
      );
      expect(statements).toBe(0);
    });
  });
}
