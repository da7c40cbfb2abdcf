import { randomUUID } from 'node:crypto';
import { type CommandAction, CommandActionSchema } from '@hashfleet/contracts';
import {
  APPROVER_ROLES,
  COMMAND_POLICY,
  CommandError,
  type Commands,
  refusalFor,
} from '../commands/index.js';
import type { Audit } from '../core/audit.js';
import type { Principal, Role } from '../core/auth/roles.js';
import type { Db } from '../core/storage/db.js';
import { batchOf, FINAL_ITEM_STATES, itemOutcome, nextBatchAt } from './bulk-plan.js';
import { type LatestPower, type VerifySpec, verifyStep } from './profiles/verify.js';
import type { SelectedMiner, Selector } from './selector.js';

/** An operation without its target: the bulk job fills in each miner's key. */
export type ItemAction = { [K in CommandAction as K['op']]: Omit<K, 'target'> }[CommandAction['op']];

export type NewItem = {
  miner: SelectedMiner;
  actions: ItemAction[];
  /** Why nothing is sent to this miner (refused up front), or null. */
  refusal: string | null;
  /** Settings before the change, for a rollback. */
  previous?: unknown;
  verify?: VerifySpec | null;
};

export type BulkDeps = { db: Db; audit: Audit; commands: Commands };

export type BulkJobRow = {
  id: string;
  kind: string;
  ref: string | null;
  op: string;
  selector_json: string;
  params_json: string;
  batch_size: number;
  pause_ms: number;
  issuer: string;
  requested_by: string;
  requested_by_name: string;
  requested_by_role: string;
  approved_by: string | null;
  approved_by_name: string | null;
  approved_by_role: string | null;
  state: string;
  next_batch: number;
  next_batch_at: number | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
};

export type BulkItemRow = {
  job_id: string;
  miner_id: string;
  position: number;
  batch: number;
  agent_id: string | null;
  miner_key: string | null;
  actions_json: string;
  previous_json: string | null;
  verify_json: string | null;
  state: string;
  reason: string | null;
  command_ids_json: string;
  sent_at: number | null;
  updated_at: number;
};

const needsApproval = (items: NewItem[]) =>
  items.some((i) => i.actions.some((a) => COMMAND_POLICY[a.op].approval));

/**
 * Creates a staggered bulk job: miners in selection order, `batchSize` per batch, `pauseMs` between
 * batches. Refused miners are recorded with their reason and never sent anything. A job carrying a
 * pool change waits for one second-person approval of the whole job.
 */
export async function createBulkJob(
  deps: BulkDeps,
  req: {
    actor: Principal;
    kind: 'command' | 'profile' | 'rollback';
    ref: string | null;
    op: string;
    selector: Selector | { job: string };
    params: unknown;
    batchSize: number;
    pauseMs: number;
    issuer: string;
    items: NewItem[];
    now: number;
  },
): Promise<BulkJobRow> {
  const ops = new Set(req.items.flatMap((i) => i.actions.map((a) => a.op)));
  for (const op of ops) {
    const refusal = refusalFor(req.actor.role, op);
    if (refusal) throw new CommandError(403, refusal);
  }
  const id = randomUUID();
  const approval = needsApproval(req.items);
  const state = req.items.some((i) => !i.refusal) ? (approval ? 'pending_approval' : 'running') : 'done';
  await deps.db.tx(async (tx) => {
    await tx.run(
      `INSERT INTO bulk_jobs (id, kind, ref, op, selector_json, params_json, batch_size, pause_ms, issuer, requested_by,
         requested_by_name, requested_by_role, approved_by, approved_by_name, approved_by_role, state, next_batch, next_batch_at,
         created_at, updated_at, finished_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, 0, ?, ?, ?, ?)`,
      [
        id,
        req.kind,
        req.ref,
        req.op,
        JSON.stringify(req.selector),
        JSON.stringify(req.params),
        req.batchSize,
        req.pauseMs,
        req.issuer,
        req.actor.tokenId,
        req.actor.name,
        req.actor.role,
        state,
        state === 'running' ? req.now : null,
        req.now,
        req.now,
        state === 'done' ? req.now : null,
      ],
    );
    let queued = 0;
    for (const [position, item] of req.items.entries()) {
      const batch = item.refusal ? -1 : batchOf(queued++, req.batchSize);
      await tx.run(
        `INSERT INTO bulk_items (job_id, miner_id, position, batch, agent_id, miner_key, actions_json, previous_json, verify_json,
           state, reason, command_ids_json, sent_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', NULL, ?)`,
        [
          id,
          item.miner.minerId,
          position,
          batch,
          item.miner.agentId,
          item.miner.minerKey,
          JSON.stringify(item.actions),
          item.previous === undefined ? null : JSON.stringify(item.previous),
          item.verify ? JSON.stringify(item.verify) : null,
          item.refusal ? 'refused' : 'queued',
          item.refusal,
          req.now,
        ],
      );
    }
    await deps.audit.record({
      actor: req.actor,
      action: approval ? 'bulk.request' : 'bulk.create',
      subject: `bulk ${id}: ${req.kind} ${req.op}`,
      details: {
        jobId: id,
        ref: req.ref,
        selector: req.selector,
        params: req.params,
        batchSize: req.batchSize,
        pauseMs: req.pauseMs,
        miners: req.items.length,
        refused: req.items
          .filter((i) => i.refusal)
          .map((i) => ({ minerId: i.miner.minerId, reason: i.refusal })),
      },
    });
  });
  return (await getJob(deps.db, id))!;
}

