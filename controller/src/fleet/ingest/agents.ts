import type { AgentMetrics, Envelope } from '@hashfleet/contracts';
import type { Db } from '../../core/storage/db.js';
import type { Deferred, Upsert } from './deferred.js';

const AGENT: Upsert = {
  head: `INSERT INTO agents (id, site_id, container_id, state, state_reason, state_at, boot_id, last_seen_at,
       clock_skew_ms, metrics_json)`,
  columns: 10,
  tail: `ON CONFLICT (id) DO UPDATE SET
       site_id = COALESCE(excluded.site_id, agents.site_id),
       container_id = COALESCE(excluded.container_id, agents.container_id),
       boot_id = excluded.boot_id,
       last_seen_at = CASE WHEN agents.last_seen_at IS NULL OR excluded.last_seen_at > agents.last_seen_at
         THEN excluded.last_seen_at ELSE agents.last_seen_at END,
       clock_skew_ms = COALESCE(excluded.clock_skew_ms, agents.clock_skew_ms),
       metrics_json = COALESCE(excluded.metrics_json, agents.metrics_json)`,
};

/**
 * Notes that an agent spoke (and its self-metrics and clock skew); creates its row if new. With
 * `deferred`, the row is held for the batch's multi-row write (deferred.ts) instead of written now.
 */
export async function touchAgent(
  db: Db,
  msg: Envelope & { siteId?: string; containerId?: string },
  receivedAt: number,
  opts: {
    metrics?: AgentMetrics | null;
    deferred?: Deferred;
    /** Ingest's skew estimate (skew.ts); without it, sentAt minus receivedAt. */
    skewOf?: (agentId: string) => number | null;
  } = {},
): Promise<void> {
  // Skew only means something for live messages; a spool replay is late by design. Ingest's
  // estimate (skew.ts) is not misled by a message that waited in a queue.
  const skew = msg.historical ? null : (opts.skewOf?.(msg.agentId) ?? msg.sentAt - receivedAt);
  const values = [
    msg.agentId,
    msg.siteId ?? null,
    msg.containerId ?? null,
    'online',
    'message',
    receivedAt,
    msg.bootId,
    receivedAt,
    skew,
    opts.metrics ? JSON.stringify(opts.metrics) : null,
  ];
  if (opts.deferred) opts.deferred.add(AGENT, [{ key: msg.agentId, values }]);
  else await db.run(`${AGENT.head} VALUES (${values.map(() => '?').join(', ')}) ${AGENT.tail}`, values);
}
