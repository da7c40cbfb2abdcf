import { randomUUID } from 'node:crypto';
import { CommandActionSchema } from '@hashfleet/contracts';
import { can, getProfile, upgradePath } from '@hashfleet/firmware-profiles';
import { APPROVER_ROLES, CommandError, type Commands, DONE_STATES } from '../commands/index.js';
import type { Audit } from '../core/audit.js';
import type { Principal, Role } from '../core/auth/roles.js';
import type { Db } from '../core/storage/db.js';
import {
  type FirmwareImage,
  type FirmwareStore,
  type UpgradeAction,
  upgradeAction,
  upgradeRefusal,
} from '../firmware/index.js';
import { minerLabel, type SelectedMiner, selectMiners } from '../operations/index.js';
import { type Drift, type Fix, fixesFor } from './drift.js';
import { fleetDrift, type MinerDrift } from './drift-store.js';
import { type Effective, resolveDesired, scopeMatches } from './resolve.js';
import { admit, canarySize, gate, healthyAfter, isDisruptive, waveOf } from './rollout-plan.js';
import type { Scope } from './schema.js';
import { activeStates, getVersion, type VersionRow } from './versions.js';

/**
 * Where a firmware rollout finds the desired image (by its SHA-256) and the base URL agents fetch
 * it from; without it a rollout with firmware drift is refused up front.
 */
export type RolloutFirmware = { store: Pick<FirmwareStore, 'bySha256'>; baseUrl: string };

export type RolloutDeps = { db: Db; audit: Audit; commands: Commands; firmware?: RolloutFirmware };

export type RolloutOptions = {
  /** Miners per wave after the canary. */
  waveSize: number;
  /** A wave whose failed share is over this pauses the rollout (percent). */
  failureThresholdPct: number;
  /** Most miners of one container restarting at once (the container's power budget). */
  powerBudget: number;
  /** Most miners of one site restarting at once; absent: only the containers' budgets hold. */
  sitePowerBudget?: number | undefined;
  /** How long a miner has to show its desired state after its commands are sent. */
  verifyTimeoutS: number;
};

export type RolloutRow = {
  id: string;
  version_id: string;
  scope_key: string;
  state: string;
  wave: number;
  waves: number;
  canary: number;
  wave_size: number;
  threshold_pct: number;
  power_budget: number;
  site_power_budget: number | null;
  verify_timeout_ms: number;
  reason: string | null;
  rollback_of: string | null;
  requested_by: string;
  requested_by_name: string;
  requested_by_role: string;
  approved_by: string | null;
  approved_by_name: string | null;
  approved_by_role: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
};

type ItemRow = {
  rollout_id: string;
  miner_id: string;
  position: number;
  wave: number;
  container_id: string | null;
  agent_id: string | null;
  miner_key: string | null;
  actions_json: string;
  drift_json: string;
  state: string;
  reason: string | null;
  command_ids_json: string;
  sent_at: number | null;
  updated_at: number;
};

export const getRollout = (db: Db, id: string) =>
  db.get<RolloutRow>('SELECT * FROM desired_rollouts WHERE id = ?', [id]);
const itemsOf = (db: Db, id: string) =>
  db.all<ItemRow>('SELECT * FROM desired_rollout_items WHERE rollout_id = ? ORDER BY wave, position', [id]);

const principalOf = (id: string, name: string, role: string): Principal => ({
  tokenId: id,
  name,
  role: role as Role,
  stakerId: null,
});

/** Whether the item's fixes put the miner to sleep (then asleep, not hashing, is healthy). */
const wantsAsleep = (item: ItemRow) => (JSON.parse(item.actions_json) as Fix[]).some((f) => f.op === 'sleep');

/**
 * Why a miner's fixes cannot be sent, or null, naming the miner as a person finds it. Firmware:
 * a firmware without an upgrade path is refused with its profile's reason, an image for another
 * firmware with the upgrade path's (firmware/index.ts upgradeRefusal).
 */