export const getJob = (db: Db, id: string) =>
  db.get<BulkJobRow>('SELECT * FROM bulk_jobs WHERE id = ?', [id]);
export const getItems = (db: Db, id: string) =>
  db.all<BulkItemRow>('SELECT * FROM bulk_items WHERE job_id = ? ORDER BY batch, position', [id]);

/** One second-person approval of a whole job (pool changes): operator/admin, not the requester. */
export async function approveBulkJob(deps: BulkDeps, actor: Principal, id: string, now: number) {
  if (!APPROVER_ROLES.includes(actor.role)) {
    throw new CommandError(
      403,
      `role ${actor.role} may not approve commands; requires one of: ${APPROVER_ROLES.join(', ')}`,
    );
  }
  const job = await getJob(deps.db, id);
  if (!job) throw new CommandError(404, `bulk job ${id}: not found`);
  if (job.state !== 'pending_approval')
    throw new CommandError(409, `bulk job ${id}: is ${job.state}, not pending approval`);
  if (job.requested_by === actor.tokenId)
    throw new CommandError(403, `bulk job ${id}: needs a second person; the requester cannot approve it`);
  await deps.db.tx(async (tx) => {
    const r = await tx.run(
      `UPDATE bulk_jobs SET state = 'running', approved_by = ?, approved_by_name = ?, approved_by_role = ?, next_batch_at = ?,
         updated_at = ? WHERE id = ? AND state = 'pending_approval'`,
      [actor.tokenId, actor.name, actor.role, now, now, id],
    );
    if (r.changes === 0) throw new CommandError(409, `bulk job ${id}: already approved or cancelled`);
    await deps.audit.record({
      actor,
      action: 'bulk.approve',
      subject: `bulk ${id}: ${job.op}`,
      details: { jobId: id },
    });
  });
  return (await getJob(deps.db, id))!;
}

/** Stops a job: nothing more is sent; what was sent keeps its commands' outcome. */
export async function cancelBulkJob(deps: BulkDeps, actor: Principal, id: string, now: number) {
  const job = await getJob(deps.db, id);
  if (!job) throw new CommandError(404, `bulk job ${id}: not found`);
  if (!['pending_approval', 'running'].includes(job.state))
    throw new CommandError(
      409,
      `bulk job ${id}: is ${job.state}; only a pending or running job can be cancelled`,
    );
  await deps.db.tx(async (tx) => {
    await tx.run(
      `UPDATE bulk_jobs SET state = 'cancelled', next_batch_at = NULL, updated_at = ?, finished_at = ? WHERE id = ?`,
      [now, now, id],
    );
    const r = await tx.run(
      `UPDATE bulk_items SET state = 'cancelled', reason = ?, updated_at = ? WHERE job_id = ? AND state = 'queued'`,
      [`cancelled by ${actor.name}`, now, id],
    );
    await deps.audit.record({
      actor,
      action: 'bulk.cancel',
      subject: `bulk ${id}: ${job.op}`,
      details: { jobId: id, notSent: r.changes },
    });
  });
  return (await getJob(deps.db, id))!;
}

const principalOf = (id: string, name: string, role: string): Principal => ({
  tokenId: id,
  name,
  role: role as Role,
  stakerId: null,
});

/**
 * Sends one batch: each queued item's actions, in order, as signed commands linked to the job.
 * The batch is claimed first (the job's batch counter moves on in one statement), and each item
 * too, so two runners (a replica taking over, a test beside the timer) never send anything twice.
 */
