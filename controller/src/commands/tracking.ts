import type { CommandAction } from '@hashfleet/contracts';
import type { Audit } from '../core/audit.js';
import { type Principal, SYSTEM } from '../core/auth/roles.js';
import type { IssuedCommand } from '../core/feature.js';
import type { Db, SqlValue } from '../core/storage/db.js';
import { recordState } from './effects.js';
import { CommandError, type CommandRow, type Commands } from './service.js';

/**
 * Operations that do the same thing when carried out twice (a second sleep of a sleeping miner is
 * harmless), so a command that got no answer may be sent again. Outlet switching is left out: a
 * late-arriving first `outlet.cycle` plus its retry would cut a miner's power twice.
 */
export const RETRY_SAFE: ReadonlySet<CommandAction['op']> = new Set([
  'restart',
  'reboot',
  'sleep',
  'wake',
  'power.target',
  'power.mode',
  'led',
  'poll.stop',
  'poll.resume',
]);

/** Why a command may not be retried, or null. Pure: the stored row and whether it was retried already. */
export function retryRefusal(
  row: Pick<CommandRow, 'id' | 'op' | 'state' | 'result_status'>,
  retriedBy: string | null,
) {
  if (retriedBy) return `command ${row.id}: already retried as ${retriedBy}`;
  const noResult = row.state === 'expired' || (row.state === 'failed' && row.result_status === null);
  if (!noResult) {
    return row.result_status
      ? `command ${row.id}: the agent answered (${row.result_status}); issue a new command instead`
      : `command ${row.id}: is ${row.state}; only a command that expired without a result can be retried`;
  }
  if (row.op === 'pool.set') return null; // re-requested, and waits for a fresh second-person approval
  if (!RETRY_SAFE.has(row.op as CommandAction['op']))
    return `command ${row.id}: ${row.op} is not safe to repeat; issue it again deliberately`;
  return null;
}

/**
 * Re-issues a command that got no result as a new signed command (new id, new seq) linked by
 * `retry_of`. A pool change is requested again and needs a fresh approval by someone else.
 */
export async function retryCommand(
  commands: Commands,
  db: Db,
  actor: Principal,
  id: string,
): Promise<IssuedCommand> {
  const row = await commands.get(id);
  if (!row) throw new CommandError(404, `command ${id}: not found`);
  const retried = await db.get<{ id: string }>('SELECT id FROM commands WHERE retry_of = ?', [id]);
  const refusal = retryRefusal(row, retried?.id ?? null);
  if (refusal) throw new CommandError(409, refusal);
  return commands.issueTracked({
    actor,
    agentId: row.agent_id,
    action: JSON.parse(row.action_json) as CommandAction,
    minerId: row.miner_id,
    retryOf: row.id,
    ...(row.bulk_job_id ? { bulkJobId: row.bulk_job_id } : {}),
  });
}

/**
 * Marks commands that reached no result by their expiry `expired` (the agent refuses them from
 * then on), and pool changes nobody approved in time. Each one is audited. Returns how many.
 */
export async function expireOverdue(
  db: Db,
  audit: Audit,
  now: number,
  approvalTtlS: number,
): Promise<number> {
  const overdue = await db.all<{ id: string; agent_id: string; target: string; op: string; state: string }>(
    `SELECT id, agent_id, target, op, state FROM commands
     WHERE (state IN ('sent', 'signing') AND expires_at < ?) OR (state = 'pending_approval' AND created_at < ?)
     ORDER BY created_at LIMIT 1000`,
    [now, now - approvalTtlS * 1000],
  );
  let n = 0;
  for (const c of overdue) {
    const why = c.state === 'pending_approval' ? 'not approved in time' : 'no result by its expiry';
    await db.tx(async (tx) => {
      const r = await tx.run(
        `UPDATE commands SET state = 'expired', finished_at = ?, result_json = ? WHERE id = ? AND state = ?`,
        [now, JSON.stringify({ message: why }), c.id, c.state],
      );
      if (r.changes === 0) return; // a result arrived meanwhile
      n++;
      await audit.record({
        actor: SYSTEM,
        action: 'command.expired',
        subject: `agent ${c.agent_id}: ${c.target}`,
        details: { commandId: c.id, op: c.op, why },
      });
    });
  }
  return n + (await failUnconfirmed(db, audit, now));
}

/**
 * Time after a commanded window's end the agent's own verdict is waited for: its last read (every
 * 2 s, each up to its request timeout) and the publish happen after the window ends.
 */
export const VERDICT_GRACE_MS = 30_000;

/**
 * Acknowledged commands whose window ended without the agent's verdict (an agent that stopped or
 * lost its broker mid-window) fail: the effect was not seen in the window (issue 16 item 4). A
 * verdict arriving later still replaces this one.
 */
async function failUnconfirmed(db: Db, audit: Audit, now: number): Promise<number> {
  const overdue = await db.all<{ id: string; agent_id: string; target: string; op: string }>(
    `SELECT id, agent_id, target, op FROM commands
     WHERE state = 'acknowledged' AND window_ends_at IS NOT NULL AND window_ends_at < ?
     ORDER BY created_at LIMIT 1000`,
    [now - VERDICT_GRACE_MS],
  );
  let n = 0;
  for (const c of overdue) {
    const why = 'no verdict from the agent by the end of the commanded window';
    await db.tx(async (tx) => {
      const r = await tx.run(
        `UPDATE commands SET state = 'failed', result_status = 'failed', settled_at = ? WHERE id = ? AND state = 'acknowledged'`,
        [now, c.id],
      );
      if (r.changes === 0) return; // the verdict arrived meanwhile
      n++;
      await recordState(tx, c.id, {
        state: 'failed',
        at: now,
        reply: null,
        observed: why,
        message: why,
        windowEndsAt: null,
      });
      await audit.record({
        actor: SYSTEM,
        action: 'command.unconfirmed',
        subject: `agent ${c.agent_id}: ${c.target}`,
        details: { commandId: c.id, op: c.op, why },
      });
    });
  }
  return n;
}

export type CommandFilter = { miner?: string; state?: string; bulk?: string; limit: number };

export async function listCommands(db: Db, f: CommandFilter): Promise<CommandRow[]> {
  const where: string[] = [];
  const args: SqlValue[] = [];
  if (f.miner) {
    where.push('miner_id = ?');
    args.push(f.miner);
  }
  if (f.state) {
    where.push('state = ?');
    args.push(f.state);
  }
  if (f.bulk) {
    where.push('bulk_job_id = ?');
    args.push(f.bulk);
  }
  args.push(f.limit);
  return db.all<CommandRow>(
    `SELECT * FROM commands ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id LIMIT ?`,
    args,
  );
}
