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

/**
 * `firstDelivery` for a batch's messages in one statement (issue 15 item 1), in the order given:
 * the same message twice in one batch is first only where it comes first. Same transaction rule.
 */
export async function firstDeliveries(
  db: Db,
  items: readonly { env: Envelope; kind: string }[],
  now: number,
): Promise<boolean[]> {
  if (items.length === 0) return [];
  // Written in key order, so two replicas' batches take the index entries in the same order.
  const keyed = items.map(({ env, kind }) => ({
    env,
    kind,
    key: seenKey(env.agentId, env.bootId, kind, env.seq),
  }));
  const sorted = [...keyed].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const rows = await db.all<{ agent_id: string; boot_id: string; kind: string; seq: number | string }>(
    `INSERT INTO ingest_seen (agent_id, boot_id, kind, seq, received_at)
     VALUES ${sorted.map(() => '(?, ?, ?, ?, ?)').join(', ')}
     ON CONFLICT (agent_id, boot_id, kind, seq) DO NOTHING
     RETURNING agent_id, boot_id, kind, seq`,
    sorted.flatMap(({ env, kind }) => [env.agentId, env.bootId, kind, env.seq, now]),
  );
  const inserted = new Set(rows.map((r) => seenKey(r.agent_id, r.boot_id, r.kind, Number(r.seq))));
  return keyed.map(({ key }) => inserted.delete(key));
}

const seenKey = (agentId: string, bootId: string, kind: string, seq: number) =>
  `${agentId}\u0000${bootId}\u0000${kind}\u0000${seq}`;
