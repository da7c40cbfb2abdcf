import type { Db } from '../../core/storage/db.js';

/** Poll cycles an agent gets to find an expected miner: it must have reported after a whole cycle. */
export const FIND_CYCLES = 1;
const DEFAULT_POLL_MS = 10_000;

/**
 * An expected miner (in a slot, in service) that its container's agent has never reported,
 * though the agent has been polling for `FIND_CYCLES` cycles since its birth and since the miner
 * was expected, did not answer the agent's scan: a dead unit, or one that accepts a connection and
 * never replies. The agent reports only what it found, so the controller says it instead: the
 * miner gets a latest reading that says it does not answer, which the grid shows and the offline
 * alert judges at once (issue 19 item 1). A later real sample replaces it. Returns how many.
 */
export async function markNotFound(db: Db, now: number): Promise<number> {
  const rows = await db.all<{
    id: string;
    agent_id: string;
    last_birth_at: number | null;
    last_seen_at: number | null;
    poll_interval_ms: number | null;
    expected_since: number | null;
  }>(
    `SELECT m.id, a.id AS agent_id, a.last_birth_at, a.last_seen_at, a.poll_interval_ms,
       (SELECT MAX(x.at) FROM miner_locations x WHERE x.miner_id = m.id) AS expected_since
     FROM miners m JOIN agents a ON a.container_id = m.container_id
     WHERE m.slot_id IS NOT NULL AND m.status = 'in_service' AND a.state = 'online'
       AND NOT EXISTS (SELECT 1 FROM miner_latest l WHERE l.miner_id = m.id)`,
  );
  let marked = 0;
  for (const r of rows) {
    const grace = FIND_CYCLES * Number(r.poll_interval_ms ?? DEFAULT_POLL_MS);
    if (r.last_birth_at === null || r.last_seen_at === null) continue;
    const since = Math.max(Number(r.last_birth_at), Number(r.expected_since ?? 0));
    // The agent must still have spoken after the grace: a silent agent is agent_offline's to say.
    if (now < since + grace || Number(r.last_seen_at) < since + grace) continue;
    const error = `not found by agent ${r.agent_id} within a poll cycle`;
    await db.run(
      `INSERT INTO miner_latest (miner_id, at, received_at, sample_json, state, online, error)
       VALUES (?, ?, ?, ?, 'error', 0, ?) ON CONFLICT (miner_id) DO NOTHING`,
      [r.id, now, now, JSON.stringify({ agentId: r.agent_id }), error],
    );
    marked++;
  }
  return marked;
}
