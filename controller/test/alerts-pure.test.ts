import { describe, expect, it } from 'vitest';
import { judge, median, pausedReason, poolKey, workerPattern } from '../src/alerts/evaluate.js';
import { step, type Tracking } from '../src/alerts/machine.js';
import { notificationFor } from '../src/alerts/notify.js';
import { indexRules, type Rule, RuleInputSchema, ruleFromInput } from '../src/alerts/rules.js';
import { backoffMs, DEFAULT_ALERT_SETTINGS } from '../src/alerts/settings.js';
import type { LatestSample, MinerSnapshot } from '../src/alerts/snapshot.js';

const rule = (id: string, over: Partial<Rule>): Rule => ({
  ...ruleFromInput(id, RuleInputSchema.parse({ kind: 'chip_overtemp', scope: 'global' }), 'test', 0),
  ...over,
});

describe('rule resolution: the most specific scope wins (container, site, model, global)', () => {
  const rules = indexRules([
    rule('g', { scope: 'global', scopeId: '' }),
    rule('m', { scope: 'model', scopeId: 'Antminer S19 Pro' }),
    rule('s', { scope: 'site', scopeId: 'sichuan' }),
    rule('c', { scope: 'container', scopeId: 'sc-c01' }),
    rule('c-off', { scope: 'container', scopeId: 'sc-c02', enabled: false }),
    rule('other-kind', { kind: 'hashrate_low', scope: 'container', scopeId: 'kz-c01' }),
  ]);
  const cases: [
    string,
    { siteId: string | null; containerId: string | null; model: string | null },
    string | null,
  ][] = [
    [
      'container rule beats site and model',
      { siteId: 'sichuan', containerId: 'sc-c01', model: 'Antminer S19 Pro' },
      'c',
    ],
    ['site rule beats model', { siteId: 'sichuan', containerId: 'sc-c09', model: 'Antminer S19 Pro' }, 's'],
    [
      'model rule beats global',
      { siteId: 'kazakhstan', containerId: 'kz-c01', model: 'Antminer S19 Pro' },
      'm',
    ],
    [
      'global when nothing specific',
      { siteId: 'kazakhstan', containerId: 'kz-c01', model: 'Whatsminer M30S' },
      'g',
    ],
    ['unplaced miner gets the global rule', { siteId: null, containerId: null, model: null }, 'g'],
    [
      'a disabled specific rule still wins (switches the kind off there)',
      { siteId: 'sichuan', containerId: 'sc-c02', model: null },
      'c-off',
    ],
  ];
  it.each(cases)('%s', (_name, at, expected) => {
    expect(rules.resolve('chip_overtemp', at)?.id ?? null).toBe(expected);
  });
  it('a rule of another kind never answers', () => {
    expect(
      indexRules([rule('x', { kind: 'hashrate_low' })]).resolve('chip_overtemp', {
        siteId: null,
        containerId: null,
        model: null,
      }),
    ).toBeNull();
  });
});

describe('rule input', () => {
  it('fills omitted fields from the kind and canonicalises model names', () => {
    const r = ruleFromInput(
      'r1',
      RuleInputSchema.parse({ kind: 'hashrate_low', scope: 'model', scopeId: 'S19 Pro' }),
      'op',
      5,
    );
    expect(r).toMatchObject({
      scopeId: 'Antminer S19 Pro',
      threshold: 0.8,
      clearThreshold: 0.9,
      forPolls: 3,
      severity: 'warning',
    });
    expect(r.params).toEqual({ windowMs: 600_000, minSamples: 3 });
  });
  it.each([
    [
      'global with a scope id',
      { kind: 'offline', scope: 'global', scopeId: 'x' },
      'scopeId is null exactly for the global scope',
    ],
    ['site without one', { kind: 'offline', scope: 'site' }, 'scopeId is null exactly for the global scope'],
    [
      'unknown model',
      { kind: 'offline', scope: 'model', scopeId: 'Antminer Z99' },
      'model "Antminer Z99" is not in the model table',
    ],
    [
      'clear line on the wrong side',
      { kind: 'chip_overtemp', scope: 'global', threshold: 90, clearThreshold: 95 },
      'clearThreshold must be on the other side of 90',
    ],
    ['unknown param', { kind: 'offline', scope: 'global', params: { nope: 1 } }, 'nope'],
  ])('refuses %s, saying why', (_n, input, message) => {
    const r = RuleInputSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message).join('; ')).toContain(message);
  });
});

