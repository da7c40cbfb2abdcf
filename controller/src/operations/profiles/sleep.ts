import { randomUUID } from 'node:crypto';
import type { Principal } from '../../core/auth/roles.js';
import type { Db } from '../../core/storage/db.js';
import type { BulkDeps } from '../bulk.js';
import { type Schedule, ScheduleSchema } from '../curtailment/schema.js';
import type { Window } from './schema.js';
import type { ProfileSchedule, SleepPlan } from './sleep-plan.js';

type Row = { id: string; site_id: string; schedule_json: string };

/** The curtailment schedules a profile's sleep windows made (one per site). */
export async function profileSchedules(db: Db, profile: string): Promise<ProfileSchedule[]> {
  const rows = await db.all<Row>(
    'SELECT id, site_id, schedule_json FROM curtailment_schedules WHERE profile_name = ? ORDER BY site_id',
    [profile],
  );
  return rows.map((r) => {
    const s = ScheduleSchema.parse(JSON.parse(r.schedule_json));
    return {
      id: r.id,
      siteId: r.site_id,
      minerIds: s.selector?.minerIds ?? [],
      windows: s.trigger.kind === 'windows' ? s.trigger.windows : [],
    };
  });
}

/** Which of `minerIds` the profile's schedules have put to sleep (and not woken yet). */
export async function asleepUnder(db: Db, schedules: ProfileSchedule[], minerIds: string[]) {
  const asleep = new Set<string>();
  for (const s of schedules) {
    const rows = await db.all<{ miner_id: string }>(
      `SELECT miner_id FROM curtailment_miners WHERE schedule_id = ? AND state = 'curtailed'`,
      [s.id],
    );
    for (const r of rows) if (minerIds.includes(r.miner_id)) asleep.add(r.miner_id);
  }
  return asleep;
}

const scheduleOf = (
  profile: string,
  siteId: string,
  minerIds: string[],
  windows: Window[],
  ramp: { stepSize: number; stepEveryS: number },
): Schedule => ({
  name: `profile ${profile}: sleep windows`,
  siteId,
  selector: { minerIds },
  trigger: { kind: 'windows', windows },
  action: { kind: 'sleep' },
  stepSize: ramp.stepSize,
  stepEveryS: ramp.stepEveryS,
});

/**
 * Carries out a sleep plan for one profile application: creates, updates (and re-enables), relinks
 * or removes the profile's schedules, one audit entry each. A miner leaving a schedule loses its
 * curtailment state there; waking it is the application's or rollback's bulk job's business.
 */
export async function applySleepPlan(
  deps: BulkDeps,
  req: {
    actor: Principal;
    profile: string;
    applicationId: string;
    plan: SleepPlan;
    existing: ProfileSchedule[];
    /** Point the schedules it changes at this application (an apply), or leave their link (a rollback). */
    relink: boolean;
    ramp: { stepSize: number; stepEveryS: number };
    now: number;
  },
): Promise<void> {
  const { plan, profile, applicationId } = req;
  const audit = (action: string, id: string, details: Record<string, unknown>) =>
    deps.audit.record({
      actor: req.actor,
      action,
      subject: `curtailment ${id}: profile ${profile}`,
      details: { scheduleId: id, profile, applicationId, ...details },
    });
  await deps.db.tx(async (tx) => {
    for (const c of plan.create) {
      const id = randomUUID();
      const schedule = scheduleOf(profile, c.siteId, c.minerIds, c.windows, req.ramp);
      await tx.run(
        `INSERT INTO curtailment_schedules (id, name, site_id, schedule_json, enabled, created_by, created_at, last_step_at,
           profile_name, application_id) VALUES (?, ?, ?, ?, 1, ?, ?, NULL, ?, ?)`,
        [
          id,
          schedule.name,
          c.siteId,
          JSON.stringify(schedule),
          req.actor.name,
          req.now,
          profile,
          applicationId,
        ],
      );
      await audit('curtailment.create', id, { siteId: c.siteId, schedule });
    }
    for (const u of plan.update) {
      const before = req.existing.find((s) => s.id === u.id)!;
      const schedule = scheduleOf(profile, before.siteId, u.minerIds, u.windows, req.ramp);
      await tx.run(
        req.relink
          ? 'UPDATE curtailment_schedules SET schedule_json = ?, application_id = ?, enabled = 1 WHERE id = ?'
          : 'UPDATE curtailment_schedules SET schedule_json = ? WHERE id = ?',
        req.relink ? [JSON.stringify(schedule), applicationId, u.id] : [JSON.stringify(schedule), u.id],
      );
      const left = before.minerIds.filter((m) => !u.minerIds.includes(m));
      for (const m of left)
        await tx.run('DELETE FROM curtailment_miners WHERE schedule_id = ? AND miner_id = ?', [u.id, m]);
      await audit('curtailment.update', u.id, { siteId: before.siteId, schedule, removedMiners: left });
    }
    for (const id of plan.unchanged) {
      await tx.run('UPDATE curtailment_schedules SET application_id = ?, enabled = 1 WHERE id = ?', [
        applicationId,
        id,
      ]);
      await audit('curtailment.update', id, { unchanged: true });
    }
    for (const id of plan.remove) {
      await tx.run('DELETE FROM curtailment_miners WHERE schedule_id = ?', [id]);
      await tx.run('DELETE FROM curtailment_schedules WHERE id = ?', [id]);
      await audit('curtailment.remove', id, {
        minerIds: req.existing.find((s) => s.id === id)?.minerIds ?? [],
      });
    }
  });
}