function refusalOf(
  minerId: string,
  fixes: Fix[],
  how: SelectedMiner | undefined,
  image: FirmwareImage | null,
): string | null {
  const label = how ? minerLabel(how) : `miner ${minerId}`;
  if (!how?.agentId || !how.minerKey) return `${label}: no agent polls it`;
  const profile = how.profile ? getProfile(how.profile) : null;
  if (!profile) return `${label}: firmware ${how.profile ?? 'unknown'} is unknown to this controller`;
  if (image) {
    const own = upgradePath(profile, profile.id);
    if (!own.ok) return `${label}: ${own.why}`;
    const refused = upgradeRefusal(how, image, label);
    if (refused) return refused;
  }
  const missing = fixes.filter((f) => f.op !== 'firmware.upgrade' && !can(profile, f.op)).map((f) => f.op);
  return missing.length ? `${label}: firmware ${profile.id} cannot do ${missing.join(', ')}` : null;
}

/**
 * The stored image of each desired firmware the drifted miners need, by SHA-256. A desired image
 * that is not stored, or whose stored version is not the desired one, refuses the whole rollout
 * up front (nothing is sent), naming it.
 */
async function imagesFor(
  deps: RolloutDeps,
  v: VersionRow,
  wants: Effective[],
): Promise<Map<string, { image: FirmwareImage; action: UpgradeAction }>> {
  const out = new Map<string, { image: FirmwareImage; action: UpgradeAction }>();
  for (const want of wants) {
    const fw = want.firmware?.value;
    if (!fw || out.has(fw.imageSha256)) continue;
    const name = `firmware ${fw.family} ${fw.version} (image SHA-256 ${fw.imageSha256})`;
    if (!deps.firmware)
      throw new CommandError(409, `desired ${v.scope_key} v${v.version}: ${name}: no firmware image store`);
    const image = await deps.firmware.store.bySha256(fw.imageSha256);
    if (!image)
      throw new CommandError(
        409,
        `desired ${v.scope_key} v${v.version}: ${name} is not stored; upload the image first`,
      );
    if (image.version !== fw.version || image.family !== fw.family)
      throw new CommandError(
        409,
        `desired ${v.scope_key} v${v.version}: ${name} is stored as ${image.family} ${image.version}`,
      );
    out.set(fw.imageSha256, { image, action: upgradeAction(image, deps.firmware.baseUrl) });
  }
  return out;
}

/** Each drifted miner's fixes and, when they cannot be sent, why. */
async function planFixes(
  deps: RolloutDeps,
  v: VersionRow,
  states: Awaited<ReturnType<typeof activeStates>>,
  drifted: MinerDrift[],
  ways: Map<string, SelectedMiner>,
) {
  const wants = drifted.map((m) => resolveDesired(states, m.place));
  const images = await imagesFor(
    deps,
    v,
    wants.filter((_, i) => drifted[i]!.drift.some((d) => d.field === 'firmware')),
  );
  return drifted.map((m, i) => {
    const fw = m.drift.some((d) => d.field === 'firmware') ? wants[i]!.firmware?.value : undefined;
    const up = fw ? images.get(fw.imageSha256) : undefined;
    const fixes = fixesFor(wants[i]!, m.place, m.drift, up?.action);
    return {
      m,
      fixes,
      refusal: refusalOf(m.place.minerId, fixes, ways.get(m.place.minerId), up?.image ?? null),
    };
  });
}

/**
 * Applies an active desired-state version: every miner of its scope that drifts from its desired
 * state gets the commands that bring it back, in waves (a canary of 1 % or 5 miners first).
 * Pool changes were agreed by two people when the version was approved; a version nobody approved
 * (no pool or firmware change) makes a rollout that carries pool changes wait for a second person.
 */
