import type { PowerMode } from '@hashfleet/contracts';
import { CommandError, DONE_STATES, sqlStates } from '../../commands/index.js';
import type { Principal } from '../../core/auth/roles.js';
import type { Db } from '../../core/storage/db.js';
import { type BulkDeps, createBulkJob, getItems, getJob, type ItemAction, type NewItem } from '../bulk.js';
import { type Selector, selectMiners } from '../selector.js';
import { type PreviousSettings, planProfileApply, rollbackActions } from './plan.js';
import { type OperatingProfile, OperatingProfileSchema } from './schema.js';
import { applySleepPlan, asleepUnder, profileSchedules } from './sleep.js';
import { planSleepApply, planSleepRemoval } from './sleep-plan.js';

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
    const latest = await db.get<{ power_limit_w: number | null }>(
      'SELECT power_limit_w FROM miner_latest WHERE miner_id = ?',
      [id],
    );
    const powerLimitW = latest?.power_limit_w ?? null;
    const mode = await db.get<{ action_json: string }>(
      `SELECT action_json FROM commands WHERE miner_id = ? AND op = 'power.mode' AND state IN (${sqlStates(DONE_STATES)})
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
  const minerIds = miners.map((m) => m.minerId);
  const existing = await profileSchedules(deps.db, profile.name);
  const items = planProfileApply(
    profile,
    miners,
    await previousSettings(deps.db, minerIds),
    await asleepUnder(deps.db, existing, minerIds),
  );
  const job = await createBulkJob(deps, {
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
  // Sleep windows become the profile's curtailment schedules, for the miners not refused.
  const applied = items
    .filter((i) => !i.refusal && i.miner.siteId)
    .map((i) => ({ minerId: i.miner.minerId, siteId: i.miner.siteId! }));
  await applySleepPlan(deps, {
    actor: req.actor,
    profile: profile.name,
    applicationId: job.id,
    plan: planSleepApply(profile.sleepWindows, applied, existing),
    existing,
    relink: true,
    ramp: { stepSize: req.batchSize, stepEveryS: req.pauseS },
    now: req.now,
  });
  return job;
}

/** What applying would do, per miner, without sending anything: the refusals to confirm first. */
export async function previewProfile(db: Db, name: string, selector: Selector) {
  const profile = await loadProfile(db, name);
  if (!profile) throw new CommandError(404, `operating profile ${name}: not found`);
  const miners = await selectMiners(db, selector);
  const minerIds = miners.map((m) => m.minerId);
  const items = planProfileApply(
    profile,
    miners,
    await previousSettings(db, minerIds),
    await asleepUnder(db, await profileSchedules(db, name), minerIds),
  );
  return items.map((i) => ({
    minerId: i.miner.minerId,
    model: i.miner.model,
    firmware: i.miner.profile,
    containerId: i.miner.containerId,
    actions: i.actions,
    refusal: i.refusal,
  }));
}

/** Puts back, on each miner the application changed, the settings recorded when it was applied. */
export async function rollbackProfile(
  deps: BulkDeps,
  req: { actor: Principal; jobId: string; batchSize: number; pauseS: number; now: number },
) {
  const job = await getJob(deps.db, req.jobId);
  if (job?.kind !== 'profile') throw new CommandError(404, `profile application ${req.jobId}: not found`);
  const all = (await getItems(deps.db, req.jobId)).filter((it) => it.state !== 'refused');
  const existing = await profileSchedules(deps.db, job.ref!);
  const asleep = await asleepUnder(
    deps.db,
    existing,
    all.map((it) => it.miner_id),
  );
  const items: NewItem[] = [];
  for (const it of all) {
    // A miner the profile's windows put to sleep is woken first, then its settings restored.
    const wake: ItemAction[] = asleep.has(it.miner_id) ? [{ op: 'wake' }] : [];
    // Only miners something was sent to have settings to roll back.
    const sent = it.sent_at !== null && it.previous_json !== null;
    if (!sent && wake.length === 0) continue;
    const { actions, unknown } = sent
      ? rollbackActions(
          JSON.parse(it.actions_json) as ItemAction[],
          JSON.parse(it.previous_json!) as PreviousSettings,
        )
      : { actions: [], unknown: [] };
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
      actions: [...wake, ...actions],
      refusal:
        wake.length + actions.length === 0
          ? `miner ${it.miner_id}: nothing recorded to restore (${unknown.join(', ')})`
          : null,
    });
  }
  // The application's miners leave the profile's sleep schedules (a schedule left empty goes).
  const plan = planSleepRemoval(
    all.map((it) => it.miner_id),
    existing,
  );
  const removal = {
    actor: req.actor,
    profile: job.ref!,
    applicationId: req.jobId,
    plan,
    existing,
    relink: false,
    ramp: { stepSize: req.batchSize, stepEveryS: req.pauseS },
    now: req.now,
  };
  if (items.length === 0) {
    await applySleepPlan(deps, removal);
    throw new CommandError(409, `profile application ${req.jobId}: sent nothing, nothing to roll back`);
  }
  const rollback = await createBulkJob(deps, {
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
  await applySleepPlan(deps, removal);
  return rollback;
}