describe('judge: threshold and clear line in the kind direction', () => {
  it.each([
    ['above', 96, 90, 85, 'breach'],
    ['above', 90, 90, 85, 'breach'],
    ['above', 88, 90, 85, 'hold'],
    ['above', 85, 90, 85, 'hold'],
    ['above', 84.9, 90, 85, 'clear'],
    ['below', 0.5, 0.8, 0.9, 'breach'],
    ['below', 0.85, 0.8, 0.9, 'hold'],
    ['below', 0.95, 0.8, 0.9, 'clear'],
  ] as const)('%s: %d vs %d / clear %d -> %s', (dir, v, t, c, expected) => {
    expect(judge(dir, v, t, c)).toBe(expected);
  });
});

describe('alert state machine', () => {
  const r = { forPolls: 2, forMs: 0, clearPolls: 2 };
  const T = (breaches: number, clears = 0, breachSince: number | null = breaches ? 0 : null): Tracking => ({
    breaches,
    breachSince,
    clears,
  });
  const cases: [
    string,
    Tracking | undefined,
    boolean,
    Parameters<typeof step>[2],
    typeof r,
    number,
    ReturnType<typeof step>,
  ][] = [
    ['first breach only counts', undefined, false, 'breach', r, 0, { tracking: T(1), transition: null }],
    ['second consecutive breach opens', T(1), false, 'breach', r, 30, { tracking: T(2), transition: 'open' }],
    ['breach while open updates', T(2), true, 'breach', r, 60, { tracking: T(3), transition: 'update' }],
    [
      'for-duration not yet reached holds off',
      T(5),
      false,
      'breach',
      { ...r, forMs: 120_000 },
      60_000,
      { tracking: T(6), transition: null },
    ],
    [
      'for-duration reached opens',
      T(5),
      false,
      'breach',
      { ...r, forMs: 120_000 },
      120_000,
      { tracking: T(6), transition: 'open' },
    ],
    [
      'a pending breach that drops into the band starts over',
      T(1),
      false,
      'hold',
      r,
      30,
      { tracking: null, transition: null },
    ],
    [
      'open alert in the band stays open and its clear count restarts',
      T(0, 1, null),
      true,
      'hold',
      r,
      30,
      { tracking: T(0, 0, null), transition: 'update' },
    ],
    [
      'first clear of an open alert does not resolve',
      T(3),
      true,
      'clear',
      r,
      30,
      { tracking: T(0, 1, null), transition: null },
    ],
    ['second clear resolves', T(0, 1, null), true, 'clear', r, 60, { tracking: null, transition: 'resolve' }],
    ['clear with nothing open forgets', T(1), false, 'clear', r, 30, { tracking: null, transition: null }],
    [
      'suppressed (paused) resolves at once',
      T(4),
      true,
      'suppressed',
      r,
      30,
      { tracking: null, transition: 'resolve' },
    ],
    [
      'suppressed with nothing open forgets',
      T(1),
      false,
      'suppressed',
      r,
      30,
      { tracking: null, transition: null },
    ],
    ['unknown keeps everything', T(1), true, 'unknown', r, 30, { tracking: T(1), transition: null }],
    ['rule gone resolves', T(2), true, undefined, r, 30, { tracking: null, transition: 'resolve' }],
  ];
  it.each(cases)('%s', (_n, prev, open, status, rules, now, expected) => {
    expect(step(prev, open, status, rules, now)).toEqual(expected);
  });
});

describe('notifications: flap budget and silences', () => {
  it.each([
    ['first open is sent', 'open', 1, false, true, 'opened'],
    ['open within budget is sent', 'open', 3, false, true, 'opened'],
    ['the open crossing the budget says flapping, once', 'open', 4, false, true, 'flapping'],
    ['later opens are held', 'open', 5, false, true, null],
    ['resolve of a notified open is sent', 'resolve', 9, false, true, 'resolved'],
    ['resolve of a held open is held', 'resolve', 9, false, false, null],
    ['silenced subject is held', 'open', 1, true, true, null],
  ] as const)('%s', (_n, transition, opens, silenced, notified, expected) => {
    expect(notificationFor(transition, opens, 3, silenced, notified)).toBe(expected);
  });
  it('back-off doubles from the base and is capped', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, DEFAULT_ALERT_SETTINGS))).toEqual([
      5_000, 10_000, 20_000, 40_000,
    ]);
    expect(backoffMs(30, DEFAULT_ALERT_SETTINGS)).toBe(600_000);
  });
});

