import type { Command } from '@hashfleet/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationsJobs } from '../src/operations/index.js';
import { planProfileApply } from '../src/operations/profiles/plan.js';
import { OperatingProfileSchema } from '../src/operations/profiles/schema.js';
import { planSleepApply, planSleepRemoval } from '../src/operations/profiles/sleep-plan.js';
import { verifyStep } from '../src/operations/profiles/verify.js';
import type { SelectedMiner } from '../src/operations/selector.js';
import { fleetApp } from './operations-fixtures.js';

const NIGHT = [{ from: '22:00', to: '06:00' }];
const EARLY = [{ from: '20:00', to: '04:00' }];
const s1 = { id: 's1', siteId: 'sichuan', minerIds: ['m1', 'm2'], windows: NIGHT };
const s2 = { id: 's2', siteId: 'kz', minerIds: ['k1'], windows: NIGHT };
const at = (siteId: string, ...ids: string[]) => ids.map((minerId) => ({ minerId, siteId }));

describe('profile sleep windows: planning the schedules', () => {
  it.each([
    [
      'a first application creates one schedule per site',
      NIGHT,
      [...at('sichuan', 'm1', 'm2'), ...at('kz', 'k1')],
      [],
      {
        create: [
          { siteId: 'sichuan', minerIds: ['m1', 'm2'], windows: NIGHT },
          { siteId: 'kz', minerIds: ['k1'], windows: NIGHT },
        ],
        update: [],
        remove: [],
        unchanged: [],
      },
    ],
    [
      're-applying to the same miners changes nothing',
      NIGHT,
      at('sichuan', 'm2', 'm1'),
      [s1, s2],
      { create: [], update: [], remove: [], unchanged: ['s1'] },
    ],
    [
      'new miners join their site schedule',
      NIGHT,
      at('sichuan', 'm2', 'm3'),
      [s1],
      {
        create: [],
        update: [{ id: 's1', minerIds: ['m1', 'm2', 'm3'], windows: NIGHT }],
        remove: [],
        unchanged: [],
      },
    ],
    [
      'changed windows update the schedule',
      EARLY,
      at('sichuan', 'm1'),
      [s1],
      {
        create: [],
        update: [{ id: 's1', minerIds: ['m1', 'm2'], windows: EARLY }],
        remove: [],
        unchanged: [],
      },
    ],
    [
      'a profile that lost its windows takes its miners out',
      [],
      at('sichuan', 'm1'),
      [s1, s2],
      { create: [], update: [{ id: 's1', minerIds: ['m2'], windows: NIGHT }], remove: [], unchanged: [] },
    ],
    [
      'nothing applied (all refused) changes nothing',
      NIGHT,
      [],
      [s1],
      { create: [], update: [], remove: [], unchanged: [] },
    ],
  ] as const)('%s', (_name, windows, applied, existing, want) => {
    expect(planSleepApply([...windows], [...applied], [...existing])).toEqual(want);
  });

  it.each([
    ['removing every miner removes the schedule', ['m1', 'm2'], { update: [], remove: ['s1'] }],
    [
      'removing some keeps the rest',
      ['m1'],
      { update: [{ id: 's1', minerIds: ['m2'], windows: NIGHT }], remove: [] },
    ],
    ['miners not in any schedule change nothing', ['x9'], { update: [], remove: [] }],
  ] as const)('rollback: %s', (_name, ids, want) => {
    expect(planSleepRemoval([...ids], [s1, s2])).toEqual({ create: [], unchanged: [], ...want });
  });
});

describe('profile sleep windows: what the application sends and how it is verified', () => {
  const miner: SelectedMiner = {
    minerId: 'm1',
    model: 'Antminer S19 Pro',
    siteId: 'sichuan',
    containerId: 'sc-c01',
    agentId: 'sc-c01',
    minerKey: 'k1',
    profile: 'braiins-os',
  };
  const profile = (sleepWindows: { from: string; to: string }[]) =>
    OperatingProfileSchema.parse({ name: 'p', presets: [{ model: '*', powerTargetW: 3000 }], sleepWindows });
  it.each([
    ['with windows, an asleep miner is left to its schedule', NIGHT, true, ['power.target']],
    [
      'without windows, a miner the old windows put to sleep is woken first',
      [],
      true,
      ['wake', 'power.target'],
    ],
    ['without windows, an awake miner gets only its settings', [], false, ['power.target']],
  ] as const)('%s', (_name, windows, asleep, ops) => {
    const [item] = planProfileApply(profile([...windows]), [miner], new Map(), new Set(asleep ? ['m1'] : []));
    expect(item!.actions.map((a) => a.op)).toEqual(ops);
  });

  const spec = { settleS: 60, tolerancePct: 10, expectPowerW: 3000, expectPowerLimitW: null };
  const asleepSample = { at: 100_000, powerW: 15, powerLimitW: null, state: 'sleeping' };
  it.each([
    ['a profile with windows waits for a miner asleep in its window', { ...spec, maySleep: true }, 'pending'],
    ['a profile without windows fails a sleeping miner', spec, 'failed'],
  ] as const)('%s', (_name, s, want) => {
    expect(verifyStep(s, 0, asleepSample, 200_000).state).toBe(want);
  });
});

