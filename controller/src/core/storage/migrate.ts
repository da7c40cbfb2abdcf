import type { Db } from './db.js';

/**
 * One schema change. `up` is portable SQL, statements separated by `;` (no `;` inside literals).
 * `sqlite` / `postgres` are extra statements for one dialect only (triggers and functions, whose
 * bodies contain `;`), run after `up`, each passed to the driver whole.
 */
export type Migration = {
  id: string;
  up: string;
  sqlite?: string[];
  postgres?: string[];
};

const ID = /^\d{4}_[a-z0-9_]+$/;
// Any constant: the key two replicas contend on so only one applies migrations.
const PG_LOCK_KEY = 7_345_001;

export function splitStatements(sql: string): string[] {
  return sql
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Checks ids, order and duplicates; a bad list stops start-up naming the migration. */
export function checkMigrations(migrations: Migration[]): Migration[] {
  const seen = new Set<string>();
  for (const m of migrations) {
    if (!ID.test(m.id)) throw new Error(`migration ${m.id}: id must look like 0001_name`);
    if (seen.has(m.id)) throw new Error(`migration ${m.id}: listed twice`);
    const num = m.id.slice(0, 4);
    for (const other of seen) {
      if (other.slice(0, 4) === num)
        throw new Error(`migration ${m.id}: number ${num} also used by ${other}`);
    }
    seen.add(m.id);
  }
  return [...migrations].sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in id order, all in one
 * transaction (on PostgreSQL under an advisory lock so replicas starting together don't race).
 * Returns the ids applied now.
 */
export async function migrate(db: Db, migrations: Migration[], now: () => number): Promise<string[]> {
  const ordered = checkMigrations(migrations);
  return db.tx(async (tx) => {
    if (tx.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(?)', [PG_LOCK_KEY]);
    await tx.run(
      'CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)',
    );
    const done = new Set((await tx.all<{ id: string }>('SELECT id FROM schema_migrations')).map((r) => r.id));
    const applied: string[] = [];
    for (const m of ordered) {
      if (done.has(m.id)) continue;
      const extra = (tx.dialect === 'sqlite' ? m.sqlite : m.postgres) ?? [];
      for (const statement of [...splitStatements(m.up), ...extra]) {
        try {
          await tx.run(statement);
        } catch (err) {
          throw new Error(`migration ${m.id}: ${(err as Error).message} in: ${statement.slice(0, 120)}`);
        }
      }
      await tx.run('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)', [m.id, now()]);
      applied.push(m.id);
    }
    return applied;
  });
}
