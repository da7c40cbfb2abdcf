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

// At 0.0004 BTC/PH/day and 90,000 USD a T17 (40 TH/s, 2,200 W) earns about 1.44 USD a day and
// burns 1.58 USD of Kazakh power: loss-making all winter, so it idles. An S21 earns ~140 USD a month.
const kzFleet = (policies: Partial<PlannerInput['policies']>) =>
  parsePlannerInput({
    ...scenario({
      market: { btcPriceUsd: 90_000, hashpriceBtcPerPhDay: 0.0004 },
      miners: [
        miner('t17', 't17', { siteId: 'kazakhstan', containerId: 'kz-c1' }),
        miner('s21', 's21', { siteId: 'kazakhstan', containerId: 'kz-c1' }),
      ],
      sites: [sichuan({ slots: 0 }), kazakhstan()],
    }),
    policies: { ...scenario({}).policies, ...policies },
  });

/**
 * Proves the retire decision (issue 18 item 6): with a salvage value, a miner that would only idle
 * at a loss is retired at the horizon's start with its case (salvage vs forgone margin), while a
 * profitable one is kept; with no salvage value (the default) nothing is retired. Before the
 * retire decision the plan had no `retirements` at all.
 */
describe('relocation planner: retire', () => {
  it('retires the loss-making T17 and keeps the S21 when salvage is 100 USD', () => {
    const plan = planRelocation(kzFleet({ defaultSalvageUsd: 100 }), highs);
    expect(plan.retirements).toEqual([
      expect.objectContaining({
        minerId: 't17',
        month: 0,
        site: 'kazakhstan',
        salvageUsd: 100,
        forgoneMarginUsd: 0,
      }),
    ]);
    expect(plan.retirements[0]!.gainUsd).toBe(100);
    // The plan's profit counts the salvage once.
    const kept = planRelocation(kzFleet({}), highs);
    expect(plan.profitAfterUsd).toBeCloseTo(kept.profitAfterUsd + 100, 2);
  });

  it('a salvage below what the S21 still earns does not retire it; per-model salvage overrides the default', () => {
    const plan = planRelocation(
      kzFleet({ defaultSalvageUsd: 100, salvageUsd: { 'Antminer T17': 0 } }),
      highs,
    );
    expect(plan.retirements).toEqual([]);
  });

  it('control: without a salvage value nothing is retired', () => {
    expect(planRelocation(kzFleet({}), highs).retirements).toEqual([]);
  });

  it('each move batch states its case: gain net of transport cost and downtime', () => {
    const plan = planRelocation(scenario({ miners: [miner('m20', 'm20s')] }), highs);
    expect(plan.batches).toHaveLength(1);
    const b = plan.batches[0]!;
    expect(b.reason).toBe(
      `1 miners sichuan → kazakhstan in 2026-12: gain ${b.gainUsd.toFixed(2)} USD net of transport ${b.costUsd.toFixed(2)} USD and downtime ${b.downtimeUsd.toFixed(2)} USD`,
    );
  });
});
