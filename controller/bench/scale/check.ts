/**
 * The rehearsal's end check, in the database the replicas wrote: every published message applied
 * exactly once (docs/architecture.md §6.2). A message is applied when its `(agent, boot, kind, seq)`
 * is in `ingest_seen`; its samples are counted once each in `container_hourly.samples`
 * (controller/src/fleet/hourly.ts), so more samples there than the applied messages hold means a
 * message applied twice, fewer means samples lost. A message acked but not applied is lost.
 */
import type { Db } from '../../src/core/storage/db.js';
import type { Delivery } from './publisher.js';

export type Exactness = {
  published: number;
  applied: number;
  /** Published, not applied and not acked when the bench stopped waiting: still queued, not lost. */
  backlog: number;
  /** Messages acknowledged end to end but not in the database: lost, the ack promise broken. */
  ackedNotApplied: number;
  /** Samples of the applied messages. */
  appliedSamples: number;
  storedSamples: number;
  doubledSamples: number;
  lostSamples: number;
};

export async function exactness(
  db: Db,
  bootId: string,
  siteId: string,
  deliveries: Delivery[],
  agentOf: (c: number) => string,
): Promise<Exactness> {
  const seen = new Set(
    (
      await db.all<{ agent_id: string; seq: number }>(
        "SELECT agent_id, seq FROM ingest_seen WHERE boot_id = ? AND kind = 'telemetry'",
        [bootId],
      )
    ).map((r) => `${r.agent_id}:${Number(r.seq)}`),
  );
  const missing = deliveries.filter((d) => !seen.has(`${agentOf(d.c)}:${d.seq}`));
  const stored = await db.get<{ n: number | string | null }>(
    'SELECT SUM(samples) AS n FROM container_hourly WHERE site_id = ?',
    [siteId],
  );
  const appliedSamples =
    deliveries.reduce((s, d) => s + d.samples, 0) - missing.reduce((s, d) => s + d.samples, 0);
  const storedSamples = Number(stored?.n ?? 0);
  return {
    published: deliveries.length,
    applied: seen.size,
    backlog: missing.filter((d) => d.ackAt === null).length,
    ackedNotApplied: missing.filter((d) => d.ackAt !== null).length,
    appliedSamples,
    storedSamples,
    doubledSamples: Math.max(0, storedSamples - appliedSamples),
    lostSamples: Math.max(0, appliedSamples - storedSamples),
  };
}
