import { randomUUID } from 'node:crypto';
import { type CommandAction, type CommandResult, topics } from '@hashfleet/contracts';
import type { Audit } from '../core/audit.js';
import type { Principal } from '../core/auth/roles.js';
import type { IssueCommand, IssuedCommand } from '../core/feature.js';
import type { Metrics } from '../core/metrics.js';
import type { Db } from '../core/storage/db.js';
import { profileWindowS, recordState, transition } from './effects.js';
import type { CommandKey } from './keys.js';
import { APPROVER_ROLES, COMMAND_POLICY, refusalFor } from './policy.js';

/** A refusal the HTTP layer turns into a status code. */
export class CommandError extends Error {
  constructor(
    readonly statusCode: 400 | 403 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

export type CommandRow = {
  id: string;
  agent_id: string;
  seq: number | null;
  op: string;
  target: string;
  miner_id: string | null;
  action_json: string;
  issuer: string;
  requested_by: string;
  approved_by: string | null;
  state: string;
  created_at: number;
  issued_at: number | null;
  expires_at: number | null;
  result_status: string | null;
  result_json: string | null;
  finished_at: number | null;
  retry_of: string | null;
  bulk_job_id: string | null;
  /** End of the commanded window a downtime command opened (controller clock). */
  window_ends_at: number | null;
  settled_at: number | null;
};

/** A command request, optionally linked to the command it retries or the bulk job it belongs to. */
export type TrackedRequest = Parameters<IssueCommand>[0] & { retryOf?: string; bulkJobId?: string };

export type Publish = (topic: string, payload: string) => Promise<void>;

const describeTarget = (a: CommandAction) =>
  a.target.kind === 'miner'
    ? `miner ${a.target.minerKey}`
    : `pdu ${a.target.pduId} outlet ${a.target.outlet}`;

/**
 * Signed commands (contracts CommandSchema): role rules, second-person approval for pool
 * changes, a strictly increasing per-agent seq kept in SQL, expiry, audit, and results.
 *
 * Long because it is a factory: its methods share the signing key and the broker link through the
 * closure (the per-agent sequence lives in SQL); each method is short.
 */
export function createCommands(deps: {
  db: Db;
  audit: Audit;
  key: CommandKey;
  metrics: Metrics;
  now(): number;
  ttlS: number;
  approvalTtlS: number;
}) {
  let publish: Publish | null = null;
  const { db, audit, key, now } = deps;

  /** A command that never left the controller: failed, in its history too. */
  async function notSent(id: string, message: string) {
    await db.tx(async (tx) => {
      await tx.run(`UPDATE commands SET state = 'failed', result_json = ?, settled_at = ? WHERE id = ?`, [
        JSON.stringify({ message }),
        now(),
        id,
      ]);
      await recordState(tx, id, {
        state: 'failed',
        at: now(),
        reply: null,
        observed: null,
        message,
        windowEndsAt: null,
      });
    });
  }

  async function send(row: {
    id: string;
    agent_id: string;
    issuer: string;
    action: CommandAction;
  }): Promise<IssuedCommand> {
    const issuedAt = now();
    const expiresAt = issuedAt + deps.ttlS * 1000;
    const signed = await db.tx(async (tx) => {
      const next = await tx.get<{ seq: number }>(
        `INSERT INTO command_seq (agent_id, seq) VALUES (?, 1)
         ON CONFLICT (agent_id) DO UPDATE SET seq = command_seq.seq + 1 RETURNING seq`,
        [row.agent_id],
      );
      const seq = next!.seq;
      const command = key.sign({
        v: 1,
        kind: 'command',
        id: row.id,
        agentId: row.agent_id,
        issuer: row.issuer,
        issuedAt,
        expiresAt,
        seq,
        action: row.action,
      });
      await tx.run(
        `UPDATE commands SET seq = ?, state = 'sent', issued_at = ?, expires_at = ? WHERE id = ?`,
        [seq, issuedAt, expiresAt, row.id],
      );
      // Recorded before it goes out: the agent's answer may be stored before publish returns.
      await recordState(tx, row.id, {
        state: 'sent',
        at: issuedAt,
        reply: null,
        observed: null,
        message: `seq ${seq} to agent ${row.agent_id}`,
        windowEndsAt: null,
      });
      return command;
    });
    if (!publish) {
      await notSent(row.id, 'no broker connection');
      deps.metrics.commands.inc({ op: row.action.op, state: 'failed' });
      return { id: row.id, state: 'failed', seq: signed.seq, agentId: row.agent_id };
    }
    try {
      await publish(topics.commands(row.agent_id), JSON.stringify(signed));
    } catch (err) {
      await notSent(row.id, `publish failed: ${(err as Error).message}`);
      deps.metrics.commands.inc({ op: row.action.op, state: 'failed' });
      return { id: row.id, state: 'failed', seq: signed.seq, agentId: row.agent_id };
    }
    deps.metrics.commands.inc({ op: row.action.op, state: 'sent' });
    return { id: row.id, state: 'sent', seq: signed.seq, agentId: row.agent_id };
  }

  const issueTracked = async ({
    actor,
    agentId,
    action,
    issuer,
    minerId,
    retryOf,
    bulkJobId,
  }: TrackedRequest): Promise<IssuedCommand> => {
    const refusal = refusalFor(actor.role, action.op);
    if (refusal) throw new CommandError(403, refusal);
    const id = randomUUID();
    const needsApproval = COMMAND_POLICY[action.op].approval;
    const row = { id, agent_id: agentId, issuer: issuer ?? `${actor.role}:${actor.name}`, action };
    await db.tx(async (tx) => {
      await tx.run(
        `INSERT INTO commands (id, agent_id, seq, op, target, miner_id, action_json, issuer, requested_by, approved_by,
           state, created_at, issued_at, expires_at, result_status, result_json, finished_at, retry_of, bulk_job_id)
         VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?, NULL, ?, ?, NULL, NULL, NULL, NULL, NULL, ?, ?)`,
        [
          id,
          agentId,
          action.op,
          describeTarget(action),
          minerId ?? null,
          JSON.stringify(action),
          row.issuer,
          actor.tokenId,
          needsApproval ? 'pending_approval' : 'signing',
          now(),
          retryOf ?? null,
          bulkJobId ?? null,
        ],
      );
      await audit.record({
        actor,
        action: needsApproval ? 'command.request' : 'command.issue',
        subject: `agent ${agentId}: ${describeTarget(action)}`,
        details: {
          commandId: id,
          action,
          ...(retryOf ? { retryOf } : {}),
          ...(bulkJobId ? { bulkJobId } : {}),
        },
      });
    });
    if (needsApproval) {
      deps.metrics.commands.inc({ op: action.op, state: 'pending_approval' });
      return { id, state: 'pending_approval', seq: null, agentId };
    }
    return send(row);
  };
  const issue: IssueCommand = (req) => issueTracked(req);

  async function approve(actor: Principal, commandId: string): Promise<IssuedCommand> {
    if (!APPROVER_ROLES.includes(actor.role)) {
      throw new CommandError(
        403,
        `role ${actor.role} may not approve commands; requires one of: ${APPROVER_ROLES.join(', ')}`,
      );
    }
    const row = await db.get<CommandRow>('SELECT * FROM commands WHERE id = ?', [commandId]);
    if (!row) throw new CommandError(404, `command ${commandId}: not found`);
    if (row.state !== 'pending_approval')
      throw new CommandError(409, `command ${commandId}: is ${row.state}, not pending approval`);
    if (row.requested_by === actor.tokenId) {
      throw new CommandError(
        403,
        `command ${commandId}: needs a second person; the requester cannot approve it`,
      );
    }
    if (now() - row.created_at > deps.approvalTtlS * 1000) {
      await db.run(`UPDATE commands SET state = 'expired' WHERE id = ? AND state = 'pending_approval'`, [
        commandId,
      ]);
      throw new CommandError(
        409,
        `command ${commandId}: approval window of ${deps.approvalTtlS} s has passed`,
      );
    }
    const claimed = await db.tx(async (tx) => {
      const r = await tx.run(
        `UPDATE commands SET approved_by = ?, state = 'signing' WHERE id = ? AND state = 'pending_approval'`,
        [actor.tokenId, commandId],
      );
      if (r.changes === 0) return false;
      await audit.record({
        actor,
        action: 'command.approve',
        subject: `agent ${row.agent_id}: ${row.target}`,
        details: { commandId },
      });
      return true;
    });
    if (!claimed) throw new CommandError(409, `command ${commandId}: already approved or rejected`);
    return send({
      id: row.id,
      agent_id: row.agent_id,
      issuer: row.issuer,
      action: JSON.parse(row.action_json),
    });
  }

  /**
   * Stores an agent's result (called inside ingest's transaction, after dedupe): the command's
   * state (acknowledged, then verified, failed or unverified; never succeeded on an
   * acknowledgement), the commanded window a downtime command opens, and one `command_states` row
   * with the miner's words.
   */
  async function applyResult(tx: Db, msg: CommandResult): Promise<void> {
    const row = await tx.get<{
      op: string;
      state: string;
      miner_id: string | null;
      action_json: string;
      issued_at: number | null;
      window_ends_at: number | null;
      settled_at: number | null;
      profile: string | null;
    }>(
      `SELECT c.op, c.state, c.miner_id, c.action_json, c.issued_at, c.window_ends_at, c.settled_at, m.profile
       FROM commands c LEFT JOIN miners m ON m.id = c.miner_id WHERE c.id = ? AND c.agent_id = ?`,
      [msg.commandId, msg.agentId],
    );
    if (!row) {
      deps.metrics.commands.inc({ op: 'result', state: 'unknown_command' });
      return;
    }
    const at = now();
    const t = transition(
      {
        op: row.op,
        state: row.state,
        windowEndsAt: row.window_ends_at === null ? null : Number(row.window_ends_at),
        settledAt: row.settled_at === null ? null : Number(row.settled_at),
        issuedAt: row.issued_at === null ? null : Number(row.issued_at),
        offSeconds: (JSON.parse(row.action_json) as { offSeconds?: number }).offSeconds ?? 0,
      },
      msg,
      at,
      profileWindowS(row.profile, row.op),
    );
    if (t.state === t.reported) {
      await tx.run(
        `UPDATE commands SET state = ?, result_status = ?, result_json = ?, finished_at = ?, window_ends_at = ?,
           settled_at = ? WHERE id = ? AND agent_id = ?`,
        [
          t.state,
          t.state,
          JSON.stringify(msg),
          msg.finishedAt,
          t.windowEndsAt,
          t.settledAt,
          msg.commandId,
          msg.agentId,
        ],
      );
    }
    await recordState(tx, msg.commandId, {
      state: t.reported,
      at,
      reply: msg.effect?.reply ?? null,
      observed: msg.effect?.observed ?? null,
      message: msg.message,
      windowEndsAt: t.reported === 'acknowledged' ? t.windowEndsAt : null,
    });
    deps.metrics.commands.inc({ op: 'result', state: t.reported });
  }

  return {
    issue,
    issueTracked,
    approve,
    applyResult,
    get: (id: string) => db.get<CommandRow>('SELECT * FROM commands WHERE id = ?', [id]),
    attach(p: Publish | null) {
      publish = p;
    },
    publicKeyPem: key.publicKeyPem,
    keyId: key.keyId,
  };
}

export type Commands = ReturnType<typeof createCommands>;
