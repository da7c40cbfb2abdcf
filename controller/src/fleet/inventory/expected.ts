import type { Db } from '../../core/storage/db.js';

/** An agent's report that a miner it polls did not answer (contracts' `Unreachable`). */
export type Silent = { minerKey: string; ip: string; at: number; error: string };

/**
 * An agent reports a miner that never answered by its address only (its key is the IP): the
 * controller had no asset for it and dropped the report, so a dead or hung unit left its slot
 * looking empty (issue 19 item 1). The asset the import or slot plan expects at that address in
 * the agent's container takes the report: mapped to the agent's key and given a latest reading
 * that says it does not answer, which the grid shows and the offline alert judges at once.
 * Returns the miner's id, or null when nothing is expected there.
 */
export async function adoptSilent(
  db: Db,
  agentId: string,
  containerId: string,
  u: Silent,
  receivedAt: number,
): Promise<string | null> {
  const mapped = await db.get<{ miner_id: string }>(
    'SELECT miner_id FROM agent_miners WHERE agent_id = ? AND miner_key = ?',
    [agentId, u.minerKey],
  );
  if (mapped) return mapped.miner_id;
  const expected = await db.get<{ id: string }>(
    `SELECT m.id FROM miner_identities i JOIN miners m ON m.id = i.miner_id
     WHERE i.kind = 'ip' AND i.value = ? AND m.container_id = ? ORDER BY i.last_seen DESC LIMIT 1`,
    [u.ip, containerId],
  );
  if (!expected) return null;
  await db.run(
    `INSERT INTO agent_miners (agent_id, miner_key, miner_id, updated_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (agent_id, miner_key) DO UPDATE SET miner_id = excluded.miner_id, updated_at = excluded.updated_at`,
    [agentId, u.minerKey, expected.id, u.at],
  );
  await db.run(
    `INSERT INTO miner_latest (miner_id, at, received_at, sample_json, state, online, error)
     VALUES (?, ?, ?, ?, 'error', 0, ?) ON CONFLICT (miner_id) DO NOTHING`,
    [expected.id, u.at, receivedAt, JSON.stringify({ agentId }), u.error],
  );
  return expected.id;
}