async function dispatchBatch(deps: BulkDeps, job: BulkJobRow, now: number): Promise<void> {
  const { db } = deps;
  const left = await db.get<{ n: number }>(
    `SELECT COUNT(*) AS n FROM bulk_items WHERE job_id = ? AND state = 'queued' AND batch > ?`,
    [job.id, job.next_batch],
  );
  const claim = await db.run(
    `UPDATE bulk_jobs SET next_batch = ?, next_batch_at = ?, updated_at = ?
     WHERE id = ? AND next_batch = ? AND state = 'running'`,
    [job.next_batch + 1, nextBatchAt(now, job.pause_ms, Number(left!.n)), now, job.id, job.next_batch],
  );
  if (claim.changes === 0) return;
  const items = await db.all<BulkItemRow>(
    `SELECT * FROM bulk_items WHERE job_id = ? AND batch = ? AND state = 'queued' ORDER BY position`,
    [job.id, job.next_batch],
  );
  const requester = principalOf(job.requested_by, job.requested_by_name, job.requested_by_role);
  const approver = job.approved_by
    ? principalOf(job.approved_by, job.approved_by_name ?? '', job.approved_by_role ?? '')
    : null;
  const sent: string[] = [];
  for (const item of items) {
    const mine = await db.run(
      `UPDATE bulk_items SET state = 'sending', updated_at = ? WHERE job_id = ? AND miner_id = ? AND state = 'queued'`,
      [now, job.id, item.miner_id],
    );
    if (mine.changes === 0) continue;
    sent.push(item.miner_id);
    const ids: string[] = [];
    let failure: string | null = null;
    for (const a of JSON.parse(item.actions_json) as ItemAction[]) {
      try {
        const action = CommandActionSchema.parse({
          ...a,
          target: { kind: 'miner', minerKey: item.miner_key },
        });
        let issued = await deps.commands.issueTracked({
          actor: requester,
          agentId: item.agent_id!,
          action,
          issuer: job.issuer,
          minerId: item.miner_id,
          bulkJobId: job.id,
        });
        // The whole job was approved once by a second person; that approval covers each command.
        if (issued.state === 'pending_approval' && approver)
          issued = await deps.commands.approve(approver, issued.id);
        ids.push(issued.id);
        if (issued.state === 'failed') failure = 'could not be published to the agent';
      } catch (err) {
        failure = (err as Error).message;
      }
      if (failure) break;
    }
    await db.run(
      `UPDATE bulk_items SET state = ?, reason = ?, command_ids_json = ?, sent_at = ?, updated_at = ? WHERE job_id = ? AND miner_id = ?`,
      [failure ? 'failed' : 'sent', failure, JSON.stringify(ids), now, now, job.id, item.miner_id],
    );
  }
  await deps.audit.record({
    actor: requester,
    action: 'bulk.batch',
    subject: `bulk ${job.id}: ${job.op}`,
    details: { jobId: job.id, batch: job.next_batch, at: now, miners: sent },
  });
}

async function latestPower(db: Db, minerId: string): Promise<LatestPower | null> {
  const r = await db.get<{ at: number; power_w: number | null; state: string; power_limit_w: number | null }>(
    'SELECT at, power_w, state, power_limit_w FROM miner_latest WHERE miner_id = ?',
    [minerId],
  );
  if (!r) return null;
  const powerLimitW = r.power_limit_w;
  return { at: r.at, powerW: r.power_w, powerLimitW, state: r.state };
}

/** Follows sent items to their commands' results, then verifies the ones that must be verified. */
async function followItems(deps: BulkDeps, job: BulkJobRow, now: number): Promise<void> {
  const { db } = deps;
  const open = await db.all<BulkItemRow>(
    `SELECT * FROM bulk_items WHERE job_id = ? AND state IN ('sent', 'verifying')`,
    [job.id],
  );
  for (const item of open) {
    let state = item.state;
    let reason = item.reason;
    if (state === 'sent') {
      const ids = JSON.parse(item.command_ids_json) as string[];
      const cmds = [];
      for (const id of ids) {
        const c = await db.get<{ state: string; result_json: string | null }>(
          'SELECT state, result_json FROM commands WHERE id = ?',
          [id],
        );
        if (c) cmds.push(c);
      }
      const outcome = itemOutcome(cmds);
      if (outcome.state === 'failed') [state, reason] = ['failed', outcome.reason];
      else if (outcome.state === 'succeeded')
        [state, reason] = [item.verify_json ? 'verifying' : 'succeeded', null];
    }
    if (state === 'verifying') {
      const verdict = verifyStep(
        JSON.parse(item.verify_json!) as VerifySpec,
        item.sent_at!,
        await latestPower(db, item.miner_id),
        now,
      );
      if (verdict.state !== 'pending') [state, reason] = [verdict.state, verdict.reason];
    }
    if (state !== item.state || reason !== item.reason) {
      await db.run(
        `UPDATE bulk_items SET state = ?, reason = ?, updated_at = ? WHERE job_id = ? AND miner_id = ?`,
        [state, reason, now, job.id, item.miner_id],
      );
    }
  }
}

