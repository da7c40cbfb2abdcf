import { CommandError } from '../commands/index.js';
import type { Principal } from '../core/auth/roles.js';
import {
  abortRollout,
  createRollout,
  getRollout,
  type RolloutDeps,
  type RolloutOptions,
} from './rollouts.js';
import type { DesiredSpec, Scope } from './schema.js';
import { getVersion, proposeVersion, type VersionRow } from './versions.js';

/**
 * Rolls a rollout back: it stops (what is queued is not sent), its scope gets a new version with
 * the spec of the version it replaced, and that version is rolled out. The restored content was
 * agreed to before, so its approval carries over (versions.ts); without one (a guarded change the
 * same person approved) the new version waits for a second person and no rollout starts yet.
 */
export async function rollbackRollout(
  deps: RolloutDeps,
  actor: Principal,
  id: string,
  options: RolloutOptions,
  now: number,
): Promise<{ version: VersionRow; rolloutId: string | null }> {
  const r = await getRollout(deps.db, id);
  if (!r) throw new CommandError(404, `rollout ${id}: not found`);
  const v = await getVersion(deps.db, r.version_id);
  if (!v) throw new CommandError(404, `desired state version ${r.version_id}: not found`);
  if (v.state !== 'active')
    throw new CommandError(
      409,
      `desired ${v.scope_key} v${v.version}: is ${v.state}; only the active version can be rolled back`,
    );
  const prev = v.previous_id ? await getVersion(deps.db, v.previous_id) : null;
  if (!prev)
    throw new CommandError(
      409,
      `desired ${v.scope_key} v${v.version}: has no previous version to roll back to`,
    );
  if (['pending_approval', 'running', 'paused'].includes(r.state)) await abortRollout(deps, actor, id, now);
  const version = await proposeVersion(deps, {
    actor,
    scope: JSON.parse(prev.scope_json) as Scope,
    spec: JSON.parse(prev.spec_json) as DesiredSpec,
    note: `rollback of v${v.version} to v${prev.version}`,
    now,
    approvedBy: prev.approved_by
      ? { tokenId: prev.approved_by, name: prev.approved_by_name ?? '', role: prev.approved_by_role ?? '' }
      : null,
    action: 'desired.rollback.version',
  });
  if (version.state !== 'active') return { version, rolloutId: null };
  const rollout = await createRollout(deps, { actor, versionId: version.id, options, now, rollbackOf: id });
  return { version, rolloutId: rollout.id };
}
