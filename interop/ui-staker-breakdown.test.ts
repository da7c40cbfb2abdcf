import { logIn } from '@hashfleet/demo/browser';
import type { RunningDemo } from '@hashfleet/demo/demo';
import { apiGet } from '@hashfleet/demo/wait';
import type { Browser } from 'playwright-core';
import { expect, it } from 'vitest';
import { demoInChromium, describeWithChromium } from './lib/chromium.js';

/**
 * The staker portal in Debian's Chromium against the demo (which closes yesterday's period at
 * start): for each demo staker the breakdown the page renders adds up, satoshi for satoshi, from
 * the pool credit through the costs to the net, the stakers' pool, the staker's pro-rata floor
 * plus leftover satoshi to the payout the API's statement holds; the pro-rata floor is re-derived
 * here from the stake-time figures; the attributed hashrate tile carries its window, and the page
 * names the standalone verifiers.
 */

interface Statement {
  periodId: string;
  payoutSats: string;
  totalSats: string;
}
interface Breakdown {
  stakerBps: number;
  stakerPoolSats: string;
  netSats: string;
  stakeUnitsSeconds: string;
  totalEligibleUnitsSeconds: string;
  payoutSats: string;
}

describeWithChromium('staker portal breakdown in Chromium', () => {
  let demo: RunningDemo;
  let browser: Browser;

  demoInChromium(
    { name: 'ui-bd', hooks: { minersPerContainer: 4 }, flags: ['--poll-s', '5'], fleet: false },
    (started) => {
      ({ demo, browser } = started);
    },
  );

  it("each demo staker's breakdown adds up to their payout to the satoshi", async () => {
    expect(demo.tokens.stakers.length).toBeGreaterThan(0);
    for (const { token, stakerId } of demo.tokens.stakers) {
      const [statement] = await apiGet<Statement[]>(
        demo.controller.url,
        token,
        `/stakers/${stakerId}/statements`,
      );
      expect(statement, `${stakerId} has a statement`).toBeDefined();
      const api = await apiGet<Breakdown>(
        demo.controller.url,
        token,
        `/stakers/${stakerId}/statements/${statement!.periodId}/breakdown`,
      );
      const page = await logIn(browser, demo.controller.url, token);
      await page.waitForSelector('[data-testid=breakdown] [data-step=payout]', { timeout: 60_000 });
      const steps = await page.$$eval('[data-testid=breakdown] [data-step]', (els) =>
        els.map((e) => ({ step: e.getAttribute('data-step')!, sats: e.getAttribute('data-sats')! })),
      );
      const of = (step: string) => steps.filter((s) => s.step === step).map((s) => BigInt(s.sats));
      const one = (step: string) => {
        const v = of(step);
        expect(v, `${stakerId}: one ${step} row`).toHaveLength(1);
        return v[0]!;
      };
      const net = one('net');
      // credit - costs (by site and kind) - loss carried in = net, as rendered.
      expect([...of('credit'), ...of('cost'), ...of('lossIn')].reduce((a, b) => a + b, 0n)).toBe(net);
      // (The demo's closed day is the day before its fleet started: its costs may be none.)
      expect(net.toString()).toBe(api.netSats);
      // The stakers' pool: floor(net x bps / 10000), nothing when the period lost money.
      const pool = one('pool');
      expect(pool).toBe(net > 0n ? (net * BigInt(api.stakerBps)) / 10_000n : 0n);
      // The staker's pro-rata floor, re-derived from stake-time, plus the leftover satoshi = payout.
      const total = BigInt(api.totalEligibleUnitsSeconds);
      const floor = one('floor');
      expect(floor).toBe(total === 0n ? 0n : (pool * BigInt(api.stakeUnitsSeconds)) / total);
      const remainder = one('remainder');
      expect(remainder === 0n || remainder === 1n).toBe(true);
      const payout = one('payout');
      expect(floor + remainder).toBe(payout);
      expect(payout.toString()).toBe(statement!.payoutSats);
      expect((payout + one('adjustment')).toString()).toBe(statement!.totalSats);
      // The attributed hashrate is shown with its window; the standalone verifiers are named.
      expect(await page.textContent('[data-testid=attributed-tile]')).toMatch(/UTC/);
      const text = await page.textContent('[data-testid=breakdown]');
      expect(text).toContain('tools/verify-payout.py');
      expect(text).toContain('tools/verify-payout.mjs');
      await page.context().close();
    }
  });
});