/** The bulk runner's tick: due batches go out, outcomes and verifications are followed, jobs finish. */
export async function tickBulk(deps: BulkDeps, now: number): Promise<void> {
  const { db } = deps;
  const jobs = await db.all<BulkJobRow>(`SELECT * FROM bulk_jobs WHERE state IN ('running', 'cancelled')`);
  for (const job of jobs) {
    if (job.state === 'running' && job.next_batch_at !== null && job.next_batch_at <= now) {
      await dispatchBatch(deps, job, now);
    }
    await followItems(deps, job, now);
    if (job.state !== 'running') continue;
    const counts = await db.all<{ state: string; n: number }>(
      'SELECT state, COUNT(*) AS n FROM bulk_items WHERE job_id = ? GROUP BY state',
      [job.id],
    );
    if (counts.every((c) => FINAL_ITEM_STATES.has(c.state))) {
      const summary = Object.fromEntries(counts.map((c) => [c.state, Number(c.n)]));
      await db.tx(async (tx) => {
        await tx.run(
          `UPDATE bulk_jobs SET state = 'done', finished_at = ?, updated_at = ? WHERE id = ? AND state = 'running'`,
          [now, now, job.id],
        );
        await deps.audit.record({
          actor: principalOf(job.requested_by, job.requested_by_name, job.requested_by_role),
          action: 'bulk.done',
          subject: `bulk ${job.id}: ${job.op}`,
          details: { jobId: job.id, items: summary },
        });
      });
    }
  }
}

/** A job and its per-miner progress, as the API shows it (secrets redacted). */
/** The ids of the newest bulk jobs. */
export async function recentBulkJobIds(db: Db, limit: number): Promise<string[]> {
  const rows = await db.all<{ id: string }>('SELECT id FROM bulk_jobs ORDER BY created_at DESC, id LIMIT ?', [
    limit,
  ]);
  return rows.map((r) => r.id);
}

export async function describeJob(db: Db, id: string) {
  const job = await getJob(db, id);
  if (!job) return null;
  const items = await getItems(db, id);
  // Where each miner sits now, so a person reads "kz-c2 R01/07" rather than an asset id.
  const places = new Map(
    (
      await db.all<{
        id: string;
        serial: string | null;
        container_id: string | null;
        rack: string | null;
        slot: string | null;
      }>(
        `SELECT m.id, m.serial, m.container_id, s.rack, s.slot FROM bulk_items bi JOIN miners m ON m.id = bi.miner_id
           LEFT JOIN slots s ON s.id = m.slot_id WHERE bi.job_id = ?`,
        [id],
      )
    ).map((r) => [r.id, r]),
  );
  const progress: Record<string, number> = {};
  for (const i of items) progress[i.state] = (progress[i.state] ?? 0) + 1;
  const redact = (a: Record<string, unknown>) => ('password' in a ? { ...a, password: '***' } : a);
  return {
    id: job.id,
    kind: job.kind,
    ref: job.ref,
    op: job.op,
    selector: JSON.parse(job.selector_json) as unknown,
    state: job.state,
    batchSize: job.batch_size,
    pauseS: job.pause_ms / 1000,
    nextBatch: job.next_batch,
    nextBatchAt: job.next_batch_at,
    requestedBy: job.requested_by_name,
    approvedBy: job.approved_by_name,
    createdAt: job.created_at,
    finishedAt: job.finished_at,
    progress,
    items: items.map((i) => ({
      minerId: i.miner_id,
      serial: places.get(i.miner_id)?.serial ?? null,
      containerId: places.get(i.miner_id)?.container_id ?? null,
      rack: places.get(i.miner_id)?.rack ?? null,
      slot: places.get(i.miner_id)?.slot ?? null,
      batch: i.batch,
      state: i.state,
      reason: i.reason,
      actions: (JSON.parse(i.actions_json) as Record<string, unknown>[]).map(redact),
      previous: i.previous_json ? (JSON.parse(i.previous_json) as unknown) : null,
      commandIds: JSON.parse(i.command_ids_json) as string[],
      sentAt: i.sent_at,
    })),
  };
}
