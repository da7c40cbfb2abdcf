import { exampleSample, exampleTelemetry, type Telemetry, topics } from '@hashfleet/contracts';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Db, insertRows, openDb, type SqlValue } from '../src/core/storage/db.js';
import { arrayLiteral, pgText, toPgPlaceholders } from '../src/core/storage/postgres.js';
import { PG_URL, pgAvailable, pgSchemaUrl, testApp } from './helpers.js';

/**
 * The many-row write ingest's held rows go through (Db.insertRows, issue 15 item 1): on
 * PostgreSQL one statement over unnest of one array per column, prepared once per connection, on
 * SQLite multi-row VALUES. Both store exactly the values given and apply the conflict clause.
 */
const pgUp = await pgAvailable(PG_URL);
const variants = [
  { name: 'SQLite', url: () => 'sqlite::memory:', run: true },
  { name: 'PostgreSQL', url: () => pgSchemaUrl(PG_URL), run: pgUp },
];

const TABLE = `CREATE TABLE rows_t (
  id TEXT PRIMARY KEY,
  n BIGINT,
  x DOUBLE PRECISION,
  label TEXT,
  hits BIGINT NOT NULL
)`;
const HEAD = 'INSERT INTO rows_t (id, n, x, label, hits)';
const TAIL = `ON CONFLICT (id) DO UPDATE SET label = excluded.label, hits = rows_t.hits + excluded.hits`;

// Text a literal of a PostgreSQL array has to escape, and numbers at the edges of exactness.
const awkward: SqlValue[][] = [
  ['plain', 1, 0.1, 'abc', 1],
  ['quotes', -9_007_199_254_740_991, 1e-300, `say "hi", {x}, 'y' \\ back\\slash`, 1],
  ['json', 9_007_199_254_740_991, -2.5e300, JSON.stringify({ a: [1, '"b"'], c: null }), 1],
  ['nulls', null, null, null, 1],
  ['empty', 0, 1234.5678901234567, '', 1],
  ['unicode', 42, 1 / 3, 'Ащ 中文 ✓ NULL', 1],
  ['bool', true, 2, 'NULL', 1],
];

for (const v of variants) {
  describe.skipIf(!v.run)(`insertRows (${v.name})`, () => {
    let db: Db | undefined;
    afterEach(async () => {
      await db?.close();
      db = undefined;
    });

    it('stores every value exactly as given and applies the conflict clause to rows written again', async () => {
      db = await openDb(v.url());
      await db.run(TABLE);
      await db.tx((tx) => insertRows(tx, HEAD, awkward, TAIL));
      // Written again: the tail keeps the new label and adds the hits.
      await db.tx((tx) =>
        insertRows(
          tx,
          HEAD,
          awkward.map((r) => [r[0]!, r[1]!, r[2]!, `${r[3] ?? 'was null'}+`, 2]),
          TAIL,
        ),
      );
      const got = await db.all<{
        id: string;
        n: number | null;
        x: number | null;
        label: string;
        hits: number;
      }>('SELECT id, n, x, label, hits FROM rows_t ORDER BY id');
      const want = awkward
        .map((r) => ({
          id: r[0],
          n: r[1] === true ? 1 : r[1],
          x: r[2],
          label: `${r[3] ?? 'was null'}+`,
          hits: 3,
        }))
        .sort((a, b) => ((a.id as string) < (b.id as string) ? -1 : 1));
      expect(got.map((r) => ({ ...r, n: r.n === null ? null : Number(r.n), hits: Number(r.hits) }))).toEqual(
        want,
      );
    });

    it('stores exactly what is given whether a column goes as one JSON text or value by value', async () => {
      db = await openDb(v.url());
      await db.run(TABLE);
      const sample = JSON.stringify({
        pool: { url: 'stratum+tcp://p:3333', user: 'a\\b "c"' },
        note: 'x\ny',
      });
      // Plain columns: strings JSON escapes only by \" and \\ (a stored sample's JSON among them).
      const plain: SqlValue[][] = [
        ['p1', 0, -0.5, sample, 1],
        ['p2', -1, 1e21, '{a,b} "q" \\ NULL', 1],
        ['p3', null, null, 'NULL', 1],
        ['p4', 2 ** 53 - 1, 1e-300, '', 1],
        ['p5', 7, 1 / 3, 'Ащ 中文 ✓ ,', 1],
      ];
      // Each of these makes its column go value by value: line break, tab, a control character, an emoji.
      const other: SqlValue[][] = [
        ['o1', 1, 2, 'line\nbreak', 1],
        ['o2', 2, 3, 'tab\there', 1],
        ['o3', 3, 4, 'bell\u0007', 1],
        ['o4', 4, 5, 'emoji 😀 "q"', 1],
      ];
      await insertRows(db, HEAD, plain, TAIL);
      await insertRows(db, HEAD, other, TAIL);
      const got = await db.all<{ id: string; n: number | null; x: number | null; label: string }>(
        'SELECT id, n, x, label FROM rows_t ORDER BY id',
      );
      expect(got.map((r) => [r.id, r.n === null ? null : Number(r.n), r.x, r.label])).toEqual(
        [...other, ...plain].map((r) => [r[0], r[1], r[2], r[3]]),
      );
    });

    it('writes more rows than one VALUES statement holds, and nothing for no rows', async () => {
      db = await openDb(v.url());
      await db.run(TABLE);
      const many = Array.from({ length: 1001 }, (_, i) => [`m${i}`, i, i / 7, `l${i}`, 1]);
      await insertRows(db, HEAD, many, TAIL);
      await insertRows(db, HEAD, [], TAIL);
      const r = await db.get<{ c: number; s: number }>('SELECT COUNT(*) AS c, SUM(n) AS s FROM rows_t');
      expect({ c: Number(r?.c), s: Number(r?.s) }).toEqual({ c: 1001, s: (1000 * 1001) / 2 });
    });

    it('refuses a row without one value per column, a head that is not an insert and a tail with parameters', async () => {
      db = await openDb(v.url());
      await db.run(TABLE);
      await expect(insertRows(db, HEAD, [['a', 1, 2, 'x']], TAIL)).rejects.toThrow(
        'has 5 columns, a row has 4 values',
      );
      await expect(insertRows(db, 'UPDATE rows_t SET n = 1', [['a']])).rejects.toThrow(
        'the head must be "INSERT INTO table (col, ...)"',
      );
      await expect(
        insertRows(db, HEAD, [['a', 1, 2, 'x', 1]], 'ON CONFLICT (id) DO UPDATE SET n = ?'),
      ).rejects.toThrow('must not take parameters');
      expect(Number((await db.get<{ c: number }>('SELECT COUNT(*) AS c FROM rows_t'))?.c)).toBe(0);
    });
  });
}

