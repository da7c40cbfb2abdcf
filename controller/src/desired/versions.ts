import { randomUUID } from 'node:crypto';
import { APPROVER_ROLES, CommandError } from '../commands/index.js';
import type { Audit } from '../core/audit.js';
import type { Principal } from '../core/auth/roles.js';
import type { Db } from '../core/storage/db.js';
import type { ActiveState } from './resolve.js';
import { type DesiredSpec, type Scope, scopeKey, touchesGuarded } from './schema.js';

export type VersionRow = {
  id: string;
  scope_key: string;
  scope_json: string;
  version: number;
  spec_json: string;
  state: string;
  note: string;
  previous_id: string | null;
  requested_by: string;
  requested_by_name: string;
  requested_by_role: string;
  approved_by: string | null;
  approved_by_name: string | null;
  approved_by_role: string | null;
  created_at: number;
  decided_at: number | null;
};

export type Deps = { db: Db; audit: Audit };

export const getVersion = (db: Db, id: string) =>
  db.get<VersionRow>('SELECT * FROM desired_versions WHERE id = ?', [id]);

const activeOf = (db: Db, key: string) =>
  db.get<VersionRow>(`SELECT * FROM desired_versions WHERE scope_key = ? AND state = 'active'`, [key]);

/** Makes a version the active one of its scope; the one it replaces is superseded. Inside a tx. */
async function activate(tx: Db, v: VersionRow, now: number): Promise<void> {
  const current = await activeOf(tx, v.scope_key);
  if (current)
    await tx.run(`UPDATE desired_versions SET state = 'superseded' WHERE id = ? AND state = 'active'`, [
      current.id,
    ]);
  await tx.run(`UPDATE desired_versions SET state = 'active', previous_id = ?, decided_at = ? WHERE id = ?`, [
    current?.id ?? null,
    now,
    v.id,
  ]);
}

/**
 * A new version of a scope's desired state. A change to pools or firmware waits for a second
 * person (operator or admin, not the requester), as a pool change does (commands/policy.ts);
 * anything else is active at once. `approvedBy` carries over an earlier approval of the same
 * content (a rollback restores what two people already agreed to).
 */
export async function proposeVersion(
  deps: Deps,
  req: {
    actor: Principal;
    scope: Scope;
    spec: DesiredSpec;
    note: string;
    now: number;
    approvedBy?: { tokenId: string; name: string; role: string } | null;
    action?: string;
  },
): Promise<VersionRow> {
  const key = scopeKey(req.scope);
  const id = randomUUID();
  await deps.db.tx(async (tx) => {
    const current = await activeOf(tx, key);
    const prev = current ? (JSON.parse(current.spec_json) as DesiredSpec) : null;
    const carried = req.approvedBy && req.approvedBy.tokenId !== req.actor.tokenId ? req.approvedBy : null;
    const guarded = touchesGuarded(prev, req.spec) && !carried;
    const last = await tx.get<{ v: number | null }>(
      'SELECT MAX(version) AS v FROM desired_versions WHERE scope_key = ?',
      [key],
    );
    const version = Number(last?.v ?? 0) + 1;
    await tx.run(
      `INSERT INTO desired_versions (id, scope_key, scope_json, version, spec_json, state, note, previous_id, requested_by,
         requested_by_name, requested_by_role, approved_by, approved_by_name, approved_by_role, created_at, decided_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, NULL)`,
      [
        id,
        key,
        JSON.stringify(req.scope),
        version,
        JSON.stringify(req.spec),
        guarded ? 'pending_approval' : 'pending',
        req.note,
        req.actor.tokenId,
        req.actor.name,
        req.actor.role,
        carried?.tokenId ?? null,
        carried?.name ?? null,
        carried?.role ?? null,
        req.now,
      ],
    );
    if (!guarded) await activate(tx, (await getVersion(tx, id))!, req.now);
    await deps.audit.record({
      actor: req.actor,
      action: req.action ?? (guarded ? 'desired.request' : 'desired.set'),
      subject: `desired ${key} v${version}`,
      details: {
        versionId: id,
        scope: req.scope,
        spec: req.spec,
        note: req.note,
        previousVersionId: current?.id ?? null,
      },
    });
  });
  return (await getVersion(deps.db, id))!;
}

/** The second person's yes: the version becomes its scope's active desired state. */
export async function approveVersion(
  deps: Deps,
  actor: Principal,
  id: string,
  now: number,
): Promise<VersionRow> {
  if (!APPROVER_ROLES.includes(actor.role))
    throw new CommandError(
      403,
      `role ${actor.role} may not approve; requires one of: ${APPROVER_ROLES.join(', ')}`,
    );
  const v = await getVersion(deps.db, id);
  if (!v) throw new CommandError(404, `desired state version ${id}: not found`);
  if (v.state !== 'pending_approval')
    throw new CommandError(409, `desired ${v.scope_key} v${v.version}: is ${v.state}, not pending approval`);
  if (v.requested_by === actor.tokenId)
    throw new CommandError(
      403,
      `desired ${v.scope_key} v${v.version}: needs a second person; the requester cannot approve it`,
    );
  await deps.db.tx(async (tx) => {
    const r = await tx.run(
      `UPDATE desired_versions SET approved_by = ?, approved_by_name = ?, approved_by_role = ?, state = 'pending'
       WHERE id = ? AND state = 'pending_approval'`,
      [actor.tokenId, actor.name, actor.role, id],
    );
    if (r.changes === 0) throw new CommandError(409, `desired ${v.scope_key} v${v.version}: already decided`);
    await activate(tx, v, now);
    await deps.audit.record({
      actor,
      action: 'desired.approve',
      subject: `desired ${v.scope_key} v${v.version}`,
      details: { versionId: id },
    });
  });
  return (await getVersion(deps.db, id))!;
}

/** The active desired states of every scope. */
export async function activeStates(db: Db): Promise<ActiveState[]> {
  const rows = await db.all<VersionRow>(
    `SELECT * FROM desired_versions WHERE state = 'active' ORDER BY scope_key`,
  );
  return rows.map((r) => ({
    versionId: r.id,
    version: Number(r.version),
    scope: JSON.parse(r.scope_json) as Scope,
    spec: JSON.parse(r.spec_json) as DesiredSpec,
  }));
}

/** Every version, newest first per scope (the history a person reads). */
export const listVersions = (db: Db, limit: number) =>
  db.all<VersionRow>('SELECT * FROM desired_versions ORDER BY created_at DESC, version DESC LIMIT ?', [
    limit,
  ]);

/** A version as the API shows it (the pool password left out). */
export function describeVersion(v: VersionRow) {
  const spec = JSON.parse(v.spec_json) as DesiredSpec;
  return {
    id: v.id,
    scopeKey: v.scope_key,
    scope: JSON.parse(v.scope_json) as Scope,
    version: Number(v.version),
    state: v.state,
    note: v.note,
    spec: spec.pool ? { ...spec, pool: { ...spec.pool, password: '***' } } : spec,
    previousId: v.previous_id,
    requestedBy: v.requested_by_name,
    approvedBy: v.approved_by_name,
    createdAt: Number(v.created_at),
    decidedAt: v.decided_at === null ? null : Number(v.decided_at),
  };
}

/** The active version of every scope. */
export const listActive = (db: Db) =>
  db.all<VersionRow>(`SELECT * FROM desired_versions WHERE state = 'active' ORDER BY scope_key`);
