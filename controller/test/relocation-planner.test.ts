import type { Highs } from 'highs';
import { beforeAll, describe, expect, it } from 'vitest';
import { kazakhstan, miner, scenario, sichuan } from '../src/relocation/examples.js';
import { planRelocation } from '../src/relocation/planner.js';
import { parsePlannerInput } from '../src/relocation/schema.js';
import { loadSolver } from '../src/relocation/solver.js';
import type { PlannerInput } from '../src/relocation/types.js';

let highs: Highs;
beforeAll(async () => {
  highs = await loadSolver();
});

/** What the optimal plan must look like: each expected move as `miner@month>site/mode`. */
type Case = { name: string; input: PlannerInput; moves: string[] };

const tenInContainer = Array.from({ length: 10 }, (_, i) => miner(`c${i}`, 'm20s'));
const route = (costPerMinerUsd: number, costPerContainerUsd: number) => [
  {
    from: 'sichuan',
    to: 'kazakhstan',
    transitDays: 10,
    costPerMinerUsd,
    costPerContainerUsd,
    customsPerMinerUsd: 0,
  },
];

const cases: Case[] = [
  {
    // Saving is proportional to watts: the 3,360 W M20S gains more from cheaper power than the
    // 3,010 W S19 XP, so with one free slot in Kazakhstan the efficient miner stays in Sichuan.
    name: 'an efficient miner stays in the expensive site when capacity elsewhere is full',
    input: scenario({
      miners: [miner('xp', 's19xp'), miner('m20', 'm20s')],
      sites: [sichuan(), kazakhstan({ slots: 1 })],
    }),
    moves: ['m20@0>kazakhstan/miner'],
  },
  {
    name: 'control: with two free slots both miners move',
    input: scenario({ miners: [miner('xp', 's19xp'), miner('m20', 'm20s')] }),
    moves: ['m20@0>kazakhstan/miner', 'xp@0>kazakhstan/miner'],
  },
  {
    name: 'MW, not slots, can be what is full: a 3.2 MW cap leaves room for the S19 XP only',
    input: scenario({
      miners: [miner('xp', 's19xp'), miner('m20', 'm20s')],
      sites: [sichuan(), kazakhstan({ mw: 0.0032 })],
    }),
    moves: ['xp@0>kazakhstan/miner'],
  },
  {
    name: 'an inefficient miner is not worth moving in the wet season (Jun-Aug)',
    input: scenario({ start: '2026-06', horizonMonths: 3, miners: [miner('t17', 't17')] }),
    moves: [],
  },
  {
    name: 'the same inefficient miner is worth moving in the dry season (Dec-Feb)',
    input: scenario({ start: '2026-12', horizonMonths: 3, miners: [miner('t17', 't17')] }),
    moves: ['t17@0>kazakhstan/miner'],
  },
  {
    name: 'over a year from June the inefficient miner leaves when the dry season starts (November)',
    input: scenario({ start: '2026-06', horizonMonths: 12, miners: [miner('t17', 't17')] }),
    moves: ['t17@5>kazakhstan/miner'],
  },
  {
    name: 'a miner under warranty stays near the repair centre',
    input: scenario({ miners: [miner('m20', 'm20s', { warrantyEnd: '2027-06-30' })] }),
    moves: [],
  },
  {
    name: 'a miner whose warranty ends in January moves in February',
    input: scenario({ miners: [miner('m20', 'm20s', { warrantyEnd: '2027-01-31' })] }),
    moves: ['m20@2>kazakhstan/miner'],
  },
  {
    name: 'with the warranty policy off, the miner under warranty moves at once',
    input: scenario({
      miners: [miner('m20', 'm20s', { warrantyEnd: '2027-06-30' })],
      policies: { ...scenario({}).policies, warranty: 'ignore' },
    }),
    moves: ['m20@0>kazakhstan/miner'],
  },
  {
    name: 'a whole container beats single moves when its transit cost per miner is lower',
    input: scenario({ miners: tenInContainer, routes: route(40, 150) }),
    moves: tenInContainer.map((m) => `${m.id}@0>kazakhstan/container`),
  },
  {
    name: 'single moves beat the container when the container costs more per miner',
    input: scenario({ miners: tenInContainer, routes: route(15, 1000) }),
    moves: tenInContainer.map((m) => `${m.id}@0>kazakhstan/miner`),
  },
  {
    name: 'a container brings its own slots: it moves even when the destination has no free slot',
    input: scenario({
      miners: tenInContainer,
      routes: route(15, 600),
      sites: [sichuan(), kazakhstan({ slots: 0 })],
    }),
    moves: tenInContainer.map((m) => `${m.id}@0>kazakhstan/container`),
  },
  {
    name: 'control: a container that costs more than its miners gain stays, even alone',
    input: scenario({
      miners: tenInContainer,
      routes: route(15, 1000),
      sites: [sichuan(), kazakhstan({ slots: 0 })],
    }),
    moves: [],
  },
  {
    name: 'a container holding one miner under warranty does not move; the others go singly',
    input: scenario({
      miners: tenInContainer.map((m, i) => (i === 0 ? { ...m, warrantyEnd: '2027-12-31' } : m)),
      routes: route(40, 150),
    }),
    moves: tenInContainer.slice(1).map((m) => `${m.id}@0>kazakhstan/miner`),
  },
];