export async function createRollout(
  deps: RolloutDeps,
  req: {
    actor: Principal;
    versionId: string;
    options: RolloutOptions;
    now: number;
    rollbackOf?: string | null;
  },
): Promise<RolloutRow> {
  const v = await getVersion(deps.db, req.versionId);
  if (!v) throw new CommandError(404, `desired state version ${req.versionId}: not found`);
  if (v.state !== 'active')
    throw new CommandError(
      409,
      `desired ${v.scope_key} v${v.version}: is ${v.state}; only the active version is rolled out`,
    );
  const scope = JSON.parse(v.scope_json) as Scope;
  const states = await activeStates(deps.db);
  const fleet = (await fleetDrift(deps.db, req.now, states)).filter((m) => scopeMatches(scope, m.place));
  const drifted = fleet.filter((m) => m.drift.length > 0);
  // selectMiners gives each its agent, the agent's key for it and its firmware, in walking order.
  const selected = drifted.length
    ? await selectMiners(deps.db, { minerIds: drifted.map((m) => m.place.minerId) })
    : [];
  const ways = new Map(selected.map((x, i) => [x.minerId, { ...x, order: i }]));
  drifted.sort(
    (a, b) => (ways.get(a.place.minerId)?.order ?? 1e9) - (ways.get(b.place.minerId)?.order ?? 1e9),
  );
  const planned = await planFixes(deps, v, states, drifted, ways);
  const sendable = planned.filter((p) => !p.refusal).length;
  const canary = canarySize(sendable);
  const waves = sendable === 0 ? 0 : waveOf(sendable - 1, sendable, req.options.waveSize, canary) + 1;
  // Pool changes and firmware images need a second person (commands/policy.ts), as the version did.
  const guarded = planned.some(
    (p) => !p.refusal && p.fixes.some((f) => f.op === 'pool.set' || f.op === 'firmware.upgrade'),
  );
  const approver = v.approved_by && v.approved_by !== req.actor.tokenId ? v : null;
  const state = sendable === 0 ? 'done' : guarded && !approver ? 'pending_approval' : 'running';
  const id = randomUUID();
  await deps.db.tx(async (tx) => {
    await tx.run(
      `INSERT INTO desired_rollouts (id, version_id, scope_key, state, wave, waves, canary, wave_size, threshold_pct, power_budget,
         verify_timeout_ms, reason, rollback_of, requested_by, requested_by_name, requested_by_role, approved_by, approved_by_name,
         approved_by_role, created_at, updated_at, finished_at, site_power_budget)
       VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        v.id,
        v.scope_key,
        state,
        waves,
        canary,
        req.options.waveSize,
        req.options.failureThresholdPct,
        req.options.powerBudget,
        req.options.verifyTimeoutS * 1000,
        req.rollbackOf ?? null,
        req.actor.tokenId,
        req.actor.name,
        req.actor.role,
        approver?.approved_by ?? null,
        approver?.approved_by_name ?? null,
        approver?.approved_by_role ?? null,
        req.now,
        req.now,
        state === 'done' ? req.now : null,
        req.options.sitePowerBudget ?? null,
      ],
    );
    let queued = 0;
    for (const [position, p] of planned.entries()) {
      const how = ways.get(p.m.place.minerId);
      await tx.run(
        `INSERT INTO desired_rollout_items (rollout_id, miner_id, position, wave, container_id, agent_id, miner_key, actions_json,
           drift_json, state, reason, command_ids_json, sent_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', NULL, ?)`,
        [
          id,
          p.m.place.minerId,
          position,
          p.refusal ? -1 : waveOf(queued++, sendable, req.options.waveSize, canary),
          p.m.place.containerId,
          how?.agentId ?? null,
          how?.minerKey ?? null,
          JSON.stringify(p.fixes),
          JSON.stringify(p.m.drift),
          p.refusal ? 'refused' : 'queued',
          p.refusal,
          req.now,
        ],
      );
    }
    await deps.audit.record({
      actor: req.actor,
      action: req.rollbackOf ? 'desired.rollback' : 'desired.rollout',
      subject: `rollout ${id}: desired ${v.scope_key} v${v.version}`,
      details: {
        rolloutId: id,
        versionId: v.id,
        options: req.options,
        miners: planned.length,
        inState: fleet.length - drifted.length,
        refused: planned
          .filter((p) => p.refusal)
          .map((p) => ({ minerId: p.m.place.minerId, reason: p.refusal })),
        ...(req.rollbackOf ? { rollbackOf: req.rollbackOf } : {}),
      },
    });
  });
  return (await getRollout(deps.db, id))!;
}

