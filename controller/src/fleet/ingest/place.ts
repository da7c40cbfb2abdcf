import type { AgentMessage } from '@hashfleet/contracts';
import { type PlaceVerdict, placeVerdict } from '../../core/auth/agent-places.js';
import type { Db } from '../../core/storage/db.js';

/**
 * Whether the message's agent may speak for the container and site the message claims (issue 17
 * item 1): the agent registry, not the payload, decides. Messages without a place (status,
 * results) are the agent's own. Run inside the applying transaction, before anything is written,
 * so a refused message changes nothing: no miner is moved on the word of an agent that does not
 * own the destination.
 */
export async function placeOf(db: Db, msg: AgentMessage): Promise<PlaceVerdict> {
  if (!('siteId' in msg && 'containerId' in msg)) return 'own';
  const rows = await db.all<{ agent_id: string; site_id: string; container_id: string }>(
    'SELECT agent_id, site_id, container_id FROM agent_places WHERE agent_id = ? OR container_id = ?',
    [msg.agentId, msg.containerId],
  );
  return placeVerdict(
    msg.agentId,
    rows.map((r) => ({ agentId: r.agent_id, siteId: r.site_id, containerId: r.container_id })),
    { siteId: msg.siteId, containerId: msg.containerId },
  );
}

/** What a refused message claimed, for the log and the audit entry. */
export const claimOf = (msg: AgentMessage) =>
  'siteId' in msg && 'containerId' in msg
    ? { siteId: msg.siteId, containerId: msg.containerId }
    : { siteId: null, containerId: null };