describe('relocation planner: small cases with known optimal answers', () => {
  it.each(cases)('$name', ({ input, moves }) => {
    const plan = planRelocation(input, highs);
    expect(plan.solver.optimal).toBe(true);
    expect(plan.moves.map((m) => `${m.minerId}@${m.month}>${m.toSite}/${m.mode}`).sort()).toEqual(
      [...moves].sort(),
    );
    expect(plan.profitAfterUsd).toBeGreaterThanOrEqual(plan.profitBeforeUsd);
    if (moves.length === 0) expect(plan.profitAfterUsd).toBe(plan.profitBeforeUsd);
    else expect(plan.profitAfterUsd).toBeGreaterThan(plan.profitBeforeUsd);
  });
});

describe('relocation planner: figures', () => {
  it('profit before and after match the hand-computed margins of the one-move plan', () => {
    // T17, 40 TH at 55 J/TH = 2,200 W, Dec-Feb: 31+31+28 days, revenue 40 TH × 0.054 USD/TH/day.
    const plan = planRelocation(scenario({ horizonMonths: 3, miners: [miner('t17', 't17')] }), highs);
    const days = [31, 31, 28];
    const revenue = days.map((d) => 40 * 0.054 * d);
    const power = (tariff: number) => days.map((d) => 2.2 * 24 * d * tariff);
    const sc = revenue.map((r, i) => Math.max(0, r - power(0.039)[i]!));
    const kz = revenue.map((r, i) => r - power(0.03)[i]!);
    const downtime = (10 / 31) * kz[0]!;
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(plan.profitBeforeUsd).toBeCloseTo(sum(sc), 1);
    expect(plan.profitAfterUsd).toBeCloseTo(sum(kz) - 20 - downtime, 1);
    expect(plan.moves[0]!.gainUsd).toBeCloseTo(plan.profitAfterUsd - plan.profitBeforeUsd, 1);
    expect(plan.moves[0]).toMatchObject({ departDate: '2026-12-01', arriveDate: '2026-12-11', costUsd: 20 });
    expect(plan.batches).toHaveLength(1);
  });

  it('hot months derate air-cooled miners: a hydro miner is not derated', () => {
    const hot = scenario({
      start: '2026-07',
      horizonMonths: 1,
      sites: [sichuan({ ambientC: Array(12).fill(40) }), kazakhstan()],
      routes: [],
      miners: [miner('air', 's21'), miner('hyd', 's21', { cooling: 'hydro' })],
    });
    const both = planRelocation(hot, highs).profitBeforeUsd;
    const hydroOnly = planRelocation({ ...hot, miners: [hot.miners[1]!] }, highs).profitBeforeUsd;
    const airOnly = both - hydroOnly;
    // 10 °C above 30 at 1.5 %/°C: 85 % of the hydro unit's revenue, same power.
    const revenue = 200 * 0.054 * 31;
    expect(hydroOnly - airOnly).toBeCloseTo(revenue * 0.15, 1);
  });
});

describe('relocation planner: time limit', () => {
  it('stopped early, it still returns a plan no worse than staying put (its fallback)', () => {
    const miners = Array.from({ length: 600 }, (_, i) =>
      miner(`m${i}`, (['t17', 'm20s', 's19xp', 's21'] as const)[i % 4]!, {
        containerId: `c${Math.floor(i / 20)}`,
        condition: 0.7 + (i % 37) / 100,
      }),
    );
    const input = scenario({
      start: '2026-06',
      horizonMonths: 12,
      miners,
      sites: [sichuan(), kazakhstan({ slots: 300, mw: 0.6 })],
      policies: { ...scenario({}).policies, timeLimitS: 0.01 },
    });
    const plan = planRelocation(input, highs);
    expect(plan.solver.status).toMatch(/^(optimal|timeLimit)/);
    expect(plan.profitAfterUsd).toBeGreaterThanOrEqual(plan.profitBeforeUsd);
    if (!plan.solver.optimal && plan.moves.length === 0)
      expect(plan.profitAfterUsd).toBe(plan.profitBeforeUsd);
  });
});

describe('relocation planner: bad input', () => {
  it('names every problem with its place', () => {
    expect(() =>
      parsePlannerInput({
        start: '2026-13',
        sites: [{ id: 'a', tariffUsdPerKwh: [1], slots: 1, mw: 1 }],
        market: { btcPriceUsd: 1, hashpriceBtcPerPhDay: 1 },
        miners: [],
      }),
    ).toThrow(/start: expected YYYY-MM.*sites\.0\.tariffUsdPerKwh/);
  });

  it('rejects miners at an unknown site and a site with more miners than slots', () => {
    const input = scenario({
      miners: [miner('a', 't17', { siteId: 'mars' }), miner('b', 't17'), miner('c', 't17')],
      sites: [sichuan({ slots: 1 }), kazakhstan()],
    });
    expect(() => planRelocation(input, highs)).toThrow(
      /miner a: unknown site mars.*site sichuan: 2 miners but 1 slots/,
    );
  });
});
