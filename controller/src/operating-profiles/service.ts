import type { PowerMode } from '@hashfleet/contracts';
import type { Principal } from '../auth/roles.js';
import {
  type BulkDeps,
  createBulkJob,
  getItems,
  getJob,
  type ItemAction,
  type NewItem,
} from '../commands/bulk.js';
import { type Selector, selectMiners } from '../commands/selector.js';
import { CommandError } from '../commands/service.js';
import type { Db } from '../storage/db.js';
import { type PreviousSettings, planProfileApply, rollbackActions } from './plan.js';
import { type OperatingProfile, OperatingProfileSchema } from './schema.js';

export async function saveProfile(deps: BulkDeps, actor: Principal, profile: OperatingProfile, now: number) {
  await deps.db.tx(async (tx) => {
    await tx.run(
      `INSERT INTO operating_profiles (name, description, profile_json, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET description = excluded.description, profile_json = excluded.profile_json,
         updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
      [profile.name, profile.description, JSON.stringify(profile), actor.name, now],
    );
    await deps.audit.record({
      actor,
      action: 'profile.save',
      subject: `operating profile ${profile.name}`,
      details: profile,
    });
  });
}

export async function loadProfile(db: Db, name: string): Promise<OperatingProfile | null> {
  const r = await db.get<{ profile_json: string }>(
    'SELECT profile_json FROM operating_profiles WHERE name = ?',
    [name],
  );
  return r ? OperatingProfileSchema.parse(JSON.parse(r.profile_json)) : null;
}

export async function listProfiles(db: Db): Promise<OperatingProfile[]> {
  const rows = await db.all<{ profile_json: string }>(
    'SELECT profile_json FROM operating_profiles ORDER BY name',
  );
  return rows.map((r) => OperatingProfileSchema.parse(JSON.parse(r.profile_json)));
}

/** What each miner runs now: its reported power limit and the last power mode we set on it. */
async function previousSettings(db: Db, minerIds: string[]): Promise<Map<string, PreviousSettings>> {
  const out = new Map<string, PreviousSettings>();
  for (const id of minerIds) {
    const latest = await db.get<{ sample_json: string }>(
      'SELECT sample_json FROM miner_latest WHERE miner_id = ?',
      [id],
    );
    let powerLimitW: number | null = null;
    try {
      powerLimitW = latest
        ? ((JSON.parse(latest.sample_json) as { powerLimitW?: number | null }).powerLimitW ?? null)
        : null;
    } catch {
      // nothing known
    }
    const mode = await db.get<{ action_json: string }>(
      `SELECT action_json FROM commands WHERE miner_id = ? AND op = 'power.mode' AND state = 'succeeded'
       ORDER BY finished_at DESC LIMIT 1`,
      [id],
    );
    const powerMode = mode ? ((JSON.parse(mode.action_json) as { mode: PowerMode }).mode ?? null) : null;
    out.set(id, { powerLimitW, powerMode });
  }
  return out;
}

/**
 * Applies a profile to the selected miners through the bulk path (staggered, audited). Miners
 * whose firmware cannot do it are refused up front and sent nothing; the job lists them and why.
 */
export async function applyProfile(
  deps: BulkDeps,
  req: { actor: Principal; name: string; selector: Selector; batchSize: number; pauseS: number; now: number },
) {
  const profile = await loadProfile(deps.db, req.name);
  if (!profile) throw new CommandError(404, `operating profile ${req.name}: not found`);
  const miners = await selectMiners(deps.db, req.selector);
  if (miners.length === 0)
    throw new CommandError(409, `operating profile ${req.name}: the selector matches no miner`);
  const items = planProfileApply(
    profile,
    miners,
    await previousSettings(
      deps.db,
      miners.map((m) => m.minerId),
    ),
  );
  return createBulkJob(deps, {
    actor: req.actor,
    kind: 'profile',
    ref: profile.name,
    op: 'profile.apply',
    selector: req.selector,
    params: profile,
    batchSize: req.batchSize,
    pauseMs: req.pauseS * 1000,
    issuer: `profile:${profile.name}`,
    items,
    now: req.now,
  });
}

/** Puts back, on each miner the application changed, the settings recorded when it was applied. */
export async function rollbackProfile(
  deps: BulkDeps,
  req: { actor: Principal; jobId: string; batchSize: number; pauseS: number; now: number },
) {
  const job = await getJob(deps.db, req.jobId);
  if (job?.kind !== 'profile') throw new CommandError(404, `profile application ${req.jobId}: not found`);
  const items: NewItem[] = [];
  for (const it of await getItems(deps.db, req.jobId)) {
    // Only miners something was sent to have anything to roll back.
    if (it.sent_at === null || !it.previous_json) continue;
    const { actions, unknown } = rollbackActions(
      JSON.parse(it.actions_json) as ItemAction[],
      JSON.parse(it.previous_json) as PreviousSettings,
    );
    const miner = {
      minerId: it.miner_id,
      agentId: it.agent_id,
      minerKey: it.miner_key,
      model: null,
      siteId: null,
      containerId: null,
      profile: null,
    };
    items.push({
      miner,
      actions,
      refusal:
        actions.length === 0
          ? `miner ${it.miner_id}: nothing recorded to restore (${unknown.join(', ')})`
          : null,
    });
  }
  if (items.length === 0)
    throw new CommandError(409, `profile application ${req.jobId}: sent nothing, nothing to roll back`);
  return createBulkJob(deps, {
    actor: req.actor,
    kind: 'rollback',
    ref: req.jobId,
    op: 'profile.rollback',
    selector: { job: req.jobId },
    params: { rollbackOf: req.jobId, profile: job.ref },
    batchSize: req.batchSize,
    pauseMs: req.pauseS * 1000,
    issuer: `profile:${job.ref}:rollback`,
    items,
    now: req.now,
  });
}
