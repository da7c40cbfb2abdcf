import { describe, expect, it } from 'vitest';
import {
  admit,
  type Candidate,
  canarySize,
  gate,
  healthyAfter,
  isDisruptive,
  waveOf,
} from '../src/desired/rollout-plan.js';

/**
 * The rollout plan as tables (issue 20 item 3): a canary of 1 % or 5 miners, then waves; a wave
 * whose failed share is over the threshold pauses; and the power budget: never more miners of one
 * container restarting at once than its budget, whatever is queued and already in flight.
 */
const c = (minerId: string, containerId: string, disruptive = true): Candidate => ({
  minerId,
  containerId,
  disruptive,
});

describe('power budget: which queued miners may go now', () => {
  const cases: {
    name: string;
    queued: Candidate[];
    inFlight: [string, number][];
    budget: number;
    want: string[];
  }[] = [
    {
      name: 'a whole container queued, budget 2: two go',
      queued: ['a', 'b', 'c', 'd'].map((m) => c(m, 'c1')),
      inFlight: [],
      budget: 2,
      want: ['a', 'b'],
    },
    {
      name: 'one already restarting in the container: one more goes',
      queued: ['a', 'b', 'c'].map((m) => c(m, 'c1')),
      inFlight: [['c1', 1]],
      budget: 2,
      want: ['a'],
    },
    {
      name: 'the container at its budget: none goes',
      queued: ['a', 'b'].map((m) => c(m, 'c1')),
      inFlight: [['c1', 3]],
      budget: 3,
      want: [],
    },
    {
      name: 'budgets are per container: each gets its own',
      queued: [c('a', 'c1'), c('b', 'c1'), c('x', 'c2'), c('y', 'c2'), c('z', 'c2')],
      inFlight: [['c2', 1]],
      budget: 2,
      want: ['a', 'b', 'x'],
    },
    {
      name: 'a pool change does not restart the miner: not held by the budget',
      queued: [c('a', 'c1'), c('p', 'c1', false), c('b', 'c1'), c('q', 'c1', false)],
      inFlight: [],
      budget: 1,
      want: ['a', 'p', 'q'],
    },
    {
      name: 'budget 1: one at a time',
      queued: ['a', 'b'].map((m) => c(m, 'c1')),
      inFlight: [],
      budget: 1,
      want: ['a'],
    },
  ];
  for (const k of cases)
    it(k.name, () => {
      const got = admit(k.queued, new Map(k.inFlight), k.budget);
      expect(got).toEqual(k.want);
      // Never over the budget in any container, counting those already in flight.
      const per = new Map(k.inFlight);
      for (const id of got) {
        const q = k.queued.find((x) => x.minerId === id)!;
        if (q.disruptive) per.set(q.containerId!, (per.get(q.containerId!) ?? 0) + 1);
      }
      for (const [container, n] of per)
        expect(n, container).toBeLessThanOrEqual(Math.max(k.budget, new Map(k.inFlight).get(container) ?? 0));
    });

  const sited = (minerId: string, containerId: string, siteId: string): Candidate => ({
    minerId,
    containerId,
    siteId,
    disruptive: true,
  });
  it.each([
    {
      name: 'a site budget of 3 across two containers of budget 2: the site stops the third container slot',
      queued: [
        sited('a', 'c1', 'kz'),
        sited('b', 'c1', 'kz'),
        sited('x', 'c2', 'kz'),
        sited('y', 'c2', 'kz'),
      ],
      inFlight: [] as [string, number][],
      siteInFlight: [] as [string, number][],
      want: ['a', 'b', 'x'],
    },
    {
      name: 'two already restarting at the site: one more goes',
      queued: [sited('a', 'c1', 'kz'), sited('x', 'c2', 'kz')],
      inFlight: [['c3', 2]] as [string, number][],
      siteInFlight: [['kz', 2]] as [string, number][],
      want: ['a'],
    },
    {
      name: 'budgets are per site: another site has its own',
      queued: [
        sited('a', 'c1', 'kz'),
        sited('b', 'c1', 'kz'),
        sited('s', 's1', 'sc'),
        sited('t', 's1', 'sc'),
      ],
      inFlight: [] as [string, number][],
      siteInFlight: [['kz', 3]] as [string, number][],
      want: ['s', 't'],
    },
  ])('$name', (k) => {
    expect(admit(k.queued, new Map(k.inFlight), 2, { inFlight: new Map(k.siteInFlight), budget: 3 })).toEqual(
      k.want,
    );
  });

  it('which operations restart a miner', () => {
    expect(isDisruptive([{ op: 'pool.set' }])).toBe(false);
    expect(isDisruptive([{ op: 'pool.set' }, { op: 'power.target' }])).toBe(true);
    expect(isDisruptive([{ op: 'wake' }])).toBe(true);
  });
});

describe('canary and waves', () => {
  it.each([
    [1, 1],
    [4, 4],
    [5, 5],
    [100, 5],
    [499, 5],
    [501, 6],
    [10_000, 100],
  ])('%i miners: a canary of %i', (n, want) => expect(canarySize(n)).toBe(want));

  it('100 miners, waves of 20 after a canary of 5: 0 ×5, then 1..5 (the last of 15)', () => {
    const waves = Array.from({ length: 100 }, (_, i) => waveOf(i, 100, 20));
    const count = (w: number) => waves.filter((x) => x === w).length;
    expect([0, 1, 2, 3, 4, 5].map(count)).toEqual([5, 20, 20, 20, 20, 15]);
  });
});

describe('the gate after a wave', () => {
  it.each([
    [0, 0, 5, 10, null],
    [0, 1, 4, 10, 'canary: 1 of 5 failed (20 % > 10 %)'],
    [2, 1, 9, 10, null],
    [2, 2, 8, 10, 'wave 2: 2 of 10 failed (20 % > 10 %)'],
    [1, 0, 0, 0, null],
  ])('wave %i, %i failed and %i verified, threshold %i %%: %s', (wave, failed, done, pct, reason) => {
    const g = gate(wave, { failed, done }, pct);
    expect(g.next ? null : g.reason).toBe(reason);
  });
});

describe('healthy after its change: hashing at 90 % of expected, or asleep when it should be', () => {
  it.each([
    ['hashing', 110, 110, false, true],
    ['hashing', 99, 110, false, true],
    ['hashing', 98, 110, false, false],
    ['starting', 0, 110, false, false],
    ['hashing', null, 110, false, true],
    ['hashing', 5, null, false, true],
    ['sleeping', 0, 110, true, true],
    ['hashing', 110, 110, true, false],
  ] as const)('%s at %s of %s TH/s, asleep wanted %s: %s', (state, hashrateThs, expectedThs, asleep, want) =>
    expect(healthyAfter({ state, hashrateThs, expectedThs }, asleep)).toBe(want),
  );
});
