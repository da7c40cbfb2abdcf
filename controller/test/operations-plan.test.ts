import { describe, expect, it } from 'vitest';
import { retryRefusal } from '../src/commands/tracking.js';
import type { Tariff } from '../src/energy/tariff.js';
import { batchOf, itemOutcome } from '../src/operations/bulk-plan.js';
import { curtailWanted, inWindow, planStep } from '../src/operations/curtailment/plan.js';
import { capabilityRefusal, planProfileApply, rollbackActions } from '../src/operations/profiles/plan.js';
import { OperatingProfileSchema } from '../src/operations/profiles/schema.js';
import { verifyStep } from '../src/operations/profiles/verify.js';
import type { SelectedMiner } from '../src/operations/selector.js';

describe('curtailment planning', () => {
  it.each([
    ['22:00', '06:00', 23 * 60, true],
    ['22:00', '06:00', 5 * 60 + 59, true],
    ['22:00', '06:00', 6 * 60, false],
    ['08:00', '10:00', 8 * 60, true],
    ['08:00', '10:00', 10 * 60, false],
    ['08:00', '08:00', 8 * 60, false],
  ])('window %s-%s at minute %i: %s', (from, to, minute, want) => {
    expect(inWindow(minute, { from, to })).toBe(want);
  });

  // 2026-01-15 12:30 UTC is 20:30 in Sichuan (UTC+8) and 17:30 in Pavlodar (UTC+5).
  const AT = Date.UTC(2026, 0, 15, 12, 30);
  const tariff: Tariff = {
    currency: 'USD',
    perKwh: Array.from({ length: 12 }, () =>
      Array.from({ length: 24 }, (_, h) => (h >= 18 && h < 22 ? 0.08 : 0.03)),
    ),
  };
  it.each([
    [
      'windows in site-local time (Sichuan)',
      { kind: 'windows', windows: [{ from: '20:00', to: '21:00' }] },
      'Asia/Shanghai',
      true,
    ],
    [
      'the same window is not yet open in Pavlodar',
      { kind: 'windows', windows: [{ from: '20:00', to: '21:00' }] },
      'Asia/Almaty',
      false,
    ],
    [
      'tariff above the threshold at local 20:30',
      { kind: 'tariff', abovePerKwh: 0.05 },
      'Asia/Shanghai',
      true,
    ],
    [
      'tariff equal to the threshold does not curtail',
      { kind: 'tariff', abovePerKwh: 0.08 },
      'Asia/Shanghai',
      false,
    ],
  ] as const)('%s', (_name, trigger, tz, want) => {
    expect(curtailWanted(trigger as never, AT, tz, tariff)).toBe(want);
  });
  it('without a tariff, price never curtails', () => {
    expect(curtailWanted({ kind: 'tariff', abovePerKwh: 0 }, AT, 'UTC', null)).toBe(false);
  });

  const miners = (curtailed: boolean[]) => curtailed.map((c, i) => ({ minerId: `m${i}`, curtailed: c }));
  it.each([
    [
      'first step curtails the first N',
      true,
      [false, false, false, false, false],
      null,
      1000,
      { curtail: ['m0', 'm1'], restore: [] },
    ],
    [
      'next step the next N',
      true,
      [true, true, false, false, false],
      0,
      60_000,
      { curtail: ['m2', 'm3'], restore: [] },
    ],
    [
      'not before the step interval',
      true,
      [true, true, false, false, false],
      0,
      59_999,
      { curtail: [], restore: [] },
    ],
    [
      'restore goes in the same order',
      false,
      [true, true, true, false, false],
      0,
      60_000,
      { curtail: [], restore: ['m0', 'm1'] },
    ],
    ['nothing left to do', true, [true, true, true, true, true], 0, 60_000, { curtail: [], restore: [] }],
  ] as const)('ramp: %s', (_name, want, state, lastStepAt, now, expected) => {
    expect(
      planStep({ want, miners: miners([...state]), stepSize: 2, stepEveryMs: 60_000, lastStepAt, now }),
    ).toEqual(expected);
  });
});

describe('bulk planning and command retries', () => {
  it.each([
    [0, 2, 0],
    [1, 2, 0],
    [2, 2, 1],
    [9, 10, 0],
    [10, 10, 1],
  ])('miner #%i with batches of %i is in batch %i', (i, size, batch) => {
    expect(batchOf(i, size)).toBe(batch);
  });
  it.each([
    ['all succeeded', ['succeeded', 'succeeded'], 'succeeded'],
    ['one still out', ['succeeded', 'sent'], 'sent'],
    ['one refused', ['succeeded', 'refused'], 'failed'],
    ['one expired', ['expired'], 'failed'],
  ])('item outcome: %s', (_n, states, want) => {
    expect(itemOutcome(states.map((state) => ({ state, result_json: null }))).state).toBe(want);
  });
  it.each([
    ['expired reboot', { op: 'reboot', state: 'expired', result_status: null }, null, null],
    ['unpublished sleep', { op: 'sleep', state: 'failed', result_status: null }, null, null],
    [
      'expired pool.set (re-requested, fresh approval)',
      { op: 'pool.set', state: 'expired', result_status: null },
      null,
      null,
    ],
    [
      'expired outlet.cycle',
      { op: 'outlet.cycle', state: 'expired', result_status: null },
      null,
      /not safe to repeat/,
    ],
    ['answered reboot', { op: 'reboot', state: 'failed', result_status: 'failed' }, null, /agent answered/],
    [
      'still in flight',
      { op: 'reboot', state: 'sent', result_status: null },
      null,
      /only a command that expired/,
    ],
    [
      'retried already',
      { op: 'reboot', state: 'expired', result_status: null },
      'c2',
      /already retried as c2/,
    ],
  ] as const)('retry: %s', (_n, row, retried, want) => {
    const r = retryRefusal({ id: 'c1', ...row }, retried);
    if (want === null) expect(r).toBeNull();
    else expect(r).toMatch(want);
  });
});

