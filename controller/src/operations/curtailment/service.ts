import { randomUUID } from 'node:crypto';
import { CommandActionSchema } from '@hashfleet/contracts';
import { CommandError } from '../../commands/index.js';
import { type Principal, SYSTEM } from '../../core/auth/roles.js';
import type { Db } from '../../core/storage/db.js';
import { parseTariff, type Tariff } from '../../energy/index.js';
import type { BulkDeps } from '../bulk.js';
import { selectMiners } from '../selector.js';
import { curtailWanted, planStep } from './plan.js';
import { type Schedule, ScheduleSchema } from './schema.js';

type ScheduleRow = {
  id: string;
  name: string;
  site_id: string;
  schedule_json: string;
  enabled: number;
  created_by: string;
  created_at: number;
  last_step_at: number | null;
  /** Set when an operating profile's sleep windows made it: the profile and its latest application. */
  profile_name: string | null;
  application_id: string | null;
};

export async function createSchedule(deps: BulkDeps, actor: Principal, schedule: Schedule, now: number) {
  const site = await deps.db.get<{ id: string }>('SELECT id FROM sites WHERE id = ?', [schedule.siteId]);
  if (!site) throw new CommandError(404, `site ${schedule.siteId}: not found`);
  const id = randomUUID();
  await deps.db.tx(async (tx) => {
    await tx.run(
      `INSERT INTO curtailment_schedules (id, name, site_id, schedule_json, enabled, created_by, created_at, last_step_at)
       VALUES (?, ?, ?, ?, 1, ?, ?, NULL)`,
      [id, schedule.name, schedule.siteId, JSON.stringify(schedule), actor.name, now],
    );
    await deps.audit.record({
      actor,
      action: 'curtailment.create',
      subject: `curtailment ${id}: ${schedule.name}`,
      details: schedule,
    });
  });
  return id;
}

/** Disabling restores the schedule's miners (ramped, like everything else) before it goes quiet. */
export async function setEnabled(deps: BulkDeps, actor: Principal, id: string, enabled: boolean) {
  await deps.db.tx(async (tx) => {
    const r = await tx.run('UPDATE curtailment_schedules SET enabled = ? WHERE id = ?', [
      enabled ? 1 : 0,
      id,
    ]);
    if (r.changes === 0) throw new CommandError(404, `curtailment ${id}: not found`);
    await deps.audit.record({
      actor,
      action: enabled ? 'curtailment.enable' : 'curtailment.disable',
      subject: `curtailment ${id}`,
      details: { scheduleId: id },
    });
  });
}

export async function describeSchedules(db: Db) {
  const rows = await db.all<ScheduleRow>('SELECT * FROM curtailment_schedules ORDER BY created_at, id');
  const out = [];
  for (const r of rows) {
    const miners = await db.all<{ miner_id: string; state: string; changed_at: number }>(
      'SELECT miner_id, state, changed_at FROM curtailment_miners WHERE schedule_id = ? ORDER BY miner_id',
      [r.id],
    );
    out.push({
      id: r.id,
      enabled: r.enabled === 1,
      lastStepAt: r.last_step_at,
      createdBy: r.created_by,
      profile: r.profile_name,
      applicationId: r.application_id,
      schedule: JSON.parse(r.schedule_json) as Schedule,
      miners: miners.map((m) => ({ minerId: m.miner_id, state: m.state, changedAt: m.changed_at })),
    });
  }
  return out;
}

/** One schedule's step: decide, pick the next miners of the ramp, send, record, audit. */
async function stepSchedule(deps: BulkDeps, row: ScheduleRow, now: number): Promise<void> {
  const { db } = deps;
  const schedule = ScheduleSchema.parse(JSON.parse(row.schedule_json));
  const site = await db.get<{ timezone: string; tariff_json: string }>(
    'SELECT timezone, tariff_json FROM sites WHERE id = ?',
    [row.site_id],
  );
  if (!site) return;
  let tariff: Tariff | null = null;
  try {
    tariff = parseTariff(site.tariff_json, row.site_id);
  } catch {
    // An unusable tariff never curtails on price; windows still work.
  }
  const selected = (await selectMiners(db, { ...schedule.selector, siteId: row.site_id })).filter(
    (m) => m.agentId && m.minerKey,
  );
  const states = new Map(
    (
      await db.all<{ miner_id: string; state: string }>(
        'SELECT miner_id, state FROM curtailment_miners WHERE schedule_id = ?',
        [row.id],
      )
    ).map((s) => [s.miner_id, s.state]),
  );
  const want = row.enabled === 1 && curtailWanted(schedule.trigger, now, site.timezone || 'UTC', tariff);
  const plan = planStep({
    want,
    miners: selected.map((m) => ({ minerId: m.minerId, curtailed: states.get(m.minerId) === 'curtailed' })),
    stepSize: schedule.stepSize,
    stepEveryMs: schedule.stepEveryS * 1000,
    lastStepAt: row.last_step_at,
    now,
  });
  const changed = [...plan.curtail, ...plan.restore];
  if (changed.length === 0) return;
  const byId = new Map(selected.map((m) => [m.minerId, m]));
  const sent: { minerId: string; commandId: string | null; error?: string }[] = [];
  for (const minerId of changed) {
    const m = byId.get(minerId)!;
    const curtail = plan.curtail.includes(minerId);
    const a = schedule.action;
    const op =
      a.kind === 'sleep'
        ? { op: curtail ? 'sleep' : 'wake' }
        : { op: 'power.target', watts: curtail ? a.watts : a.restoreWatts };
    let commandId: string | null = null;
    try {
      const issued = await deps.commands.issueTracked({
        actor: SYSTEM,
        agentId: m.agentId!,
        action: CommandActionSchema.parse({ ...op, target: { kind: 'miner', minerKey: m.minerKey } }),
        issuer: `curtailment:${row.id}`,
        minerId,
      });
      commandId = issued.id;
      sent.push({ minerId, commandId });
    } catch (err) {
      sent.push({ minerId, commandId, error: (err as Error).message });
    }
    await db.run(
      `INSERT INTO curtailment_miners (schedule_id, miner_id, state, command_id, changed_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (schedule_id, miner_id) DO UPDATE SET state = excluded.state, command_id = excluded.command_id,
         changed_at = excluded.changed_at`,
      [row.id, minerId, curtail ? 'curtailed' : 'restored', commandId, now],
    );
  }
  await db.tx(async (tx) => {
    await tx.run('UPDATE curtailment_schedules SET last_step_at = ? WHERE id = ?', [now, row.id]);
    await deps.audit.record({
      actor: SYSTEM,
      action: want ? 'curtailment.curtail' : 'curtailment.restore',
      subject: `curtailment ${row.id}: ${schedule.name}`,
      details: { scheduleId: row.id, at: now, miners: sent },
    });
  });
}

/** The curtailment job's tick: every schedule that is enabled, or still has miners to restore. */
export async function tickCurtailment(deps: BulkDeps, now: number): Promise<void> {
  const rows = await deps.db.all<ScheduleRow>(
    `SELECT * FROM curtailment_schedules s WHERE enabled = 1
       OR EXISTS (SELECT 1 FROM curtailment_miners cm WHERE cm.schedule_id = s.id AND cm.state = 'curtailed')
     ORDER BY created_at, id`,
  );
  for (const row of rows) await stepSchedule(deps, row, now);
}
