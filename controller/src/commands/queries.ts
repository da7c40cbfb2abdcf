import type { Db } from '../core/storage/db.js';

/** Where a command for a miner goes: its container's agent, and the agent's key for the miner. */
export async function minerTarget(db: Db, minerId: string) {
  return db.get<{ agent_id: string | null; miner_key: string | null }>(
    `SELECT c.agent_id, (SELECT am.miner_key FROM agent_miners am WHERE am.miner_id = m.id AND am.agent_id = c.agent_id
           ORDER BY am.updated_at DESC LIMIT 1) AS miner_key
         FROM miners m LEFT JOIN containers c ON c.id = m.container_id WHERE m.id = ?`,
    [minerId],
  );
}

/** The agent that polls a PDU (its container's); undefined for an unknown PDU. */
export async function pduAgent(db: Db, pduId: string) {
  return db.get<{ agent_id: string | null }>(
    'SELECT c.agent_id FROM pdus p LEFT JOIN containers c ON c.id = p.container_id WHERE p.id = ?',
    [pduId],
  );
}

/** The miner in the slot a PDU outlet feeds, if any. */
export async function outletMiner(db: Db, pduId: string, outlet: number) {
  return db.get<{ miner_id: string | null }>(
    'SELECT s.miner_id FROM pdu_outlets o JOIN slots s ON s.id = o.slot_id WHERE o.pdu_id = ? AND o.outlet = ?',
    [pduId, outlet],
  );
}