describe('PostgreSQL array literals (insertRows)', () => {
  it('is one JSON text for finite numbers, null and plain strings, and the values otherwise', () => {
    expect(arrayLiteral(['a"b', 'c\\d', null, 1.5, -2, ''])).toBe('{"a\\"b","c\\\\d",null,1.5,-2,""}');
    for (const odd of ['x\ny', 'x\u0000', '😀', '\ud800'])
      expect(arrayLiteral(['ok', odd])).toEqual(['ok', odd]);
    for (const odd of [Number.NaN, Number.POSITIVE_INFINITY])
      expect(arrayLiteral([1, odd])).toEqual([1, odd]);
  });
});

describe('PostgreSQL statement texts', () => {
  it('numbers placeholders outside quotes, doubled quotes included, and remembers the text', () => {
    const sql = `SELECT ?, 'it''s ?', "col?", ? WHERE x = '?'`;
    expect(toPgPlaceholders(sql)).toBe(`SELECT $1, 'it''s ?', "col?", $2 WHERE x = '?'`);
    expect(toPgPlaceholders('SELECT 1')).toBe('SELECT 1');
    expect(pgText(sql)).toBe(toPgPlaceholders(sql));
    expect(pgText(sql)).toBe(pgText(sql));
  });
});

describe.skipIf(!pgUp)('many rows on PostgreSQL', () => {
  let t: Awaited<ReturnType<typeof testApp>> | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await t?.close();
    t = undefined;
  });

  it('prepares the statement once per connection, under one name', async () => {
    const db = await openDb(pgSchemaUrl(PG_URL));
    try {
      await db.run(TABLE);
      const held = await db.tx(async (tx) => {
        await insertRows(tx, HEAD, [['a', 1, 1, 'x', 1]], TAIL);
        await insertRows(tx, HEAD, [['b', 2, 2, 'y', 1]], TAIL);
        return tx.all<{ name: string; statement: string }>(
          `SELECT name, statement FROM pg_prepared_statements WHERE statement LIKE 'INSERT INTO rows_t%'`,
        );
      });
      expect(held).toHaveLength(1);
      expect(held[0]!.statement).toContain('unnest(');
    } finally {
      await db.close();
    }
  });

  it("writes a batch's 250 latest samples with one statement (200 rows a statement before)", async () => {
    t = await testApp({ storage: { url: pgSchemaUrl(PG_URL) } });
    const { db, ingest } = t.app.hashfleet;
    // 250 miners, more than the 200 rows one VALUES statement held.
    const message = (seq: number): Telemetry => {
      const at = exampleSample.at + seq * 1000;
      const samples: Telemetry['samples'] = [];
      for (let i = 0; i < 250; i++)
        samples.push({
          ...exampleSample,
          minerKey: `r-${i}`,
          serial: `ROWS-${i}`,
          mac: null,
          slot: null,
          at,
        });
      return { ...exampleTelemetry, seq, samples, unreachable: [], agent: null };
    };
    const topic = topics.telemetry(exampleTelemetry.agentId);
    const enc = (m: Telemetry) => new TextEncoder().encode(JSON.stringify(m));
    expect(await ingest.handle(topic, enc(message(1)))).toBe('applied');
    const texts: string[] = [];
    const query = pg.Client.prototype.query;
    vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
      const q = args[0] as string | { text: string };
      texts.push(typeof q === 'string' ? q : q.text);
      return (query as (...a: unknown[]) => unknown).apply(this, args) as never;
    });
    expect(
      await Promise.all([ingest.handle(topic, enc(message(2))), ingest.handle(topic, enc(message(3)))]),
    ).toEqual(['applied', 'applied']);
    expect(texts.filter((s) => s.startsWith('INSERT INTO miner_latest')).length).toBe(1);
    const latest = await db.get<{ c: number; at: number }>(
      'SELECT COUNT(*) AS c, MIN(at) AS at FROM miner_latest',
    );
    expect({ c: Number(latest?.c), at: Number(latest?.at) }).toEqual({ c: 250, at: exampleSample.at + 3000 });
  });
});
