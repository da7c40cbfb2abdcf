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

/** Pure: a seq after `prevMax` skips the seqs between; one below it arrived late (was counted as skipped). */
export function seqStep(prevMax: number, seq: number): SeqStep {
  if (seq > prevMax) return { skipped: seq - prevMax - 1, late: false };
  return { skipped: 0, late: true };
}

/** Data seqs still missing per agent (over all its boots): the highest seq + 1 minus those that arrived. */
export async function missingSeqs(db: Db): Promise<{ agentId: string; missing: number }[]> {
  const rows = await db.all<{ agent_id: string; missing: number }>(
    'SELECT agent_id, SUM(max_seq + 1 - received) AS missing FROM agent_seq GROUP BY agent_id',
  );
  return rows.map((r) => ({ agentId: r.agent_id, missing: Number(r.missing) }));
}
