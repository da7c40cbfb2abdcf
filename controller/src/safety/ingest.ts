import type { AgentEvent, Events } from '@hashfleet/contracts';
import { createAudit } from '../core/audit.js';
import type { Db } from '../core/storage/db.js';

type SafetyEvent = Extract<AgentEvent, { type: 'safety.action' }>;

/**
 * An action an agent took on its own (local safety), as ingest applies it: one audit entry with the
 * agent as the actor, in ingest's transaction after dedupe, so a spooled event delivered twice is
 * audited once. (The miner's event log gets the event itself, like every agent event.)
 */
export async function auditSafetyAction(
  tx: Db,
  msg: Events,
  e: SafetyEvent,
  minerId: string | null,
  now: number,
): Promise<void> {
  const { type: _type, ...details } = e;
  await createAudit(tx, () => now).record({
    actor: { tokenId: `agent:${msg.agentId}`, role: 'agent', stakerId: null, name: msg.agentId },
    action: `safety.action.${e.action}`,
    subject: `miner ${minerId ?? `${msg.agentId}/${e.minerKey}`}`,
    details: { ...details, minerId, agentId: msg.agentId, bootId: msg.bootId, seq: msg.seq },
  });
}