/** Moves a rollout from one state to another for a person (approve, pause, resume, abort). */
async function transition(
  deps: RolloutDeps,
  actor: Principal,
  id: string,
  from: string[],
  to: string,
  now: number,
  extra?: { approve?: boolean },
): Promise<RolloutRow> {
  const r = await getRollout(deps.db, id);
  if (!r) throw new CommandError(404, `rollout ${id}: not found`);
  if (!from.includes(r.state))
    throw new CommandError(409, `rollout ${id}: is ${r.state}; ${to} needs one of ${from.join(', ')}`);
  if (extra?.approve) {
    if (!APPROVER_ROLES.includes(actor.role))
      throw new CommandError(
        403,
        `role ${actor.role} may not approve; requires one of: ${APPROVER_ROLES.join(', ')}`,
      );
    if (r.requested_by === actor.tokenId)
      throw new CommandError(403, `rollout ${id}: needs a second person; the requester cannot approve it`);
  }
  await deps.db.tx(async (tx) => {
    const done = to === 'aborted';
    const u = await tx.run(
      `UPDATE desired_rollouts SET state = ?, reason = ?, updated_at = ?, finished_at = ?
         ${extra?.approve ? ', approved_by = ?, approved_by_name = ?, approved_by_role = ?' : ''}
       WHERE id = ? AND state = ?`,
      [
        to,
        to === 'paused' ? `paused by ${actor.name}` : to === 'running' ? null : r.reason,
        now,
        done ? now : null,
        ...(extra?.approve ? [actor.tokenId, actor.name, actor.role] : []),
        id,
        r.state,
      ],
    );
    if (u.changes === 0) throw new CommandError(409, `rollout ${id}: changed meanwhile; try again`);
    if (done)
      await tx.run(
        `UPDATE desired_rollout_items SET state = 'cancelled', reason = ?, updated_at = ? WHERE rollout_id = ? AND state = 'queued'`,
        [`aborted by ${actor.name}`, now, id],
      );
    await deps.audit.record({
      actor,
      action: `desired.rollout.${extra?.approve ? 'approve' : to === 'running' ? 'resume' : to === 'paused' ? 'pause' : 'abort'}`,
      subject: `rollout ${id}: desired ${r.scope_key}`,
      details: { rolloutId: id, from: r.state },
    });
  });
  return (await getRollout(deps.db, id))!;
}

export const approveRollout = (d: RolloutDeps, a: Principal, id: string, now: number) =>
  transition(d, a, id, ['pending_approval'], 'running', now, { approve: true });
export const pauseRollout = (d: RolloutDeps, a: Principal, id: string, now: number) =>
  transition(d, a, id, ['running'], 'paused', now);
export const resumeRollout = (d: RolloutDeps, a: Principal, id: string, now: number) =>
  transition(d, a, id, ['paused'], 'running', now);
export const abortRollout = (d: RolloutDeps, a: Principal, id: string, now: number) =>
  transition(d, a, id, ['pending_approval', 'running', 'paused'], 'aborted', now);

