import type { Audit } from '../core/audit.js';
import type { Principal } from '../core/auth/roles.js';
import type { Db } from '../core/storage/db.js';

/**
 * What waits for a second person, read across the tables of the features that own it: single pool
 * changes (`commands`, state `pending_approval`; a bulk job's own commands are approved with their
 * job and left out), bulk jobs (`bulk_jobs`), relocation plans (`relocation_plans`, `proposed`).
 */
export type PendingCommandRow = {
  id: string;
  op: string;
  miner_id: string | null;
  agent_id: string;
  target: string;
  action_json: string;
  requested_by: string;
  requester_name: string | null;
  requester_role: string | null;
  issuer: string;
  created_at: number;
};

export type PendingBulkRow = {
  id: string;
  kind: string;
  ref: string | null;
  op: string;
  selector_json: string;
  params_json: string;
  requested_by: string;
  requested_by_name: string | null;
  requested_by_role: string | null;
  created_at: number;
  miners: number;
  refused: number;
};

export type PendingPlanRow = {
  id: string;
  name: string;
  proposed_by: string;
  proposed_at: number;
  profit_before_usd: number;
  profit_after_usd: number;
  move_count: number;
};

/** Pool changes waiting, those whose approval window (`approvalTtlS`) has not passed. */
export const pendingCommands = (db: Db, createdAfter: number) =>
  db.all<PendingCommandRow>(
    `SELECT c.id, c.op, c.miner_id, c.agent_id, c.target, c.action_json, c.requested_by, t.name AS requester_name,
       t.role AS requester_role, c.issuer, c.created_at
     FROM commands c LEFT JOIN api_tokens t ON t.id = c.requested_by
     WHERE c.state = 'pending_approval' AND c.bulk_job_id IS NULL AND c.created_at > ?
     ORDER BY c.created_at, c.id`,
    [createdAfter],
  );

export const pendingBulkJobs = (db: Db) =>
  db.all<PendingBulkRow>(
    `SELECT j.id, j.kind, j.ref, j.op, j.selector_json, j.params_json, j.requested_by, j.requested_by_name,
       j.requested_by_role, j.created_at,
       (SELECT COUNT(*) FROM bulk_items i WHERE i.job_id = j.id) AS miners,
       (SELECT COUNT(*) FROM bulk_items i WHERE i.job_id = j.id AND i.state = 'refused') AS refused
     FROM bulk_jobs j WHERE j.state = 'pending_approval' ORDER BY j.created_at, j.id`,
  );

export const proposedPlans = (db: Db) =>
  db.all<PendingPlanRow>(
    `SELECT id, name, proposed_by, proposed_at, profit_before_usd, profit_after_usd, move_count
     FROM relocation_plans WHERE state = 'proposed' ORDER BY proposed_at, id`,
  );

export const APPROVAL_KINDS = ['command', 'bulk', 'relocation'] as const;
export type ApprovalKind = (typeof APPROVAL_KINDS)[number];

/** How each kind is turned down: the row goes from waiting to `rejected` only if still waiting. */
const REJECT: Record<
  ApprovalKind,
  { sql: string; action: string; subject: (id: string) => string; idKey: string }
> = {
  command: {
    idKey: 'commandId',
    sql: `UPDATE commands SET state = 'rejected', result_json = ?, settled_at = ?
          WHERE id = ? AND state = 'pending_approval' AND bulk_job_id IS NULL`,
    action: 'command.reject',
    subject: (id) => `command ${id}`,
  },
  bulk: {
    idKey: 'jobId',
    sql: `UPDATE bulk_jobs SET state = 'rejected', next_batch_at = NULL, updated_at = ?, finished_at = ?
          WHERE id = ? AND state = 'pending_approval'`,
    action: 'bulk.reject',
    subject: (id) => `bulk ${id}`,
  },
  relocation: {
    idKey: 'planId',
    sql: `UPDATE relocation_plans SET state = 'rejected' WHERE id = ? AND state = 'proposed'`,
    action: 'relocation.plan.reject',
    subject: (id) => `plan ${id}`,
  },
};

const paramsOf = (kind: ApprovalKind, id: string, reason: string, now: number) =>
  kind === 'command'
    ? [JSON.stringify({ message: reason }), now, id]
    : kind === 'bulk'
      ? [now, now, id]
      : [id];

/**
 * Turns one waiting change down, audited in the same transaction. False when it was not waiting
 * (approved, rejected, cancelled or expired meanwhile, or never there). A bulk job's queued miners
 * are cancelled with it, so its per-miner table says why nothing was sent.
 */
export async function rejectPending(
  db: Db,
  audit: Audit,
  actor: Principal,
  kind: ApprovalKind,
  id: string,
  reason: string,
  now: number,
): Promise<boolean> {
  const why = reason ? `rejected by ${actor.name}: ${reason}` : `rejected by ${actor.name}`;
  return db.tx(async (tx) => {
    const r = await tx.run(REJECT[kind].sql, paramsOf(kind, id, why, now));
    if (r.changes === 0) return false;
    if (kind === 'bulk')
      await tx.run(
        `UPDATE bulk_items SET state = 'cancelled', reason = ?, updated_at = ? WHERE job_id = ? AND state = 'queued'`,
        [why, now, id],
      );
    await audit.record({
      actor,
      action: REJECT[kind].action,
      subject: REJECT[kind].subject(id),
      details: { [REJECT[kind].idKey]: id, reason: reason || null },
    });
    return true;
  });
}
