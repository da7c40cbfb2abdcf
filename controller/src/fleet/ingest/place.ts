import type { AgentMessage } from '@hashfleet/contracts';
import { type PlaceVerdict, placeVerdict } from '../../core/auth/agent-places.js';
import type { Db } from '../../core/storage/db.js';
import { normaliseMac } from '../inventory/mac.js';

/** What ingest does with a message from an agent that has no binding (`ingest.unboundAgents`). */
export type UnboundPolicy = 'refuse' | 'accept';

/** Why a valid message (or part of it) was refused: the `reason` label and the audit's reason. */
export type RefusalReason = 'foreign_place' | 'unbound' | 'foreign_miner';

/** A miner a message named that sits in a container bound to another agent: left out, not moved. */
export type ForeignMiner = {
  minerKey: string;
  serial: string | null;
  mac: string | null;
  containerId: string;
};

export type Place = {
  verdict: PlaceVerdict;
  /** Set when the whole message is refused: nothing of it is written. */
  refused?: { reason: RefusalReason; why: string };
  /** The message to apply: without the entries naming another agent's miner. */
  msg: AgentMessage;
  foreign: ForeignMiner[];
};

/**
 * Whether the message's agent may speak for the container and site the message claims (issue 17
 * item 1): the agent registry, not the payload, decides. Messages without a place (status,
 * results) are the agent's own. An agent bound nowhere is refused unless `ingest.unboundAgents`
 * is `accept` (a migration period). Run inside the applying transaction, before anything is
 * written, so a refused message changes nothing.
 *
 * Of an accepted message, each sample, birth entry or appeared event naming (by serial or MAC) a
 * miner that sits in another container bound to another agent is left out: the reconciler would
 * otherwise move that miner into this agent's container on its word alone. The miner stays where
 * it is; moving it is an operator's act (`POST /miners/:id/move`, or a relocation move).
 */
export async function placeOf(
  db: Db,
  msg: AgentMessage,
  unbound: UnboundPolicy,
  bindings?: Bindings,
  held?: HeldPlaces,
): Promise<Place> {
  if (!('siteId' in msg && 'containerId' in msg)) return { verdict: 'own', msg, foreign: [] };
  const judged = judgePlace(msg, unbound, bindings ?? (await Bindings.read(db, [msg])));
  if (judged.refused) return { ...judged, msg, foreign: [] };
  const verdict = judged.verdict;
  const foreign = held ? held.foreign(msg, msg.containerId) : await foreignMiners(db, msg, msg.containerId);
  if (foreign.length === 0) return { verdict, msg, foreign };
  return { verdict, msg: without(msg, new Set(foreign.map((f) => f.minerKey))), foreign };
}

/** The binding verdict on a message's claimed place, and why it is refused if it is. */
export function judgePlace(
  msg: AgentMessage,
  unbound: UnboundPolicy,
  bindings: Bindings,
): Pick<Place, 'verdict' | 'refused'> {
  if (!('siteId' in msg && 'containerId' in msg)) return { verdict: 'own' };
  const claimed = { siteId: msg.siteId, containerId: msg.containerId };
  const verdict = placeVerdict(msg.agentId, bindings.of(msg.agentId, msg.containerId), claimed);
  const where = `container ${msg.containerId} at site ${msg.siteId}`;
  if (verdict === 'foreign_place')
    return {
      verdict,
      refused: { reason: 'foreign_place', why: `claims ${where}, which this agent is not bound to` },
    };
  if (verdict === 'unbound' && unbound === 'refuse')
    return {
      verdict,
      refused: {
        reason: 'unbound',
        why: `bound to no container (claims ${where}); bind it with token create or broker add-agent --site --container, or set ingest.unboundAgents: accept`,
      },
    };
  return { verdict };
}

type Binding = { agentId: string; siteId: string; containerId: string };

/**
 * The agent bindings of a whole batch, read in one query (issue 15 item 1): ingest never writes
 * `agent_places`, so what a message's own query would return is the rows naming its agent or its
 * container.
 */
export class Bindings {
  private constructor(private readonly rows: Binding[]) {}