/** Sends the admitted items of the current wave: each item's fixes in order, as signed commands. */
async function dispatch(deps: RolloutDeps, r: RolloutRow, items: ItemRow[], now: number): Promise<void> {
  // Miners restarting for any rollout count against their container's and site's budget (two
  // rollouts over one container, or an aborted one whose miners are still coming back, share one feed).
  const siteOf = new Map(
    (await deps.db.all<{ id: string; site_id: string }>('SELECT id, site_id FROM containers')).map((c) => [
      c.id,
      c.site_id,
    ]),
  );
  const inFlight = new Map<string, number>();
  const siteInFlight = new Map<string, number>();
  const sent = await deps.db.all<{ container_id: string | null; actions_json: string }>(
    `SELECT container_id, actions_json FROM desired_rollout_items WHERE state = 'sent'`,
  );
  for (const i of sent) {
    if (!isDisruptive(JSON.parse(i.actions_json) as Fix[])) continue;
    const site = (i.container_id && siteOf.get(i.container_id)) ?? '';
    inFlight.set(i.container_id ?? '', (inFlight.get(i.container_id ?? '') ?? 0) + 1);
    siteInFlight.set(site, (siteInFlight.get(site) ?? 0) + 1);
  }
  const queued = items.filter((i) => i.state === 'queued' && Number(i.wave) === Number(r.wave));
  const go = new Set(
    admit(
      queued.map((i) => ({
        minerId: i.miner_id,
        containerId: i.container_id,
        siteId: (i.container_id && siteOf.get(i.container_id)) ?? '',
        disruptive: isDisruptive(JSON.parse(i.actions_json) as Fix[]),
      })),
      inFlight,
      Number(r.power_budget),
      r.site_power_budget === null
        ? undefined
        : { inFlight: siteInFlight, budget: Number(r.site_power_budget) },
    ),
  );
  const requester = principalOf(r.requested_by, r.requested_by_name, r.requested_by_role);
  const approver = r.approved_by
    ? principalOf(r.approved_by, r.approved_by_name ?? '', r.approved_by_role ?? '')
    : null;
  for (const item of queued) {
    if (!go.has(item.miner_id)) continue;
    // Claimed first, so two runners (a replica taking over, a test beside the timer) never send twice.
    const mine = await deps.db.run(
      `UPDATE desired_rollout_items SET state = 'sending', updated_at = ? WHERE rollout_id = ? AND miner_id = ? AND state = 'queued'`,
      [now, r.id, item.miner_id],
    );
    if (mine.changes === 0) continue;
    const ids: string[] = [];
    let failure: string | null = null;
    for (const fix of JSON.parse(item.actions_json) as Fix[]) {
      try {
        const action = CommandActionSchema.parse({
          ...fix,
          target: { kind: 'miner', minerKey: item.miner_key },
        });
        let issued = await deps.commands.issueTracked({
          actor: requester,
          agentId: item.agent_id!,
          action,
          issuer: `desired:${r.scope_key}`,
          minerId: item.miner_id,
        });
        // The pool change was agreed by a second person for the whole rollout (or its version).
        if (issued.state === 'pending_approval' && approver)
          issued = await deps.commands.approve(approver, issued.id);
        ids.push(issued.id);
        if (issued.state === 'failed') failure = 'could not be published to the agent';
        else if (issued.state === 'pending_approval') failure = 'waits for a second person';
      } catch (err) {
        failure = (err as Error).message;
      }
      if (failure) break;
    }
    await deps.db.run(
      `UPDATE desired_rollout_items SET state = ?, reason = ?, command_ids_json = ?, sent_at = ?, updated_at = ?
       WHERE rollout_id = ? AND miner_id = ?`,
      [failure ? 'failed' : 'sent', failure, JSON.stringify(ids), now, now, r.id, item.miner_id],
    );
  }
}

/**
 * A sent item's verdict: failed when a command failed (the miner's words kept), verified when
 * every command is done by its effect (issue 16: verified, or unverified where nothing can show
 * it) and a reading after them shows none of its fields drifted, failed when that has not happened
 * by the verify timeout, else still sent.
 */
async function follow(
  deps: RolloutDeps,
  r: RolloutRow,
  item: ItemRow,
  stillDrifted: (minerId: string, fields: string[]) => boolean | null,
  healthy: boolean | null,
  now: number,
): Promise<{ state: string; reason: string | null }> {
  const ids = JSON.parse(item.command_ids_json) as string[];
  let allDone = true;
  for (const id of ids) {
    const c = await deps.db.get<{ state: string; result_json: string | null; op: string }>(
      'SELECT state, result_json, op FROM commands WHERE id = ?',
      [id],
    );
    if (!c) continue;
    if (['failed', 'refused', 'timeout', 'expired'].includes(c.state)) {
      let words = '';
      try {
        words = (JSON.parse(c.result_json ?? 'null') as { message?: string } | null)?.message ?? '';
      } catch {
        // keep the state alone
      }
      return { state: 'failed', reason: `${c.op} ${c.state}${words ? `: ${words}` : ''}` };
    }
    if (!(DONE_STATES as readonly string[]).includes(c.state)) allDone = false;
  }
  const fields = [...new Set((JSON.parse(item.drift_json) as Drift[]).map((d) => d.field))];
  const back = allDone && stillDrifted(item.miner_id, fields) === false;
  if (back && healthy) return { state: 'verified', reason: null };
  if (now - Number(item.sent_at) > Number(r.verify_timeout_ms))
    return {
      state: 'failed',
      reason: back
        ? `back in its desired state but not ${wantsAsleep(item) ? 'asleep' : 'hashing at 90 % of expected'} ${Math.round(Number(r.verify_timeout_ms) / 1000)} s after the change`
        : allDone
          ? `still out of its desired state (${fields.join(', ')}) ${Math.round(Number(r.verify_timeout_ms) / 1000)} s after the change`
          : `no verdict on its commands within ${Math.round(Number(r.verify_timeout_ms) / 1000)} s`,
    };
  return { state: 'sent', reason: null };
}

