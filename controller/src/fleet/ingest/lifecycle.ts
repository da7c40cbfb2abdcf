import type { Birth, Events, Status } from '@hashfleet/contracts';
import type { Db } from '../../core/storage/db.js';
import { auditSafetyAction } from '../../safety/index.js';
import { addEvent } from '../inventory/events.js';
import type { PendingCache } from '../inventory/reconcile.js';
import { ensureSlots } from '../inventory/slots.js';
import { touchAgent } from './agents.js';
import type { Applied, IngestDeps } from './deps.js';

const none: Applied = { points: [], samples: 0 };

/** Birth: what the agent polls. Records the agent, its PDUs and outlet map, and reconciles each miner. */
export async function applyBirth(
  db: Db,
  msg: Birth,
  deps: IngestDeps,
  pending: PendingCache,
): Promise<Applied> {
  const now = deps.now();
  await touchAgent(db, msg, now, { skewOf: deps.skewOf });
  await db.run(
    `UPDATE agents SET state = 'online', state_reason = 'birth', state_at = ?, agent_version = ?,
       poll_interval_ms = ?, last_birth_at = ?, birth_json = ? WHERE id = ?`,
    [msg.sentAt, msg.agentVersion, msg.pollIntervalMs, msg.sentAt, JSON.stringify(msg), msg.agentId],
  );
  for (const pdu of msg.pdus) {
    await db.run(
      `INSERT INTO pdus (id, container_id, vendor, host, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET container_id = excluded.container_id, vendor = excluded.vendor,
         host = excluded.host, updated_at = excluded.updated_at`,
      [pdu.pduId, msg.containerId, pdu.vendor, pdu.host, now],
    );
    for (const o of pdu.outlets) {
      const [slotId] = o.slot ? await ensureSlots(db, msg.containerId, [o.slot]) : [null];
      await db.run(
        `INSERT INTO pdu_outlets (pdu_id, outlet, slot_id) VALUES (?, ?, ?)
         ON CONFLICT (pdu_id, outlet) DO UPDATE SET slot_id = excluded.slot_id`,
        [pdu.pduId, o.outlet, slotId ?? null],
      );
    }
  }
  for (const m of msg.miners) {
    const seen = (kind: string) =>
      m.identity.filter((i) => i.kind === kind).sort((a, b) => b.lastSeenAt - a.lastSeenAt)[0];
    await deps.reconciler.resolve(
      db,
      {
        agentId: msg.agentId,
        siteId: msg.siteId,
        containerId: msg.containerId,
        minerKey: m.minerKey,
        serial: seen('serial')?.value ?? null,
        mac: seen('mac')?.value ?? null,
        ip: m.ip,
        hostname: seen('hostname')?.value ?? null,
        model: m.model,
        profile: m.profile,
        firmwareVersion: m.firmwareVersion,
        slot: m.slot,
        at: msg.sentAt,
      },
      pending,
    );
  }
  await addEvent(db, {
    at: msg.sentAt,
    kind: 'agent.birth',
    agentId: msg.agentId,
    details: {
      bootId: msg.bootId,
      agentVersion: msg.agentVersion,
      miners: msg.miners.length,
      pdus: msg.pdus.length,
    },
  });
  return none;
}

/**
 * Status (retained; the offline form is the agent's last will). Older than what we know is ignored,
 * except the will of the current boot: it is prepared at connect time, so it is always "older" than
 * the birth that followed, yet it is the news that this session died.
 */
export async function applyStatus(db: Db, msg: Status, deps: IngestDeps): Promise<Applied> {
  const now = deps.now();
  const r = await db.run(
    `INSERT INTO agents (id, state, state_reason, state_at, boot_id, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET state = excluded.state, state_reason = excluded.state_reason,
       state_at = excluded.state_at, boot_id = excluded.boot_id
     WHERE agents.state_at <= excluded.state_at
        OR (excluded.state_reason = 'lwt' AND agents.boot_id = excluded.boot_id)`,
    [msg.agentId, msg.state, msg.reason, msg.sentAt, msg.bootId, now],
  );
  if (r.changes > 0) {
    await addEvent(db, {
      at: msg.sentAt,
      kind: `agent.${msg.state}`,
      agentId: msg.agentId,
      details: { reason: msg.reason, bootId: msg.bootId },
    });
  }
  return none;
}

/** Agent events (miner appeared, lost, recovered, identity/firmware/pool changed) into the event log. */
export async function applyEvents(
  db: Db,
  msg: Events,
  deps: IngestDeps,
  pending: PendingCache,
): Promise<Applied> {
  await touchAgent(db, msg, deps.now(), { skewOf: deps.skewOf });
  for (const e of msg.events) {
    const mapped = await db.get<{ miner_id: string }>(
      'SELECT miner_id FROM agent_miners WHERE agent_id = ? AND miner_key = ?',
      [msg.agentId, e.minerKey],
    );
    if (e.type === 'miner.appeared') {
      const seen = (kind: string) =>
        e.identity.filter((i) => i.kind === kind).sort((a, b) => b.lastSeenAt - a.lastSeenAt)[0];
      await deps.reconciler.resolve(
        db,
        {
          agentId: msg.agentId,
          siteId: msg.siteId,
          containerId: msg.containerId,
          minerKey: e.minerKey,
          serial: seen('serial')?.value ?? null,
          mac: seen('mac')?.value ?? null,
          ip: e.ip,
          hostname: seen('hostname')?.value ?? null,
          model: e.model,
          profile: e.profile,
          firmwareVersion: null,
          slot: null,
          at: e.at,
        },
        pending,
      );
    }
    const { type, at, ...details } = e;
    const minerId =
      mapped?.miner_id ??
      (
        await db.get<{ miner_id: string }>(
          'SELECT miner_id FROM agent_miners WHERE agent_id = ? AND miner_key = ?',
          [msg.agentId, e.minerKey],
        )
      )?.miner_id ??
      null;
    await addEvent(db, { at, kind: type, minerId, agentId: msg.agentId, details });
    if (e.type === 'safety.action') await auditSafetyAction(db, msg, e, minerId, deps.now());
  }
  return none;
}