// 2026-01-15 12:00 UTC; the fixture's site has no time zone configured, so it is UTC.
const NOON = Date.UTC(2026, 0, 15, 12, 0);
const H = 3_600_000;
let clock = NOON;

describe('profile sleep windows: the curtailment job on a manual clock', () => {
  let t: Awaited<ReturnType<typeof fleetApp>>;
  let jobs: ReturnType<typeof operationsJobs>;
  const run = (name: string, now: number) => jobs.find((j) => j.name === name)!.run(now);
  const sent = () =>
    t.published.map((p) => {
      const c = JSON.parse(p.payload) as Command;
      const target = c.action.target;
      return `${c.action.op} ${'minerKey' in target ? target.minerKey : ''}`;
    });
  const sentSince = (n: number) => sent().slice(n);
  const post = (url: string, body: unknown) =>
    t.app.inject({ method: 'POST', url, payload: body as object, headers: t.auth('operator') });
  const schedules = async () =>
    (await t.app.inject({ url: '/api/v1/curtailment', headers: t.auth('operator') })).json() as {
      id: string;
      profile: string | null;
      applicationId: string | null;
      schedule: { selector: { minerIds: string[] }; stepSize: number };
      miners: { minerId: string; state: string }[];
    }[];
  const auditActions = async (prefix: string) =>
    (
      await t.app.hashfleet.db.all<{ action: string }>(
        'SELECT action FROM audit_log WHERE action LIKE ? ORDER BY at, rowid',
        [`${prefix}%`],
      )
    ).map((a) => a.action);

  beforeAll(async () => {
    t = await fleetApp(
      [
        { key: 'B1', profile: 'braiins-os', model: 'Antminer S19 Pro', powerLimitW: 3250 },
        { key: 'B2', profile: 'braiins-os', model: 'Antminer S19 Pro', powerLimitW: 3250 },
        { key: 'B3', profile: 'braiins-os', model: 'Antminer S19 Pro', powerLimitW: 3250 },
        // Stock Antminer firmware cannot set a power target: refused, and never scheduled.
        { key: 'A1', profile: 'antminer-stock', model: 'Antminer S19 Pro' },
      ],
      () => clock,
    );
    jobs = operationsJobs(t.app.hashfleet);
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/operating-profiles/night-sleep',
      headers: t.auth('operator'),
      payload: {
        name: 'night-sleep',
        presets: [{ model: '*', powerTargetW: 3000 }],
        sleepWindows: NIGHT,
        settleS: 60,
      },
    });
    expect(put.statusCode, put.body).toBe(200);
  });
  afterAll(async () => t.close());

  let applicationId = '';
  let scheduleId = '';

  it("a preview shows each miner's actions and the incapable firmware's refusal, and sends and creates nothing", async () => {
    const res = await post('/api/v1/operating-profiles/night-sleep/preview', {
      selector: { containerId: 'sc-c01' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const rows = res.json() as { minerId: string; actions: { op: string }[]; refusal: string | null }[];
    expect(rows.map((r) => [r.minerId, r.actions.map((a) => a.op), r.refusal])).toEqual([
      [t.minerIdOf('B1'), ['power.target'], null],
      [t.minerIdOf('B2'), ['power.target'], null],
      [t.minerIdOf('B3'), ['power.target'], null],
      [
        t.minerIdOf('A1'),
        [],
        // Named as a person finds it (issue 19): asset code, model, container and rack/slot, no id.
        'SC-C01-R01-04 (Antminer S19 Pro, sc-c01 R01/04): firmware antminer-stock cannot do power.target',
      ],
    ]);
    // Each row names its miner for the person confirming (issue 19 item 2).
    expect(res.json().map((r: { serial: string; containerId: string }) => [r.serial, r.containerId])).toEqual(
      [
        ['B1', 'sc-c01'],
        ['B2', 'sc-c01'],
        ['B3', 'sc-c01'],
        ['A1', 'sc-c01'],
      ],
    );
    expect(t.published).toEqual([]);
    expect(await schedules()).toEqual([]);
    const jobsNow = await t.app.inject({ url: '/api/v1/commands/bulk', headers: t.auth('operator') });
    expect(jobsNow.json()).toEqual([]);
  });

  it('applying creates one schedule for the miners not refused, linked to the application, audited', async () => {
    const res = await post('/api/v1/operating-profiles/night-sleep/apply', {
      selector: { containerId: 'sc-c01' },
      batchSize: 2,
      pauseS: 60,
    });
    expect(res.statusCode, res.body).toBe(202);
    applicationId = res.json().id;
    const listed = await t.app.inject({
      url: '/api/v1/commands/bulk?limit=5',
      headers: t.auth('technician'),
    });
    expect(listed.json().map((j: { id: string; kind: string }) => [j.id, j.kind])).toEqual([
      [applicationId, 'profile'],
    ]);
    const list = await schedules();
    expect(list).toHaveLength(1);
    const s = list[0]!;
    scheduleId = s.id;
    expect(s.profile).toBe('night-sleep');
    expect(s.applicationId).toBe(applicationId);
    expect(s.schedule.selector.minerIds).toEqual(['B1', 'B2', 'B3'].map(t.minerIdOf));
    expect(s.schedule.stepSize).toBe(2);
    expect(await auditActions('curtailment.')).toEqual(['curtailment.create']);
  });

  it('outside the window nothing sleeps; when it opens the miners sleep two per minute; when it closes they wake the same way', async () => {
    await run('bulk-commands', NOON);
    const before = t.published.length;
    await run('curtailment', NOON);
    expect(sentSince(before)).toEqual([]);
    const open = NOON + 10 * H; // 22:00 UTC
    await run('curtailment', open);
    expect(sentSince(before)).toEqual(['sleep B1', 'sleep B2']);
    await run('curtailment', open + 59_000);
    expect(sentSince(before)).toHaveLength(2);
    await run('curtailment', open + 60_000);
    expect(sentSince(before)).toEqual(['sleep B1', 'sleep B2', 'sleep B3']);
    const woke = t.published.length;
    const close = NOON + 18 * H; // 06:00 UTC next day
    await run('curtailment', close - 60_000);
    expect(sentSince(woke)).toEqual([]);
    await run('curtailment', close);
    expect(sentSince(woke)).toEqual(['wake B1', 'wake B2']);
    await run('curtailment', close + 60_000);
    expect(sentSince(woke)).toEqual(['wake B1', 'wake B2', 'wake B3']);
    expect(sent().some((c) => c.endsWith(' A1'))).toBe(false);
  });

  it('re-applying the profile keeps the one schedule, relinked to the new application', async () => {
    clock = NOON + 20 * H;
    const res = await post('/api/v1/operating-profiles/night-sleep/apply', {
      selector: { containerId: 'sc-c01' },
      batchSize: 2,
      pauseS: 60,
    });
    expect(res.statusCode, res.body).toBe(202);
    const list = await schedules();
    expect(list.map((s) => s.id)).toEqual([scheduleId]);
    expect(list[0]!.schedule.selector.minerIds).toHaveLength(3);
    expect(list[0]!.applicationId).toBe(res.json().id);
    applicationId = res.json().id;
    await run('bulk-commands', clock);
    await run('bulk-commands', clock + 60_000);
  });

  it('rolling back mid-window wakes the sleeping miners through the rollback job and removes the schedule', async () => {
    const open = NOON + 34 * H; // 22:00 UTC the next night
    clock = open;
    await run('curtailment', open);
    await run('curtailment', open + 60_000);
    const asleep = (await schedules())[0]!.miners.filter((m) => m.state === 'curtailed');
    expect(asleep).toHaveLength(3);
    const before = t.published.length;
    clock = open + 120_000;
    const res = await post(`/api/v1/operating-profiles/applications/${applicationId}/rollback`, {
      batchSize: 3,
      pauseS: 0,
    });
    expect(res.statusCode, res.body).toBe(202);
    expect(await schedules()).toEqual([]);
    await run('bulk-commands', clock);
    // Within a batch the order of miners is the bulk job's; per miner, the wake comes first.
    const rolled = sentSince(before);
    for (const key of ['B1', 'B2', 'B3'])
      expect(rolled.filter((c) => c.endsWith(` ${key}`))).toEqual([`wake ${key}`, `power.target ${key}`]);
    expect(rolled).toHaveLength(6);
    // The window is still open, but no schedule puts them back to sleep.
    const after = t.published.length;
    await run('curtailment', clock + 10 * 60_000);
    expect(sentSince(after)).toEqual([]);
    expect(await auditActions('curtailment.')).toEqual([
      'curtailment.create',
      'curtailment.curtail',
      'curtailment.curtail',
      'curtailment.restore',
      'curtailment.restore',
      'curtailment.update',
      'curtailment.curtail',
      'curtailment.curtail',
      'curtailment.remove',
    ]);
  });
});