/**
 * The rollout runner's tick: follows sent items to their verdict, sends what the current wave and
 * the power budget admit, and when a wave is over either starts the next or pauses the rollout
 * for a person (failure rate over the threshold).
 */
export async function tickRollouts(deps: RolloutDeps, now: number): Promise<void> {
  const rollouts = await deps.db.all<RolloutRow>(
    `SELECT * FROM desired_rollouts WHERE state IN ('running', 'paused', 'aborted')`,
  );
  if (rollouts.length === 0) return;
  const open = await deps.db.all<{ n: number }>(
    `SELECT COUNT(*) AS n FROM desired_rollout_items i JOIN desired_rollouts r ON r.id = i.rollout_id
     WHERE r.state IN ('running', 'paused', 'aborted') AND i.state = 'sent'`,
  );
  let drift: Map<string, Set<string>> | null = null;
  const stillDrifted = (minerId: string, fields: string[]) => {
    const d = drift!.get(minerId);
    return d === undefined ? null : fields.some((f) => d.has(f));
  };
  if (Number(open[0]?.n ?? 0) > 0) {
    drift = new Map();
    for (const m of await fleetDrift(deps.db, now)) {
      // Only a reading newer than the commands can clear an item; fleetDrift reads the latest.
      drift.set(m.place.minerId, new Set(m.drift.map((d) => d.field)));
    }
  }
  for (const r of rollouts) {
    let items = await itemsOf(deps.db, r.id);
    for (const item of items.filter((i) => i.state === 'sent')) {
      const latest = await deps.db.get<{
        received_at: number;
        state: string;
        hashrate_ths: number | null;
        expected_ths: number | null;
      }>('SELECT received_at, state, hashrate_ths, expected_ths FROM miner_latest WHERE miner_id = ?', [
        item.miner_id,
      ]);
      const fresh = (id: string, f: string[]) =>
        latest && Number(latest.received_at) > Number(item.sent_at) ? stillDrifted(id, f) : null;
      const healthy =
        latest && Number(latest.received_at) > Number(item.sent_at)
          ? healthyAfter(
              { state: latest.state, hashrateThs: latest.hashrate_ths, expectedThs: latest.expected_ths },
              wantsAsleep(item),
            )
          : null;
      const v = await follow(deps, r, item, fresh, healthy, now);
      if (v.state !== item.state)
        await deps.db.run(
          'UPDATE desired_rollout_items SET state = ?, reason = ?, updated_at = ? WHERE rollout_id = ? AND miner_id = ? AND state = ?',
          [v.state, v.reason, now, r.id, item.miner_id, 'sent'],
        );
    }
    if (r.state !== 'running') continue;
    items = await itemsOf(deps.db, r.id);
    await dispatch(deps, r, items, now);
    items = await itemsOf(deps.db, r.id);
    const wave = items.filter((i) => Number(i.wave) === Number(r.wave));
    if (wave.some((i) => ['queued', 'sending', 'sent'].includes(i.state))) continue;
    const outcome = {
      failed: wave.filter((i) => i.state === 'failed').length,
      done: wave.filter((i) => i.state === 'verified').length,
    };
    const g = gate(Number(r.wave), outcome, Number(r.threshold_pct));
    const last = Number(r.wave) + 1 >= Number(r.waves);
    const requester = principalOf(r.requested_by, r.requested_by_name, r.requested_by_role);
    await deps.db.tx(async (tx) => {
      const [state, reason, wave2] = !g.next
        ? ['paused', g.reason, Number(r.wave) + 1]
        : last
          ? ['done', null, Number(r.wave)]
          : ['running', null, Number(r.wave) + 1];
      const u = await tx.run(
        `UPDATE desired_rollouts SET state = ?, reason = ?, wave = ?, updated_at = ?, finished_at = ? WHERE id = ? AND state = 'running' AND wave = ?`,
        [state, reason, wave2, now, state === 'done' ? now : null, r.id, r.wave],
      );
      if (u.changes === 0) return;
      await deps.audit.record({
        actor: requester,
        action:
          state === 'paused'
            ? 'desired.rollout.paused'
            : state === 'done'
              ? 'desired.rollout.done'
              : 'desired.rollout.wave',
        subject: `rollout ${r.id}: desired ${r.scope_key}`,
        details: { rolloutId: r.id, wave: Number(r.wave), ...outcome, ...(reason ? { reason } : {}) },
      });
    });
  }
}

