import type { Highs } from 'highs';
import { beforeAll, describe, expect, it } from 'vitest';
import { monthlyMarginUsd } from '../src/relocation/economics.js';
import { kazakhstan, miner, scenario, sichuan } from '../src/relocation/examples.js';
import { planRelocation } from '../src/relocation/planner.js';
import { parsePlannerInput } from '../src/relocation/schema.js';
import { loadSolver } from '../src/relocation/solver.js';

let highs: Highs;
beforeAll(async () => {
  highs = await loadSolver();
});

/** One T17 in Kazakhstan over six months, today's hashprice 0.0006 BTC/PH/day, 90,000 USD/BTC. */
const t17InKazakhstan = (market: Record<string, unknown>, over: Record<string, unknown> = {}) =>
  parsePlannerInput({
    ...scenario({
      horizonMonths: 6,
      miners: [miner('t17', 't17', { siteId: 'kazakhstan', containerId: 'kz-c1' })],
      sites: [sichuan({ slots: 0 }), kazakhstan()],
    }),
    market: { btcPriceUsd: 90_000, hashpriceBtcPerPhDay: 0.0006, ...market },
    ...over,
  });

/**
 * Proves issue 18 item 6's difficulty-growth assumption: a single hashprice figure is today's, and
 * month t earns it ÷ (1 + growth)^t, so a miner that pays today can stop paying within the horizon
 * and the plan acts on it. Before market.difficultyGrowthPctPerMonth the planner priced every
 * month at today's hashprice (the field was dropped unread) and kept the T17 all six months.
 */
describe('relocation market: difficulty growth', () => {
  it("month t's revenue is today's divided by (1 + growth)^t", () => {
    const free = { sites: [sichuan({ slots: 0 }), kazakhstan({ tariffUsdPerKwh: Array(12).fill(0) })] };
    const flat = t17InKazakhstan({}, free);
    const grown = t17InKazakhstan({ difficultyGrowthPctPerMonth: 5 }, free);
    const site = flat.sites[1]!;
    for (let t = 0; t < 6; t++) {
      // With free power the margin is the revenue.
      const expected = monthlyMarginUsd(flat, flat.miners[0]!, site, t) / 1.05 ** t;
      expect(monthlyMarginUsd(grown, grown.miners[0]!, site, t)).toBeCloseTo(expected, 9);
    }
  });

  it('at 10 % a month the T17 stops paying in month 4 and is retired then; with flat difficulty it is kept', () => {
    const policies = { ...scenario({}).policies, defaultSalvageUsd: 10 };
    const flat = planRelocation(t17InKazakhstan({}, { policies }), highs);
    expect(flat.retirements).toEqual([]);

    const input = t17InKazakhstan({ difficultyGrowthPctPerMonth: 10 }, { policies });
    const margins = [0, 1, 2, 3, 4, 5].map((t) =>
      monthlyMarginUsd(input, input.miners[0]!, input.sites[1]!, t),
    );
    // 2,200 W at 0.03 USD/kWh against 40 TH/s: positive through month 3, negative from month 4.
    expect(margins.slice(0, 4).every((m) => m > 0)).toBe(true);
    expect(margins.slice(4).every((m) => m < 0)).toBe(true);
    const grown = planRelocation(input, highs);
    expect(grown.retirements).toEqual([
      expect.objectContaining({
        minerId: 't17',
        month: 4,
        date: '2027-04-01',
        salvageUsd: 10,
        forgoneMarginUsd: 0,
      }),
    ]);
    expect(grown.profitBeforeUsd).toBeLessThan(flat.profitBeforeUsd);
  });

  it('refuses growth beside a per-month hashprice, which already carries each month, naming the field', () => {
    expect(() =>
      t17InKazakhstan({
        hashpriceBtcPerPhDay: [0.0006, 0.0006, 0.0006, 0.0006, 0.0006, 0.0006],
        difficultyGrowthPctPerMonth: 3,
      }),
    ).toThrow(/market\.difficultyGrowthPctPerMonth: .*single hashprice/);
    expect(() => t17InKazakhstan({ difficultyGrowthPctPerMonth: 400 })).toThrow(
      /market\.difficultyGrowthPctPerMonth/,
    );
  });
});
