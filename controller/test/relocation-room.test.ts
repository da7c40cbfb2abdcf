import type { Highs } from 'highs';
import { beforeAll, describe, expect, it } from 'vitest';
import { kazakhstan, miner, scenario, sichuan } from '../src/relocation/examples.js';
import { planRelocation } from '../src/relocation/planner.js';
import { loadSolver } from '../src/relocation/solver.js';

let highs: Highs;
beforeAll(async () => {
  highs = await loadSolver();
});

// December to March (all dry season) at 0.06 USD/kWh in Sichuan against 0.03 in Kazakhstan. An
// S21 (3,500 W) saves about 2.5 USD a day in Kazakhstan; a T17 (2,200 W) earns ~0.58 USD a day
// there and loses money in Sichuan, so it would idle there.
const swap = (kazakhSlots: number) =>
  scenario({
    sites: [sichuan({ tariffUsdPerKwh: Array(12).fill(0.06) }), kazakhstan({ slots: kazakhSlots })],
    miners: [
      miner('s21', 's21', { siteId: 'sichuan', containerId: 'sc-c1' }),
      miner('t17', 't17', { siteId: 'kazakhstan', containerId: 'kz-c1' }),
    ],
  });

/**
 * Proves that a batch with a negative gain of its own says why it is in the plan (issue 18 item 6,
 * "the reasoning per batch"): the Kazakhstan → Sichuan swap batches of the demo plan. With one slot
 * in Kazakhstan the S21 can only go there if the T17 leaves, so the T17's batch loses money on its
 * own and states that it frees the slot for the S21, with the gain of both together. Before, its
 * reason was only "gain -… USD net of transport …". The control: with a spare slot nothing is
 * shipped back at a loss, and a batch that gains states no room.
 */
describe('relocation planner: a batch that loses money on its own makes room', () => {
  it('ships the T17 back to free the one Kazakh slot for the S21, and says so with the gain of both', () => {
    const plan = planRelocation(swap(1), highs);
    const back = plan.batches.find((b) => b.fromSite === 'kazakhstan');
    const out = plan.batches.find((b) => b.fromSite === 'sichuan');
    expect(back?.minerIds).toEqual(['t17']);
    expect(out?.minerIds).toEqual(['s21']);
    expect(back!.gainUsd).toBeLessThan(0);
    expect(back!.makesRoom).toEqual({
      siteSlots: 1,
      minersThere: 1,
      forBatchIds: [out!.id],
      arrivingMiners: 1,
      togetherGainUsd: Math.round((back!.gainUsd + out!.gainUsd) * 100) / 100,
    });
    expect(back!.makesRoom!.togetherGainUsd).toBeGreaterThan(0);
    expect(back!.reason).toContain(
      `a loss on its own, it frees slots at kazakhstan (1 slots, 1 miners there that month after it leaves) for 1 miners arriving there the same month, which together with it gain ${back!.makesRoom!.togetherGainUsd.toFixed(2)} USD`,
    );
    expect(out!.makesRoom).toBeNull();
    // The fleet gains what the two batches gain together.
    expect(plan.profitAfterUsd - plan.profitBeforeUsd).toBeCloseTo(back!.makesRoom!.togetherGainUsd, 1);
  });

  it('control: with a spare Kazakh slot the T17 stays and no batch loses money', () => {
    const plan = planRelocation(swap(2), highs);
    expect(plan.batches.map((b) => b.minerIds)).toEqual([['s21']]);
    expect(plan.batches[0]!.gainUsd).toBeGreaterThan(0);
    expect(plan.batches[0]!.makesRoom).toBeNull();
  });
});
