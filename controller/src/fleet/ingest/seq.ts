import { type AgentMessage, DATA_SEQ_KINDS, SESSION_SEQ_FROM } from '@hashfleet/contracts';
import type { Db } from '../../core/storage/db.js';

/** What one first-delivered data message did to its agent boot's seq: seqs skipped, or a late one. */
export type SeqStep = { skipped: number; late: boolean };

const isData = (kind: string) => (DATA_SEQ_KINDS as readonly string[]).includes(kind);

/**
 * Notes a first-delivered message's seq against the highest seen for its agent and boot
 * (contracts messages.ts: data kinds take consecutive seqs from 0 per boot; birth and status
 * count on a session counter of their own and are never gaps). The row lives in the database and
 * is updated in the applying transaction (the upsert locks it), so replicas sharing the database
 * count each skipped seq exactly once whichever of them ingests which message. Null for session
 * messages.
 */
export async function noteSeq(db: Db, msg: AgentMessage, kind: string, now: number): Promise<SeqStep | null> {
  if (!isData(kind) || msg.seq >= SESSION_SEQ_FROM) return null;
  const row = await db.get<{ prev_max: number }>(
    `INSERT INTO agent_seq (agent_id, boot_id, max_seq, prev_max, received, updated_at) VALUES (?, ?, ?, -1, 1, ?)
     ON CONFLICT (agent_id, boot_id) DO UPDATE SET
       prev_max = agent_seq.max_seq,
       max_seq = CASE WHEN excluded.max_seq > agent_seq.max_seq THEN excluded.max_seq ELSE agent_seq.max_seq END,
       received = agent_seq.received + 1,
       updated_at = excluded.updated_at
     RETURNING prev_max`,
    [msg.agentId, msg.bootId, msg.seq, now],
  );
  return seqStep(row?.prev_max ?? -1, msg.seq);
}

/**
 * `noteSeq` for a batch's first-delivered messages in one statement (issue 15 item 1): one upsert
 * row per agent boot (its highest seq, its count), returning the highest seq before the batch;
 * each message's step is then what `noteSeq` would have returned had they come one by one in
 * the order given. The row's `prev_max` is left at the highest before the batch (it only carries
 * the RETURNING value; nothing reads it).
 */
export async function noteSeqs(
  db: Db,
  items: readonly { msg: AgentMessage; kind: string }[],
  now: number,
): Promise<(SeqStep | null)[]> {
  const counted = (i: { msg: AgentMessage; kind: string }) => isData(i.kind) && i.msg.seq < SESSION_SEQ_FROM;
  const boots = new Map<string, { agentId: string; bootId: string; max: number; n: number }>();
  for (const i of items) {
    if (!counted(i)) continue;
    const key = `${i.msg.agentId}\u0000${i.msg.bootId}`;
    const b = boots.get(key);
    if (b) {
      b.max = Math.max(b.max, i.msg.seq);
      b.n++;
    } else boots.set(key, { agentId: i.msg.agentId, bootId: i.msg.bootId, max: i.msg.seq, n: 1 });
  }
  if (boots.size === 0) return items.map(() => null);
  // In key order, so two replicas' batches lock the same rows in the same order (no deadlock).
  const upserts = [...boots].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, b]) => b);
  const rows = await db.all<{ agent_id: string; boot_id: string; prev_max: number | string }>(
    `INSERT INTO agent_seq (agent_id, boot_id, max_seq, prev_max, received, updated_at)
     VALUES ${upserts.map(() => '(?, ?, ?, -1, ?, ?)').join(', ')}
     ON CONFLICT (agent_id, boot_id) DO UPDATE SET
       prev_max = agent_seq.max_seq,
       max_seq = CASE WHEN excluded.max_seq > agent_seq.max_seq THEN excluded.max_seq ELSE agent_seq.max_seq END,
       received = agent_seq.received + excluded.received,
       updated_at = excluded.updated_at
     RETURNING agent_id, boot_id, prev_max`,
    upserts.flatMap((b) => [b.agentId, b.bootId, b.max, b.n, now]),
  );
  const highest = new Map(rows.map((r) => [`${r.agent_id}\u0000${r.boot_id}`, Number(r.prev_max)]));
  return items.map((i) => {
    if (!counted(i)) return null;
    const key = `${i.msg.agentId}\u0000${i.msg.bootId}`;
    const prev = highest.get(key) ?? -1;
    highest.set(key, Math.max(prev, i.msg.seq));
    return seqStep(prev, i.msg.seq);
  });
}

/** Pure: a seq after `prevMax` skips the seqs between; one below it arrived late (was counted as skipped). */
export function seqStep(prevMax: number, seq: number): SeqStep {
  if (seq > prevMax) return { skipped: seq - prevMax - 1, late: false };
  return { skipped: 0, late: true };
}

/** Data seqs still missing per agent (over all its boots): the highest seq + 1 minus those that arrived; one agent's with `agentId`. */
export async function missingSeqs(db: Db, agentId?: string): Promise<{ agentId: string; missing: number }[]> {
  const rows = await db.all<{ agent_id: string; missing: number }>(
    `SELECT agent_id, SUM(max_seq + 1 - received) AS missing FROM agent_seq
     ${agentId === undefined ? '' : 'WHERE agent_id = ?'} GROUP BY agent_id`,
    agentId === undefined ? [] : [agentId],
  );
  return rows.map((r) => ({ agentId: r.agent_id, missing: Number(r.missing) }));
}