  static async read(db: Db, msgs: readonly AgentMessage[]): Promise<Bindings> {
    const agents = new Set<string>();
    const containers = new Set<string>();
    for (const m of msgs)
      if ('siteId' in m && 'containerId' in m) {
        agents.add(m.agentId);
        containers.add(m.containerId);
      }
    if (agents.size === 0) return new Bindings([]);
    const rows = await db.all<{ agent_id: string; site_id: string; container_id: string }>(
      `SELECT agent_id, site_id, container_id FROM agent_places
       WHERE agent_id IN (${placeholders(agents.size)}) OR container_id IN (${placeholders(containers.size)})`,
      [...agents, ...containers],
    );
    return new Bindings(
      rows.map((r) => ({ agentId: r.agent_id, siteId: r.site_id, containerId: r.container_id })),
    );
  }

  of(agentId: string, containerId: string): Binding[] {
    return this.rows.filter((r) => r.agentId === agentId || r.containerId === containerId);
  }
}

type Named = { minerKey: string; serial: string | null; mac: string | null };

/** The miners a message names by serial or MAC: what the reconciler follows to an existing miner. */
function namedIn(msg: AgentMessage): Named[] {
  const out: Named[] = [];
  const fromIdentity = (
    minerKey: string,
    identity: { kind: string; value: string; lastSeenAt: number }[],
  ) => {
    const seen = (kind: string) =>
      identity.filter((i) => i.kind === kind).sort((a, b) => b.lastSeenAt - a.lastSeenAt)[0]?.value ?? null;
    out.push({ minerKey, serial: seen('serial'), mac: seen('mac') });
  };
  if (msg.kind === 'telemetry')
    for (const s of msg.samples) out.push({ minerKey: s.minerKey, serial: s.serial, mac: s.mac });
  if (msg.kind === 'birth') for (const m of msg.miners) fromIdentity(m.minerKey, m.identity);
  if (msg.kind === 'events')
    for (const e of msg.events) if (e.type === 'miner.appeared') fromIdentity(e.minerKey, e.identity);
  return out.filter((n) => n.serial || n.mac).map((n) => ({ ...n, mac: n.mac ? normaliseMac(n.mac) : null }));
}

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * The named miners sitting in a container other than `containerId` that is bound to some agent
 * and not to this one. A miner in transit or storage (no container) or in an unbound container
 * is not foreign: the reconciler may place it.
 */
async function foreignMiners(db: Db, msg: AgentMessage, containerId: string): Promise<ForeignMiner[]> {
  const named = namedIn(msg);
  if (named.length === 0) return [];
  const serials = [...new Set(named.flatMap((n) => (n.serial ? [n.serial] : [])))];
  const macs = [...new Set(named.flatMap((n) => (n.mac ? [n.mac] : [])))];
  const foreignContainer = `m.container_id IS NOT NULL AND m.container_id <> ?
    AND EXISTS (SELECT 1 FROM agent_places p WHERE p.container_id = m.container_id)
    AND NOT EXISTS (SELECT 1 FROM agent_places q WHERE q.container_id = m.container_id AND q.agent_id = ?)`;
  const bySerial = new Map<string, string>();
  const byMac = new Map<string, string>();
  if (serials.length)
    for (const r of await db.all<{ serial: string; container_id: string }>(
      `SELECT m.serial, m.container_id FROM miners m
       WHERE m.serial IN (${placeholders(serials.length)}) AND ${foreignContainer}`,
      [...serials, containerId, msg.agentId],
    ))
      bySerial.set(r.serial, r.container_id);
  if (macs.length)
    for (const r of await db.all<{ value: string; container_id: string }>(
      `SELECT i.value, m.container_id FROM miner_identities i JOIN miners m ON m.id = i.miner_id
       WHERE i.kind = 'mac' AND i.value IN (${placeholders(macs.length)}) AND ${foreignContainer}`,
      [...macs, containerId, msg.agentId],
    ))
      byMac.set(r.value, r.container_id);
  if (bySerial.size === 0 && byMac.size === 0) return [];
  return named.flatMap((n) => {
    const held = (n.serial && bySerial.get(n.serial)) || (n.mac && byMac.get(n.mac));
    return held ? [{ ...n, containerId: held }] : [];
  });
}

