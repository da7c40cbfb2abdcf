import { join } from 'node:path';
import { logIn } from '@hashfleet/demo/browser';
import type { RunningDemo } from '@hashfleet/demo/demo';
import { apiGet } from '@hashfleet/demo/wait';
import type { Browser } from 'playwright-core';
import { expect, it } from 'vitest';
import { demoInChromium, describeWithChromium, screenshotDir, UUID } from './lib/chromium.js';

/**
 * Profit per day on screen (issue 19 item 8), in Debian's Chromium against the demo: a technician
 * opens a container and sees each miner's profit a day in sats with the container's total, the
 * money-losing units marked, as many as GET /profit counts; once the network
 * difficulty rises tenfold (an operator's entry), every hashing unit of it is marked as losing
 * money. The miner view shows its profit a day, the overview each site's; no internal id on screen.
 */
const SHOTS = screenshotDir();

type Totals = { miners: number; incomplete: number; losing: number; profitSatsPerDay: string };
type Report = {
  miners: { minerId: string; profitSatsPerDay: string | null }[];
  containers: (Totals & { containerId: string })[];
  sites: (Totals & { siteId: string })[];
};

describeWithChromium('profit per day in Chromium', () => {
  let demo: RunningDemo;
  let browser: Browser;

  demoInChromium(
    { name: 'ui-profit', hooks: { minersPerContainer: 10, pdus: 'off' }, shots: SHOTS },
    (started) => {
      ({ demo, browser } = started);
    },
  );

  const profit = (q: string) => apiGet<Report>(demo.controller.url, demo.tokens.technician, `/profit${q}`);

  it('marks the units that lose money in the container, and shows profit on the miner and the overview', async () => {
    const all = await profit('');
    const container = all.containers.find((c) => c.miners - c.incomplete > 0)!;
    expect(container).toBeDefined();
    const cid = container.containerId;
    const page = await logIn(browser, demo.controller.url, demo.tokens.technician);
    await page.goto(`${demo.controller.url}/#/containers/${cid}`);
    const rows = page.locator('[data-testid=profit-table] tbody tr');
    await rows.first().waitFor();
    const mine = await profit(`?containerId=${encodeURIComponent(cid)}`);
    expect(await rows.count()).toBe(mine.miners.length);
    const losing = mine.containers[0]!.losing;
    expect(await page.locator('[data-testid=profit-value][data-losing="1"]').count()).toBe(losing);
    // The losing units come first.
    if (losing > 0) expect(await rows.first().locator('[data-losing="1"]').count()).toBe(1);
    expect(await page.locator('[data-testid=profit-total]').innerText()).toMatch(/sat\/day/);
    let text = await page.evaluate(() => document.body.innerText);
    expect(text.match(UUID)).toBeNull();
    await page.locator('[data-testid=profit]').screenshot({ path: join(SHOTS, 'view-container-profit.png') });

    // Ten times the difficulty: a tenth of the revenue, the same energy: every priced unit loses money.
    const net = await fetch(`${demo.controller.url}/api/v1/network`, {
      method: 'POST',
      headers: { authorization: `Bearer ${demo.tokens.operator}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        difficulty: 1.2e15,
        blockHeight: 925_000,
        feesPerBlockSats: '2000000',
        source: 'ui-profit test',
        observedAt: new Date().toISOString(),
      }),
    });
    expect(net.status).toBe(201);
    await page.reload();
    await rows.first().waitFor();
    const after = await profit(`?containerId=${encodeURIComponent(cid)}`);
    const priced = after.miners.filter((m) => m.profitSatsPerDay !== null).length;
    expect(priced).toBeGreaterThan(0);
    expect(after.containers[0]!.losing).toBe(priced);
    expect(await page.locator('[data-testid=profit-value][data-losing="1"]').count()).toBe(priced);
    await page
      .locator('[data-testid=profit]')
      .screenshot({ path: join(SHOTS, 'view-container-profit-losing.png') });

    // The miner view: its profit a day.
    const miner = after.miners.find((m) => m.profitSatsPerDay !== null)!;
    await page.goto(`${demo.controller.url}/#/containers/${cid}/miners/${miner.minerId}`);
    const tile = page.locator('[data-testid=miner-profit] .tile-value');
    await tile.waitFor();
    expect(await tile.innerText()).toMatch(/^-[\d,]+ sat\/day$/);

    // The overview: each site's profit a day; in Chinese too.
    await page.goto(`${demo.controller.url}/#/overview`);
    await page.locator('[data-testid=site-profit]').first().waitFor();
    expect(await page.locator('[data-testid=site-profit]').count()).toBe(all.sites.length);
    await page.selectOption('select[name=locale]', 'zh-CN');
    await page.locator('[data-testid=site-profit] .tile-label', { hasText: '利润/天' }).first().waitFor();
    text = await page.evaluate(() => document.body.innerText);
    expect(text.match(UUID)).toBeNull();
    expect(await page.locator('.error').count()).toBe(0);
  });
});
