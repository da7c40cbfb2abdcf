import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { lockKey, pgLockSession } from '../src/core/jobs.js';
import { openDb } from '../src/core/storage/db.js';
import { PG_URL, pgAvailable, pgSchemaUrl } from './helpers.js';

/**
 * The jobs' advisory locks live on one dedicated session (core/jobs.ts pgLockSession). Jobs whose
 * timers fire in the same turn ask for their locks at once; each lock must be taken on that one
 * session, so closing it (shutdown, or the session lost) frees every lock this replica held and
 * another replica can take the jobs over. Asked at once before the session existed, each call
 * opened a session of its own and kept only the last: the other session stayed open, holding its
 * job's lock after close(), so no replica could run that job again while this process lived.
 */
const pgUp = await pgAvailable(PG_URL);
const silent = pino({ level: 'silent' });

describe.skipIf(!pgUp)('the jobs lock session (PostgreSQL)', () => {
  it('locks asked for at once share one session, and close() frees them all', async () => {
    const url = pgSchemaUrl(PG_URL);
    const schema = new URL(url).searchParams.get('schema')!;
    const scope = lockKey(`hashfleet-jobs:${schema}`);
    const jobs = ['alerts', 'rollup', 'daily-close', 'relocation', 'firmware'];
    const session = await pgLockSession(url, silent);
    const got = await Promise.all(jobs.map((j) => session.hold(j)));
    expect(got).toEqual(jobs.map(() => true));
    const db = await openDb(PG_URL);
    try {
      const held = async () =>
        (
          await db.all<{ n: number; sessions: number }>(
            `SELECT count(*)::int AS n, count(DISTINCT pid)::int AS sessions FROM pg_locks
              WHERE locktype = 'advisory' AND classid::int = ? AND granted`,
            [scope],
          )
        )[0]!;
      expect(await held()).toEqual({ n: jobs.length, sessions: 1 });
      await session.close();
      // Ending a session frees its locks, but pg_locks may show them for a moment after.
      for (let i = 0; i < 50 && (await held()).n > 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await held()).toEqual({ n: 0, sessions: 0 });
    } finally {
      await session.close();
      await db.close();
    }
  });
});
