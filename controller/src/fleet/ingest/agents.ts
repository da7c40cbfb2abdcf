import type { AgentMetrics, Envelope } from '@hashfleet/contracts';
import type { Db } from '../../core/storage/db.js';

/** Notes that an agent spoke (and its self-metrics and clock skew); creates its row if new. */
export async function touchAgent(
  db: Db,
  msg: Envelope & { siteId?: string; containerId?: string },
  receivedAt: number,
  metrics: AgentMetrics | null = null,
): Promise<void> {
  // Skew only means something for live messages; a spool replay is late by design.
  const skew = msg.historical ? null : msg.sentAt - receivedAt;
  await db.run(
    `INSERT INTO agents (id, site_id, container_id, state, state_reason, state_at, boot_id, last_seen_at,
       clock_skew_ms, metrics_json)
     VALUES (?, ?, ?, 'online', 'message', ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET
       site_id = COALESCE(excluded.site_id, agents.site_id),
       container_id = COALESCE(excluded.container_id, agents.container_id),
       boot_id = excluded.boot_id,
       last_seen_at = CASE WHEN agents.last_seen_at IS NULL OR excluded.last_seen_at > agents.last_seen_at
         THEN excluded.last_seen_at ELSE agents.last_seen_at END,
       clock_skew_ms = COALESCE(excluded.clock_skew_ms, agents.clock_skew_ms),
       metrics_json = COALESCE(excluded.metrics_json, agents.metrics_json)`,
    [
      msg.agentId,
      msg.siteId ?? null,
      msg.containerId ?? null,
      receivedAt,
      msg.bootId,
      receivedAt,
      skew,
      metrics ? JSON.stringify(metrics) : null,
    ],
  );
}
