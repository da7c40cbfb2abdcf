import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allMigrations } from '../src/core/app.js';
import { createAudit } from '../src/core/audit.js';
import { SYSTEM } from '../src/core/auth/roles.js';
import { type Db, openDb } from '../src/core/storage/db.js';
import { checkMigrations, migrate } from '../src/core/storage/migrate.js';
import { toPgPlaceholders } from '../src/core/storage/postgres.js';
import { PG_URL, pgAvailable, pgSchemaUrl } from './helpers.js';

const pgUp = await pgAvailable(PG_URL);

// The same behaviour is required of both drivers: one query layer, one set of migrations.
const drivers: [string, () => string, boolean][] = [
  ['sqlite', () => 'sqlite::memory:', true],
  ['postgres', () => pgSchemaUrl(PG_URL), pgUp],
];

for (const [name, url, available] of drivers) {
  describe.skipIf(!available)(`storage on ${name}`, () => {
    let db: Db;
    beforeAll(async () => {
      db = await openDb(url());
    });
    afterAll(async () => {
      await db?.close();
    });

    it('applies every migration once and records it; a second run applies nothing', async () => {
      const first = await migrate(db, allMigrations(), Date.now);
      expect(first).toContain('0001_core');
      expect(await migrate(db, allMigrations(), Date.now)).toEqual([]);
      const rows = await db.all<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
      expect(rows.map((r) => r.id)).toEqual(first);
    });

    it('returns integers as number and *_sats columns as bigint', async () => {
      await db.run(
        'CREATE TABLE money_probe (id TEXT PRIMARY KEY, amount_sats BIGINT, at BIGINT, ratio DOUBLE PRECISION)',
      );
      const big = 2_100_000_000_000_000n;
      await db.run('INSERT INTO money_probe VALUES (?, ?, ?, ?)', ['a', big, 1_763_900_000_000, 0.25]);
      const row = await db.get<{ amount_sats: bigint; at: number; ratio: number }>(
        'SELECT amount_sats, at, ratio FROM money_probe WHERE id = ?',
        ['a'],
      );
      expect(row).toEqual({ amount_sats: big, at: 1_763_900_000_000, ratio: 0.25 });
      const count = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM money_probe');
      expect(count?.n).toBe(1);
    });

    it('rolls a failed transaction back and commits a good one; nested calls join', async () => {
      await db.run('CREATE TABLE tx_probe (id TEXT PRIMARY KEY)');
      await expect(
        db.tx(async (tx) => {
          await tx.run('INSERT INTO tx_probe VALUES (?)', ['x']);
          await tx.tx(async (inner) => inner.run('INSERT INTO tx_probe VALUES (?)', ['y']));
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await db.all('SELECT id FROM tx_probe')).toEqual([]);
      await db.tx(async (tx) => {
        await tx.run('INSERT INTO tx_probe VALUES (?)', ['x']);
        await tx.tx(async (inner) => inner.run('INSERT INTO tx_probe VALUES (?)', ['y']));
      });
      expect((await db.all<{ id: string }>('SELECT id FROM tx_probe ORDER BY id')).map((r) => r.id)).toEqual([
        'x',
        'y',
      ]);
    });

    it('keeps the audit log append-only in the database itself', async () => {
      const audit = createAudit(db, Date.now);
      await audit.record({
        actor: SYSTEM,
        action: 'probe',
        subject: 'x',
        details: { password: 'hunter2', n: 1 },
      });
      const row = await db.get<{ details_json: string }>(
        'SELECT details_json FROM audit_log WHERE action = ?',
        ['probe'],
      );
      expect(JSON.parse(row!.details_json)).toEqual({ password: '***', n: 1 });
      await expect(db.run("UPDATE audit_log SET action = 'x'")).rejects.toThrow(/append-only/);
      await expect(db.run('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
    });
  });
}

describe('migration list', () => {
  it('refuses duplicate numbers and bad ids, naming the migration', () => {
    expect(() =>
      checkMigrations([
        { id: '0001_a', up: '' },
        { id: '0001_b', up: '' },
      ]),
    ).toThrow('migration 0001_b: number 0001 also used by 0001_a');
    expect(() => checkMigrations([{ id: 'x', up: '' }])).toThrow('migration x: id must look like 0001_name');
  });

  it('translates ? to $n outside quoted text', () => {
    expect(toPgPlaceholders('SELECT ? , \'?\' , "a?" , ?')).toBe('SELECT $1 , \'?\' , "a?" , $2');
  });
});
