import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '@hashfleet/controller/core/app';
import { SYSTEM } from '@hashfleet/controller/core/auth/roles';
import { createToken } from '@hashfleet/controller/core/auth/tokens';
import { loadControllerConfig } from '@hashfleet/controller/core/config';
import type { Db } from '@hashfleet/controller/core/storage/db';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { PG_URL, pgReachable } from '../controller/test/helpers.js';

/**
 * The backup and restore procedures of README "Operations", run for real: an online copy of a
 * running controller's SQLite file (VACUUM INTO from a second connection while the controller
 * holds the database open, and goes on writing after), and pg_dump/pg_restore of a PostgreSQL schema. A
 * controller started on each restored copy has exactly the rows of the moment of the backup, and
 * answers a token created before it.
 */
type App = Awaited<ReturnType<typeof buildApp>>;

const work = mkdtempSync(join(tmpdir(), 'hashfleet-backup-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function start(dataDir: string, url: string): Promise<App> {
  mkdirSync(dataDir, { recursive: true });
  return buildApp(loadControllerConfig({ dataDir, storage: { url }, log: { level: 'silent' } }, {}));
}

/** Some of everything an operator would miss: tokens (with their audit entries) and audit rows. */
async function write(app: App, label: string): Promise<string> {
  const token = await createToken(app.hashfleet.db, {
    role: 'operator',
    name: `op-${label}`,
    stakerId: null,
  });
  await app.hashfleet.audit.record({
    actor: SYSTEM,
    action: 'backup.test',
    subject: label,
    details: { label },
  });
  return token;
}

/** Row count and content hash of every table: two databases with the same fingerprint hold the same data. */
async function fingerprint(db: Db, tables: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of tables.sort()) {
    const rows = (await db.all<Record<string, unknown>>(`SELECT * FROM ${table}`)).map((r) =>
      JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
    );
    out[table] =
      `${rows.length} ${createHash('sha256').update(rows.sort().join('\n')).digest('hex').slice(0, 16)}`;
  }
  return out;
}

const answers = async (app: App, token: string) =>
  (await app.inject({ method: 'GET', url: '/api/v1/agents', headers: { authorization: `Bearer ${token}` } }))
    .statusCode;

/**
 * A controller started on a restored copy holds exactly the rows of the backup's moment: the token
 * written before the backup answers, the one written after does not. Closes the controller.
 */
async function expectRestored(restored: App, before: Record<string, string>, kept: string, lost: string) {
  try {
    expect(await fingerprint(restored.hashfleet.db, Object.keys(before))).toEqual(before);
    expect(Object.keys(before).length).toBeGreaterThan(5);
    expect(await answers(restored, kept)).toBe(200);
    expect(await answers(restored, lost)).toBe(401);
  } finally {
    await restored.close();
  }
}

describe('backup and restore: SQLite, online', () => {
  it('VACUUM INTO from a second connection while the controller runs; a controller on the copy has the same data', async () => {
    const file = join(work, 'live', 'controller.db');
    const app = await start(join(work, 'live'), `sqlite:${file}`);
    const tables = async (db: Db) =>
      (
        await db.all<{ name: string }>(
          `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
        )
      ).map((t) => t.name);
    let before: Record<string, string>;
    let kept: string;
    let lost: string;
    const backup = join(work, 'controller-backup.db');
    try {
      for (let i = 0; i < 20; i++) await write(app, `before-${i}`);
      kept = await write(app, 'kept');
      before = await fingerprint(app.hashfleet.db, await tables(app.hashfleet.db));
      // The procedure: any SQLite client, the controller still running (WAL lets it keep writing).
      const reader = new Database(file, { readonly: true, fileMustExist: true });
      reader.prepare('VACUUM INTO ?').run(backup);
      reader.close();
      lost = await write(app, 'after');
    } finally {
      await app.close();
    }
    const restoredDir = join(work, 'restored');
    mkdirSync(restoredDir);
    execFileSync('cp', [backup, join(restoredDir, 'controller.db')]);
    await expectRestored(
      await start(restoredDir, `sqlite:${join(restoredDir, 'controller.db')}`),
      before,
      kept,
      lost,
    );
  });
});

const pgUp = await pgReachable(PG_URL);
const tools = ['/usr/bin/pg_dump', '/usr/bin/pg_restore', '/usr/bin/psql'].filter((b) => !existsSync(b));
const describePg = (pgUp && tools.length === 0) || process.env.CI ? describe : describe.skip;

describePg('backup and restore: PostgreSQL, pg_dump and pg_restore', () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const restoredDb = `hf_restore_${randomBytes(4).toString('hex')}`;
  const base = new URL(PG_URL);
  const psql = (db: string, sql: string) =>
    execFileSync('psql', [
      '-h',
      base.hostname,
      '-p',
      base.port || '5432',
      '-U',
      base.username,
      '-d',
      db,
      '-Atqc',
      sql,
    ]);
  const urlOf = (db: string) => {
    const u = new URL(PG_URL);
    u.pathname = `/${db}`;
    u.searchParams.set('schema', schema);
    return u.toString();
  };
  const sourceDb = base.pathname.slice(1);

  afterAll(() => {
    if (!pgUp) return;
    psql(sourceDb, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    psql(sourceDb, `DROP DATABASE IF EXISTS ${restoredDb}`);
  });

  it('pg_dump of the schema from a running controller, pg_restore into a new database: a controller there has the same data', async () => {
    if (!pgUp || tools.length) throw new Error(`PostgreSQL ${PG_URL} or ${tools.join(', ')} missing`);
    const app = await start(join(work, 'pg-live'), urlOf(sourceDb));
    const dump = join(work, 'controller.dump');
    const tables = async (db: Db) =>
      (
        await db.all<{ table_name: string }>(
          `SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_type = 'BASE TABLE'`,
          [schema],
        )
      ).map((t) => t.table_name);
    let before: Record<string, string>;
    let kept: string;
    let lost: string;
    try {
      for (let i = 0; i < 20; i++) await write(app, `before-${i}`);
      kept = await write(app, 'kept');
      before = await fingerprint(app.hashfleet.db, await tables(app.hashfleet.db));
      // The procedure: a consistent snapshot while the controller keeps running.
      const args = ['-h', base.hostname, '-p', base.port || '5432', '-U', base.username];
      execFileSync('pg_dump', [...args, '--format=custom', `--schema=${schema}`, '-f', dump, sourceDb]);
      lost = await write(app, 'after');
      psql(sourceDb, `CREATE DATABASE ${restoredDb}`);
      execFileSync('pg_restore', [...args, '--no-owner', '--exit-on-error', '-d', restoredDb, dump]);
    } finally {
      await app.close();
    }
    await expectRestored(await start(join(work, 'pg-restored'), urlOf(restoredDb)), before, kept, lost);
  });
});
