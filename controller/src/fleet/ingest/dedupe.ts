import type { Envelope } from '@hashfleet/contracts';
import type { Db } from '../../core/storage/db.js';

/**
 * Records `(agentId, bootId, kind, seq)`; false when it was already there (a QoS 1 redelivery or
 * a spool replay of something already counted). Run it in the transaction that applies the
 * message, so a crash either keeps both or neither.
 */
export async function firstDelivery(db: Db, env: Envelope, kind: string, now: number): Promise<boolean> {
  const r = await db.run(
    `INSERT INTO ingest_seen (agent_id, boot_id, kind, seq, received_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (agent_id, boot_id, kind, seq) DO NOTHING`,
    [env.agentId, env.bootId, kind, env.seq, now],
  );
  return r.changes > 0;
}

export async function pruneSeen(db: Db, olderThan: number): Promise<number> {
  return (await db.run('DELETE FROM ingest_seen WHERE received_at < ?', [olderThan])).changes;
}
