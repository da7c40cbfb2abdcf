import type { CoreContext } from '../../core/context.js';
import type { PostgresDb } from '../../core/storage/postgres.js';

/**
 * Storage faults as ingest sees them (issue 17 item 2): each lost PostgreSQL connection is logged
 * (at most once per 10 s), and /ready reports not-ready while any message waits for storage to
 * come back, so a load balancer or orchestrator sees the replica is not taking work.
 */
export function storageHealth(ctx: CoreContext) {
  let waiting = 0;
  let loggedAt = Number.NEGATIVE_INFINITY;
  let since = 0;
  (ctx.db as Partial<PostgresDb>).onConnectionLost?.((err) => {
    const now = ctx.now();
    if (now - loggedAt < 10_000) return;
    loggedAt = now;
    ctx.logger.warn(
      { err: err.message, code: (err as { code?: string }).code },
      `storage: a PostgreSQL connection was lost (${err.message}); work on it is retried on a new one`,
    );
  });
  ctx.readiness.set('ingest', () =>
    waiting > 0
      ? `storage unavailable: ${waiting} message(s) waiting to be applied since ${new Date(since).toISOString()}`
      : null,
  );
  return {
    /** A message began retrying. */
    waiting() {
      if (waiting++ === 0) since = ctx.now();
    },
    /** It was applied or given up. */
    done() {
      waiting--;
    },
  };
}