describe('operating profiles', () => {
  const profile = OperatingProfileSchema.parse({
    name: 'kz-winter',
    presets: [
      { model: 'Antminer S19 Pro', powerTargetW: 2600 },
      { model: 'Whatsminer M30S+', powerMode: 'low', expectPowerW: 2720 },
    ],
  });
  const miner = (id: string, profileId: string | null, model: string, agent = true): SelectedMiner => ({
    minerId: id,
    model,
    siteId: 's',
    containerId: 'c',
    agentId: agent ? 'a' : null,
    minerKey: agent ? id : null,
    profile: profileId,
    serial: `SN-${id}`,
    rack: 'R1',
    slot: 'S2',
  });
  it.each([
    ['braiins-os', { powerTargetW: 2600 }, false, null],
    ['antminer-stock', { powerTargetW: 2600 }, false, /antminer-stock cannot do power\.target/],
    ['whatsminer-v3', { powerMode: 'low', expectPowerW: 1 }, false, null],
    ['braiins-os', { powerMode: 'low', expectPowerW: 1 }, false, /cannot do power\.mode/],
    ['whatsminer-v2', { fanMode: 'max' }, false, /cannot do fan mode/],
    ['cgminer', { powerTargetW: 2600 }, true, /power\.target, sleep\/wake/],
    ['nonesuch', { powerTargetW: 2600 }, false, /unknown/],
  ] as const)('%s with %j (windows: %s)', (fw, preset, windows, want) => {
    const r = capabilityRefusal(fw, { model: '*', ...preset } as never, windows);
    if (want === null) expect(r).toBeNull();
    else expect(r).toMatch(want);
  });

  it('refuses up front per miner and plans actions, verification and what to restore', () => {
    const items = planProfileApply(
      profile,
      [
        miner('bos', 'braiins-os', 'Antminer S19 Pro'),
        miner('stock', 'antminer-stock', 'Antminer S19 Pro'),
        miner('wm', 'whatsminer-v3', 'Whatsminer M30S+'),
        miner('avalon', 'avalon', 'Avalon A1566'),
        miner('lost', 'braiins-os', 'Antminer S19 Pro', false),
      ],
      new Map([['bos', { powerLimitW: 3250, powerMode: null }]]),
    );
    expect(items.map((i) => [i.miner.minerId, i.refusal, i.actions])).toEqual([
      ['bos', null, [{ op: 'power.target', watts: 2600 }]],
      ['stock', 'SN-stock (Antminer S19 Pro, c R1/S2): firmware antminer-stock cannot do power.target', []],
      ['wm', null, [{ op: 'power.mode', mode: 'low' }]],
      [
        'avalon',
        'SN-avalon (Avalon A1566, c R1/S2): profile kz-winter has no preset for model Avalon A1566',
        [],
      ],
      ['lost', 'SN-lost (Antminer S19 Pro, c R1/S2): no agent polls it', []],
    ]);
    expect(items[0]!.verify).toEqual({
      settleS: 600,
      tolerancePct: 10,
      expectPowerW: 2600,
      expectPowerLimitW: 2600,
    });
    expect(items[0]!.previous).toEqual({ powerLimitW: 3250, powerMode: null });
    expect(items[2]!.verify?.expectPowerLimitW).toBeNull();
  });

  it.each([
    [
      'power limit restored',
      [{ op: 'power.target', watts: 2600 }],
      { powerLimitW: 3250, powerMode: null },
      [{ op: 'power.target', watts: 3250 }],
      [],
    ],
    [
      'unknown limit left alone',
      [{ op: 'power.target', watts: 2600 }],
      { powerLimitW: null, powerMode: null },
      [],
      ['power limit'],
    ],
    [
      'mode never set: factory normal',
      [{ op: 'power.mode', mode: 'low' }],
      { powerLimitW: null, powerMode: null },
      [{ op: 'power.mode', mode: 'normal' }],
      [],
    ],
    [
      'mode we set before',
      [{ op: 'power.mode', mode: 'low' }],
      { powerLimitW: null, powerMode: 'high' },
      [{ op: 'power.mode', mode: 'high' }],
      [],
    ],
  ] as const)('rollback: %s', (_n, applied, previous, actions, unknown) => {
    expect(rollbackActions(applied as never, previous as never)).toEqual({ actions, unknown });
  });

  const spec = { settleS: 600, tolerancePct: 10, expectPowerW: 2600, expectPowerLimitW: 2600 };
  const sample = (at: number, powerW: number | null, powerLimitW: number | null = 2600) => ({
    at,
    powerW,
    powerLimitW,
    state: 'hashing',
  });
  it.each([
    ['before the settle time', sample(700_000, 2610), 500_000, 'pending'],
    ['no settled sample yet', sample(100_000, 2610), 700_000, 'pending'],
    ['within tolerance', sample(700_000, 2610), 700_000, 'verified'],
    ['power too high', sample(700_000, 3200), 700_000, 'failed'],
    ['limit not taken', sample(700_000, 2610, 3250), 700_000, 'failed'],
    ['no power reported', sample(700_000, null), 700_000, 'failed'],
    ['silent for two settle periods', sample(100_000, 2610), 1_300_000, 'failed'],
  ] as const)('verify: %s', (_n, latest, now, want) => {
    expect(verifyStep(spec, 100_000, latest, now).state).toBe(want);
  });
});