type Held = { containerId: string; agents: Set<string> };

/**
 * Where a whole batch's named miners sit (issue 15 item 1): the containers bound to some agent
 * that hold a miner named by serial or MAC, with the agents bound to each, read in two statements
 * instead of two per message. `foreign` then answers as `foreignMiners` would have, as long as
 * nothing wrote `miners` or `miner_identities` since the read (ingest.ts reads per message again
 * after a message that may have: one the reconciler wrote for, or any but plain telemetry).
 */
export class HeldPlaces {
  private constructor(
    private readonly bySerial: Map<string, Held[]>,
    private readonly byMac: Map<string, Held[]>,
  ) {}

  static async read(db: Db, msgs: readonly AgentMessage[]): Promise<HeldPlaces> {
    const named = msgs.flatMap(namedIn);
    const serials = [...new Set(named.flatMap((n) => (n.serial ? [n.serial] : [])))];
    const macs = [...new Set(named.flatMap((n) => (n.mac ? [n.mac] : [])))];
    const group = (rows: { v: string; container_id: string; agent_id: string }[]) => {
      const out = new Map<string, Held[]>();
      for (const r of rows) {
        const held = out.get(r.v) ?? [];
        out.set(r.v, held);
        const place = held.find((h) => h.containerId === r.container_id);
        if (place) place.agents.add(r.agent_id);
        else held.push({ containerId: r.container_id, agents: new Set([r.agent_id]) });
      }
      return out;
    };
    const bySerial = serials.length
      ? await db.all<{ v: string; container_id: string; agent_id: string }>(
          `SELECT m.serial AS v, m.container_id, p.agent_id FROM miners m
           JOIN agent_places p ON p.container_id = m.container_id
           WHERE m.serial IN (${placeholders(serials.length)})`,
          serials,
        )
      : [];
    const byMac = macs.length
      ? await db.all<{ v: string; container_id: string; agent_id: string }>(
          `SELECT i.value AS v, m.container_id, p.agent_id FROM miner_identities i
           JOIN miners m ON m.id = i.miner_id JOIN agent_places p ON p.container_id = m.container_id
           WHERE i.kind = 'mac' AND i.value IN (${placeholders(macs.length)})`,
          macs,
        )
      : [];
    return new HeldPlaces(group(bySerial), group(byMac));
  }

  /** `foreignMiners(db, msg, containerId)` from what was read. */
  foreign(msg: AgentMessage, containerId: string): ForeignMiner[] {
    const elsewhere = (held: Held[] | undefined) =>
      held?.find((h) => h.containerId !== containerId && !h.agents.has(msg.agentId))?.containerId;
    return namedIn(msg).flatMap((n) => {
      const held =
        (n.serial && elsewhere(this.bySerial.get(n.serial))) || (n.mac && elsewhere(this.byMac.get(n.mac)));
      return held ? [{ ...n, containerId: held }] : [];
    });
  }
}

/** The message without the entries for `keys` (samples, birth entries, appeared events). */
function without(msg: AgentMessage, keys: Set<string>): AgentMessage {
  if (msg.kind === 'telemetry') return { ...msg, samples: msg.samples.filter((s) => !keys.has(s.minerKey)) };
  if (msg.kind === 'birth') return { ...msg, miners: msg.miners.filter((m) => !keys.has(m.minerKey)) };
  if (msg.kind === 'events')
    return {
      ...msg,
      events: msg.events.filter((e) => !(e.type === 'miner.appeared' && keys.has(e.minerKey))),
    };
  return msg;
}

/** The log line and audit reason for entries left out because they name another agent's miner. */
export const refusedMinersWhy = (miners: ForeignMiner[]) =>
  `names ${miners.length === 1 ? 'a miner' : `${miners.length} miners`} of a container bound to another agent (${miners
    .map((m) => `${m.serial ?? m.mac} in ${m.containerId}`)
    .join(', ')}): left out, the miner stays where it is`;

/** What a refused message claimed, for the log and the audit entry. */
export const claimOf = (msg: AgentMessage) =>
  'siteId' in msg && 'containerId' in msg
    ? { siteId: msg.siteId, containerId: msg.containerId }
    : { siteId: null, containerId: null };
