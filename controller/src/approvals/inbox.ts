import { APPROVER_ROLES } from '../commands/index.js';
import type { Principal } from '../core/auth/roles.js';
import type { ApprovalKind, PendingBulkRow, PendingCommandRow, PendingPlanRow } from './store.js';

/** A miner as a person reads it (controller/src/fleet/names.ts), never its id alone. */
export type NamedMiner = {
  minerId: string;
  serial: string | null;
  assetCode: string | null;
  model: string | null;
  containerId: string | null;
  rack: string | null;
  slot: string | null;
};

/** One change waiting for a second person, as the inbox shows it to the caller. */
export type InboxItem = {
  kind: ApprovalKind;
  id: string;
  op: string;
  title: string | null;
  requestedBy: string;
  requestedByRole: string | null;
  requestedAt: number;
  /** The caller asked for it: they may withdraw (reject) it, never approve it. */
  mine: boolean;
  canApprove: boolean;
  /** Why the caller may not approve, or null. */
  refusal: string | null;
  /** Where a pool change points (never its password). */
  pool: { url: string; user: string } | null;
  miner: NamedMiner | null;
  scope: {
    containerId: string | null;
    siteId: string | null;
    model: string | null;
    miners: number;
    refused: number;
  } | null;
  plan: { moveCount: number; gainUsd: number } | null;
  /** When an unapproved pool change lapses (commands.approvalTtlS), or null. */
  expiresAt: number | null;
  approvePath: string;
  rejectPath: string;
};

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The url and user of a pool change's action or params; the password is left behind. */
function poolOf(json: string): { url: string; user: string } | null {
  try {
    const a = JSON.parse(json) as Record<string, unknown>;
    const url = str(a['url']);
    return url ? { url, user: str(a['user']) ?? '' } : null;
  } catch {
    return null;
  }
}

function parseObject(json: string): Record<string, unknown> {
  try {
    const v = JSON.parse(json) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Who may approve, by the same rules the approving routes apply (role, and never one's own). */
function decide(actor: Principal, mine: boolean): { canApprove: boolean; refusal: string | null } {
  if (mine) return { canApprove: false, refusal: 'own request: a second person must approve it' };
  if (!APPROVER_ROLES.includes(actor.role))
    return { canApprove: false, refusal: `role ${actor.role} may not approve` };
  return { canApprove: true, refusal: null };
}

const rejectPath = (kind: ApprovalKind, id: string) => `/approvals/${kind}/${encodeURIComponent(id)}/reject`;

/**
 * The inbox for one caller, oldest first (pure). A command and a bulk job are the caller's when
 * their token asked for them (the check `POST /commands/:id/approve` makes), a plan when it was
 * proposed under the caller's name (the check `POST /relocation/plans/:id/approve` makes).
 */
export function inbox(
  actor: Principal,
  rows: { commands: PendingCommandRow[]; bulk: PendingBulkRow[]; plans: PendingPlanRow[] },
  names: Map<string, Omit<NamedMiner, 'minerId'>>,
  approvalTtlS: number,
): InboxItem[] {
  const none = { pool: null, miner: null, scope: null, plan: null, expiresAt: null, title: null };
  const items: InboxItem[] = [
    ...rows.commands.map((c): InboxItem => {
      const mine = c.requested_by === actor.tokenId;
      const name = c.miner_id ? names.get(c.miner_id) : undefined;
      return {
        ...none,
        kind: 'command',
        id: c.id,
        op: c.op,
        requestedBy: c.requester_name ?? c.issuer,
        requestedByRole: c.requester_role,
        requestedAt: Number(c.created_at),
        mine,
        ...decide(actor, mine),
        pool: poolOf(c.action_json),
        miner: c.miner_id && name ? { minerId: c.miner_id, ...name } : null,
        expiresAt: Number(c.created_at) + approvalTtlS * 1000,
        approvePath: `/commands/${encodeURIComponent(c.id)}/approve`,
        rejectPath: rejectPath('command', c.id),
      };
    }),
    ...rows.bulk.map((j): InboxItem => {
      const mine = j.requested_by === actor.tokenId;
      const sel = parseObject(j.selector_json);
      return {
        ...none,
        kind: 'bulk',
        id: j.id,
        op: j.op,
        title: j.ref,
        requestedBy: j.requested_by_name ?? '',
        requestedByRole: j.requested_by_role,
        requestedAt: Number(j.created_at),
        mine,
        ...decide(actor, mine),
        pool: j.op === 'pool.set' ? poolOf(j.params_json) : null,
        scope: {
          containerId: str(sel['containerId']),
          siteId: str(sel['siteId']),
          model: str(sel['model']),
          miners: Number(j.miners),
          refused: Number(j.refused),
        },
        approvePath: `/commands/bulk/${encodeURIComponent(j.id)}/approve`,
        rejectPath: rejectPath('bulk', j.id),
      };
    }),
    ...rows.plans.map((p): InboxItem => {
      const mine = p.proposed_by === actor.name;
      return {
        ...none,
        kind: 'relocation',
        id: p.id,
        op: 'relocation.plan',
        title: p.name,
        requestedBy: p.proposed_by,
        requestedByRole: null,
        requestedAt: Number(p.proposed_at),
        mine,
        ...decide(actor, mine),
        plan: {
          moveCount: Number(p.move_count),
          gainUsd: Math.round((Number(p.profit_after_usd) - Number(p.profit_before_usd)) * 100) / 100,
        },
        approvePath: `/relocation/plans/${encodeURIComponent(p.id)}/approve`,
        rejectPath: rejectPath('relocation', p.id),
      };
    }),
  ];
  return items.sort((a, b) => a.requestedAt - b.requestedAt || a.id.localeCompare(b.id));
}
