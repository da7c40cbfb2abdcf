import { randomUUID } from 'node:crypto';
import type { Db } from '../../core/storage/db.js';

export type FleetEvent = {
  at: number;
  kind: string;
  minerId?: string | null;
  agentId?: string | null;
  details: unknown;
};

/** Appends one fleet event (miner appeared, moved, identity changed, agent offline, ...). */
export async function addEvent(db: Db, e: FleetEvent): Promise<string> {
  const id = randomUUID();
  await db.run(
    'INSERT INTO events (id, at, kind, miner_id, agent_id, details_json) VALUES (?, ?, ?, ?, ?, ?)',
    [id, e.at, e.kind, e.minerId ?? null, e.agentId ?? null, JSON.stringify(e.details ?? null)],
  );
  return id;
}