describe('helpers', () => {
  it('median is the middle value, the mean of the two middle ones for even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([100, 100, 100, 10])).toBe(100);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  it.each([
    ['hashshare.*', 'hashshare.sc1', true],
    ['hashshare.*', 'hashsharexsc1', false],
    ['hashshare.*', 'thief.hashshare.sc1', false],
    ['hashshare.sc?', 'hashshare.sc?', true],
    ['hashshare.sc?', 'hashshare.sc1', false],
    ['*.sc1', 'op.sc1', true],
    ['exact', 'exact2', false],
  ])('worker pattern %s matches %s: %s (only * is special, the whole name must match)', (p, w, ok) => {
    expect(workerPattern(p).test(w)).toBe(ok);
  });
  it('pool URLs compare by host:port only', () => {
    expect(poolKey('stratum+tcp://Pool.Example:3333/')).toBe(poolKey('pool.example:3333'));
    expect(poolKey('stratum+tcp://btc.hijack.example:3333')).not.toBe(poolKey('pool.example:3333'));
  });
  const latest = (state: string): LatestSample => ({
    at: 1,
    receivedAt: 1,
    online: state !== 'error',
    error: null,
    state,
    agentId: null,
    hashrateThs: state === 'hashing' ? 100 : 0,
    expectedThs: 100,
    chipTempMaxC: null,
    boardTempMaxC: null,
    fansRpm: [],
    boards: [],
    powerW: null,
    powerProvenance: null,
    hardwareErrors: null,
    uptimeS: 86_400,
    pool: null,
  });
  const miner = (over: Partial<MinerSnapshot>): MinerSnapshot => ({
    id: 'm1',
    siteId: null,
    containerId: null,
    slotId: null,
    rack: null,
    slot: null,
    model: null,
    modelInfo: null,
    status: 'in_service',
    latest: null,
    recentThs: null,
    outlet: null,
    lastControl: null,
    knownWorker: null,
    ...over,
  });
  it.each([
    ['in service and hashing', miner({}), null],
    ['out of service', miner({ status: 'in_repair' }), 'miner is in_repair'],
    ['after a sleep command', miner({ lastControl: { op: 'sleep', at: 1 } }), 'sleep command sent'],
    ['after poll.stop', miner({ lastControl: { op: 'poll.stop', at: 1 } }), 'poll.stop command sent'],
    ['woken again', miner({ lastControl: { op: 'wake', at: 2 } }), null],
    ['firmware reports sleeping', miner({ latest: latest('sleeping') }), 'miner reports sleeping'],
    // Braiins OS paused, plain cgminer stopped: zero rate, no sleep flag.
    ['idle for no known reason', miner({ latest: latest('idle') }), null],
    [
      'idle after our sleep command',
      miner({ latest: latest('idle'), lastControl: { op: 'sleep', at: 1 } }),
      'sleep command sent',
    ],
    [
      'idle after its agent slept it',
      miner({ latest: latest('idle'), lastSafety: { action: 'sleep', at: 5 } }),
      'its agent did sleep on its own (local safety)',
    ],
    [
      'unreachable after its agent cut its outlet',
      miner({ latest: latest('error'), lastSafety: { action: 'outlet.off', at: 5 } }),
      'its agent did outlet.off on its own (local safety)',
    ],
    [
      'hashing again after its agent slept it (woken by hand)',
      miner({ latest: latest('hashing'), lastSafety: { action: 'sleep', at: 5 } }),
      null,
    ],
    [
      'idle after a wake sent after its agent slept it',
      miner({
        latest: latest('idle'),
        lastSafety: { action: 'sleep', at: 5 },
        lastControl: { op: 'wake', at: 9 },
      }),
      null,
    ],
  ])('paused: %s', (_n, m, expected) => {
    expect(pausedReason(m)).toBe(expected);
  });
});
