import { describe, expect, it } from 'vitest';
import { type Actual, driftOf, fixesFor, inSleepWindow, localMinute } from '../src/desired/drift.js';
import { type ActiveState, type MinerPlace, resolveDesired, workerFor } from '../src/desired/resolve.js';
import { DesiredSpecSchema, type Scope, touchesGuarded } from '../src/desired/schema.js';

/**
 * Drift as a pure function (issue 20 item 2): each field of a miner's reading against its desired
 * state resolved from the scopes that name it (selection > container > model > site), and the
 * commands that bring it back.
 */
const place: MinerPlace = {
  minerId: 'm1',
  siteId: 'kz',
  containerId: 'kz-c1',
  model: 'Antminer S19 Pro',
  rack: 'R1',
  slot: 'S3',
};
const state = (versionId: string, scope: Scope, spec: unknown): ActiveState => ({
  versionId,
  version: 1,
  scope,
  spec: DesiredSpecSchema.parse(spec),
});
const POOL = 'stratum+tcp://btc.hashshare.example:3333';
const site = state(
  'v-site',
  { kind: 'site', siteId: 'kz' },
  {
    pool: { url: POOL, workerPattern: 'hashshare.{container}.{rack}.{slot}' },
    power: { targetW: 3000 },
  },
);
const actual = (a: Partial<Actual> = {}): Actual => ({
  online: true,
  state: 'hashing',
  pool: { url: POOL, user: 'hashshare.kz-c1.R1.S3' },
  powerW: 3010,
  powerLimitW: 3000,
  firmwareVersion: '2024.1',
  localMinute: 12 * 60,
  ...a,
});

describe('resolving a miner’s desired state', () => {
  it('the most specific scope that sets a field wins, field by field', () => {
    const container = state(
      'v-c1',
      { kind: 'container', containerId: 'kz-c1' },
      { power: { targetW: 2500 } },
    );
    const other = state('v-c2', { kind: 'container', containerId: 'kz-c2' }, { power: { targetW: 2000 } });
    const sel = state(
      'v-sel',
      { kind: 'selection', name: 'test-rack', minerIds: ['m1'] },
      {
        sleepWindows: [{ from: '22:00', to: '06:00' }],
      },
    );
    const want = resolveDesired([site, container, other, sel], place);
    expect(want.pool?.versionId).toBe('v-site');
    expect(want.power).toMatchObject({ value: { targetW: 2500 }, versionId: 'v-c1' });
    expect(want.sleepWindows?.versionId).toBe('v-sel');
    expect(want.firmware).toBeUndefined();
  });

  it('worker names come from the pattern, or the slot’s own name', () => {
    expect(workerFor({ workerPattern: 'hashshare.{container}.{rack}.{slot}' }, place)).toBe(
      'hashshare.kz-c1.R1.S3',
    );
    expect(workerFor({ workerPattern: 'x.{slot}', slotWorkers: { 'R1/S3': 'spare.1' } }, place)).toBe(
      'spare.1',
    );
  });

  it('only pool and firmware changes need a second person', () => {
    const a = DesiredSpecSchema.parse({ power: { targetW: 3000 } });
    const b = DesiredSpecSchema.parse({ power: { targetW: 2500 } });
    expect(touchesGuarded(a, b)).toBe(false);
    expect(
      touchesGuarded(a, DesiredSpecSchema.parse({ ...b, pool: { url: POOL, workerPattern: 'w' } })),
    ).toBe(true);
    expect(
      touchesGuarded(
        a,
        DesiredSpecSchema.parse({
          ...a,
          firmware: { family: 'braiins-os', version: '24.09', imageSha256: 'a'.repeat(64) },
        }),
      ),
    ).toBe(true);
  });
});

describe('drift per field', () => {
  const want = resolveDesired([site], place);
  const cases: { name: string; a: Actual | null; fields: string[] }[] = [
    { name: 'in its desired state', a: actual(), fields: [] },
    {
      name: 'a pool changed behind our back: pool and worker',
      a: actual({ pool: { url: 'stratum+tcp://btc.hijack.example:3333', user: 'intruder.worker1' } }),
      fields: ['pool', 'worker'],
    },
    {
      name: 'the same pool written differently is no drift',
      a: actual({ pool: { url: 'BTC.hashshare.example:3333/', user: 'hashshare.kz-c1.R1.S3' } }),
      fields: [],
    },
    { name: 'power limit off by more than 10 %', a: actual({ powerLimitW: 3500 }), fields: ['power'] },
    {
      name: 'no limit reported: the power drawn is judged',
      a: actual({ powerLimitW: null, powerW: 3250 }),
      fields: [],
    },
    {
      name: 'a miner that does not answer is not judged',
      a: actual({ online: false, pool: null }),
      fields: [],
    },
    { name: 'no reading yet', a: null, fields: [] },
    {
      name: 'asleep where no scope manages sleep: pool and power are not judged, nothing drifts',
      a: actual({ state: 'sleeping', pool: null, powerW: 10 }),
      fields: [],
    },
  ];
  for (const k of cases)
    it(k.name, () => expect(driftOf(want, place, k.a).map((d) => d.field)).toEqual(k.fields));

  it('firmware: the reported version against the desired one', () => {
    const fw = state(
      'v-fw',
      { kind: 'model', model: 'Antminer S19 Pro' },
      {
        firmware: { family: 'braiins-os', version: '2024.2', imageSha256: 'b'.repeat(64) },
      },
    );
    const d = driftOf(resolveDesired([site, fw], place), place, actual());
    expect(d).toEqual([{ field: 'firmware', desired: '2024.2', actual: '2024.1', versionId: 'v-fw' }]);
  });

  it('sleep windows wrap midnight and read site-local time', () => {
    const w = { from: '22:00', to: '06:00' };
    expect([21 * 60 + 59, 22 * 60, 3 * 60, 6 * 60].map((m) => inSleepWindow(m, w))).toEqual([
      false,
      true,
      true,
      false,
    ]);
    // 2025-01-01T18:30Z is 23:30 in Almaty (UTC+5) and 02:30 next day in Shanghai (UTC+8).
    const t = Date.UTC(2025, 0, 1, 18, 30);
    expect(localMinute(t, 'Asia/Almaty')).toBe(23 * 60 + 30);
    expect(localMinute(t, 'Asia/Shanghai')).toBe(2 * 60 + 30);
    expect(localMinute(t, 'Not/AZone')).toBe(18 * 60 + 30);
    const night = resolveDesired(
      [state('v-n', { kind: 'site', siteId: 'kz' }, { sleepWindows: [w] })],
      place,
    );
    expect(driftOf(night, place, actual({ localMinute: 23 * 60 }))).toEqual([
      { field: 'sleep', desired: 'asleep', actual: 'hashing', versionId: 'v-n' },
    ]);
  });

  it('the fixes: wake first, then pool, power, and sleep last', () => {
    const d = driftOf(want, place, actual({ pool: { url: 'x:1', user: 'y' }, powerLimitW: 2000 }));
    expect(fixesFor(want, place, d)).toEqual([
      { op: 'pool.set', url: POOL, user: 'hashshare.kz-c1.R1.S3', password: 'x' },
      { op: 'power.target', watts: 3000 },
    ]);
  });
});
