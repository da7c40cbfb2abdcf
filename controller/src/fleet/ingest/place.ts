import type { AgentMessage } from '@hashfleet/contracts';
import { type PlaceVerdict, placeVerdict } from '../../core/auth/agent-places.js';
import type { Db } from '../../core/storage/db.js';
import { normaliseMac } from '../inventory/mac.js';

/**
 * Whether the message's agent may speak for the container and site the message claims (issue 17
 * item 1): the agent registry, not the payload, decides. Messages without a place (status,
 * results) are the agent's own. Run inside the applying transaction, before anything is written,
 * so a refused message changes nothing: no miner is moved on the word of an agent that does not
 * own the destination.
 */
export async function placeOf(db: Db, msg: AgentMessage): Promise<{ verdict: PlaceVerdict; why?: string }> {
  if (!('siteId' in msg && 'containerId' in msg)) return { verdict: 'own' };
  const rows = await db.all<{ agent_id: string; site_id: string; container_id: string }>(
    'SELECT agent_id, site_id, container_id FROM agent_places WHERE agent_id = ? OR container_id = ?',
    [msg.agentId, msg.containerId],
  );
  const verdict = placeVerdict(
    msg.agentId,
    rows.map((r) => ({ agentId: r.agent_id, siteId: r.site_id, containerId: r.container_id })),
    { siteId: msg.siteId, containerId: msg.containerId },
  );
  const where = `container ${msg.containerId} at site ${msg.siteId}`;
  if (verdict === 'foreign_place')
    return { verdict, why: `claims ${where}, which this agent is not bound to` };
  if (verdict === 'unbound' && (await namesBoundMiner(db, msg)))
    return {
      verdict: 'foreign_place',
      why: `bound nowhere, names a miner of a container bound to another agent (for ${where})`,
    };
  return { verdict };
}

/** The serials and MACs a message names: what the reconciler follows to an existing miner. */
function identitiesOf(msg: AgentMessage): { serials: string[]; macs: string[] } {
  const serials: string[] = [];
  const macs: string[] = [];
  const add = (kind: string, value: string | null | undefined) => {
    if (!value) return;
    if (kind === 'serial') serials.push(value);
    if (kind === 'mac') macs.push(normaliseMac(value));
  };
  if (msg.kind === 'telemetry')
    for (const s of msg.samples) {
      add('serial', s.serial);
      add('mac', s.mac);
    }
  if (msg.kind === 'birth') for (const m of msg.miners) for (const i of m.identity) add(i.kind, i.value);
  if (msg.kind === 'events')
    for (const e of msg.events)
      if (e.type === 'miner.appeared') for (const i of e.identity) add(i.kind, i.value);
  return { serials, macs };
}

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * Whether an agent without a binding names a miner that sits in a container bound to another
 * agent: the reconciler would move it out on the word of an agent that owns no destination.
 */
async function namesBoundMiner(db: Db, msg: AgentMessage): Promise<boolean> {
  if (!(await db.get('SELECT 1 AS one FROM agent_places LIMIT 1'))) return false;
  const { serials, macs } = identitiesOf(msg);
  const owned = `JOIN agent_places p ON p.container_id = m.container_id AND p.agent_id <> ?`;
  if (serials.length) {
    const hit = await db.get(
      `SELECT 1 AS one FROM miners m ${owned} WHERE m.serial IN (${placeholders(serials.length)}) LIMIT 1`,
      [msg.agentId, ...serials],
    );
    if (hit) return true;
  }
  if (macs.length) {
    const hit = await db.get(
      `SELECT 1 AS one FROM miner_identities i JOIN miners m ON m.id = i.miner_id ${owned}
       WHERE i.kind = 'mac' AND i.value IN (${placeholders(macs.length)}) LIMIT 1`,
      [msg.agentId, ...macs],
    );
    if (hit) return true;
  }
  return false;
}

/** What a refused message claimed, for the log and the audit entry. */
export const claimOf = (msg: AgentMessage) =>
  'siteId' in msg && 'containerId' in msg
    ? { siteId: msg.siteId, containerId: msg.containerId }
    : { siteId: null, containerId: null };