/** A rollout with its per-wave progress and per-miner outcome, names and places for people. */
export async function describeRollout(db: Db, id: string) {
  const r = await getRollout(db, id);
  if (!r) return null;
  const items = await itemsOf(db, id);
  const v = await getVersion(db, r.version_id);
  const places = new Map(
    (
      await db.all<{
        id: string;
        serial: string | null;
        model: string | null;
        rack: string | null;
        slot: string | null;
      }>(
        `SELECT m.id, m.serial, m.model, s.rack, s.slot FROM desired_rollout_items i JOIN miners m ON m.id = i.miner_id
           LEFT JOIN slots s ON s.id = m.slot_id WHERE i.rollout_id = ?`,
        [id],
      )
    ).map((p) => [p.id, p]),
  );
  const waves: { wave: number; counts: Record<string, number> }[] = [];
  for (const i of items) {
    if (Number(i.wave) < 0) continue;
    let w = waves.find((x) => x.wave === Number(i.wave));
    if (!w) {
      w = { wave: Number(i.wave), counts: {} };
      waves.push(w);
    }
    w.counts[i.state] = (w.counts[i.state] ?? 0) + 1;
  }
  return {
    id: r.id,
    versionId: r.version_id,
    version: v ? Number(v.version) : null,
    scopeKey: r.scope_key,
    state: r.state,
    reason: r.reason,
    wave: Number(r.wave),
    waves: Number(r.waves),
    canary: Number(r.canary),
    waveSize: Number(r.wave_size),
    failureThresholdPct: Number(r.threshold_pct),
    powerBudget: Number(r.power_budget),
    sitePowerBudget: r.site_power_budget === null ? null : Number(r.site_power_budget),
    rollbackOf: r.rollback_of,
    requestedBy: r.requested_by_name,
    approvedBy: r.approved_by_name,
    createdAt: Number(r.created_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    progress: waves,
    items: items.map((i) => ({
      minerId: i.miner_id,
      serial: places.get(i.miner_id)?.serial ?? null,
      model: places.get(i.miner_id)?.model ?? null,
      containerId: i.container_id,
      rack: places.get(i.miner_id)?.rack ?? null,
      slot: places.get(i.miner_id)?.slot ?? null,
      wave: Number(i.wave),
      state: i.state,
      reason: i.reason,
      ops: (JSON.parse(i.actions_json) as Fix[]).map((f) => f.op),
      drift: (JSON.parse(i.drift_json) as Drift[]).map((d) => ({
        field: d.field,
        desired: d.desired,
        actual: d.actual,
      })),
      commandIds: JSON.parse(i.command_ids_json) as string[],
      sentAt: i.sent_at === null ? null : Number(i.sent_at),
    })),
  };
}

export async function recentRolloutIds(db: Db, limit: number): Promise<string[]> {
  const rows = await db.all<{ id: string }>(
    'SELECT id FROM desired_rollouts ORDER BY created_at DESC, id LIMIT ?',
    [limit],
  );
  return rows.map((r) => r.id);
}
