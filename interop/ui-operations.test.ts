import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { logIn } from '@hashfleet/demo/browser';
import type { RunningDemo } from '@hashfleet/demo/demo';
import { apiGet } from '@hashfleet/demo/wait';
import type { Browser } from 'playwright-core';
import { expect, it } from 'vitest';
import { demoInChromium, describeWithChromium, screenshotDir } from './lib/chromium.js';

/**
 * The Operations view in Debian's Chromium against the demo started in this process: an operator
 * applies an operating profile to a simulated container from the UI, sees beforehand which miner
 * its firmware refuses, confirms, and follows the bulk job to its end; the API agrees. The
 * screenshot goes to artifacts/screenshots/operations.png, or with HASHFLEET_DOC_SCREENSHOTS=1 to
 * docs/screenshots/operations.png (the README shows it), so a test run leaves the tree clean.
 */
const SHOT = join(screenshotDir(true), 'operations.png');
// kz-c2 starts with 40 Whatsminer M50S (whatsminer-v2: power target) then stock Antminer S9s
// (no power target): 41 per container keeps exactly one incapable miner there.
const CONTAINER = 'kz-c2';

type Job = {
  id: string;
  kind: string;
  state: string;
  progress: Record<string, number>;
  items: { minerId: string; state: string; reason: string | null }[];
};

describeWithChromium('Operations view in Chromium', () => {
  let demo: RunningDemo;
  let browser: Browser;

  demoInChromium(
    { name: 'ui-ops', hooks: { minersPerContainer: 41, addressing: 'free-block', pdus: 'off' } },
    (started) => {
      ({ demo, browser } = started);
    },
  );

  it('operator: a profile applied to a container from the UI shows the stock Antminer refused before confirming, then the job runs to done', async () => {
    const incapable = demo.scenario.miners.filter(
      (m) => m.containerId === CONTAINER && m.profile === 'antminer-stock',
    );
    expect(incapable).toHaveLength(1);
    // A sleep window six hours from now (site-local), so the schedule exists but nothing sleeps now.
    const site = await apiGet<{ timezone: string }>(
      demo.controller.url,
      demo.tokens.operator,
      '/sites/kazakhstan',
    );
    const hour = Number(
      new Intl.DateTimeFormat('en-US', { timeZone: site.timezone, hour: 'numeric', hourCycle: 'h23' }).format(
        new Date(),
      ),
    );
    const hh = (h: number) => `${String(h % 24).padStart(2, '0')}:00`;
    const put = await fetch(`${demo.controller.url}/api/v1/operating-profiles/kz-eco`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${demo.tokens.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'kz-eco',
        description: 'Pavlodar night economy',
        presets: [{ model: '*', powerTargetW: 3000 }],
        sleepWindows: [{ from: hh(hour + 6), to: hh(hour + 7) }],
        // btminer restarts for 10 s (the demo's restartS) to apply a power limit: settle past that.
        settleS: 20,
      }),
    });
    expect(put.status, await put.text()).toBe(200);

    const page = await logIn(browser, demo.controller.url, demo.tokens.operator);
    expect(await page.locator('header nav a').allTextContents()).toContain('Operations');
    await page.goto(`${demo.controller.url}/#/operations`);
    await page.waitForSelector('[data-testid=operations-ready]');
    const profileRow = page.locator('[data-testid=profiles] tbody tr', { hasText: 'kz-eco' });
    await profileRow.locator('button', { hasText: 'Apply' }).click();
    await page.selectOption('select[name=target]', `container:${CONTAINER}`);
    await page.fill('input[name=batchSize]', '20');
    await page.fill('input[name=pauseS]', '0');
    await page.click('[data-testid=apply-form] button:has-text("Preview")');
    await page.waitForSelector('[data-testid=preview]');
    // Every miner of the container is selected, the expected ones that never answered included
    // (the asset import places them; the demo's slow Whatsminer at R1/S4 times out): the stock
    // Antminer is refused for its firmware, and a miner no agent polls is refused as unreachable.
    const previewText = (await page.textContent('[data-testid=preview]')) ?? '';
    const summary = /(\d+) of (\d+) miners will be changed; (\d+) refused/.exec(previewText);
    expect(summary, previewText).not.toBeNull();
    const total = Number(summary![2]);
    const refusedN = Number(summary![3]);
    expect(Number(summary![1])).toBe(total - refusedN);
    expect(total).toBeGreaterThanOrEqual(30);
    const refusals = await page.locator('[data-testid=preview-refusals] tbody tr').allTextContents();
    expect(refusals).toHaveLength(refusedN);
    expect(refusals.filter((r) => r.includes('firmware antminer-stock cannot do power.target'))).toHaveLength(
      1,
    );
    expect(
      refusals.filter((r) => !r.includes('cannot do power.target') && !r.includes('no agent polls it')),
    ).toEqual([]);
    // Nothing has been sent yet: the preview made no job.
    expect(await apiGet<Job[]>(demo.controller.url, demo.tokens.operator, '/commands/bulk')).toEqual([]);

    await page.click('button:has-text("Confirm apply")');
    const jobRow = page.locator('[data-testid=bulk-jobs] tbody tr', { hasText: 'kz-eco' });
    await jobRow.waitFor();
    const [job] = await apiGet<Job[]>(demo.controller.url, demo.tokens.operator, '/commands/bulk');
    expect(job!.kind).toBe('profile');
    await jobRow.locator('button', { hasText: 'profile.apply' }).click();
    // Per-miner progress: the refused Antminer with its reason, the others moving through their states.
    const items = page.locator(`[data-testid=job-items][data-job="${job!.id}"] tbody tr`);
    await items.first().waitFor();
    expect(await items.count()).toBe(total);
    const refused = page.locator(`[data-testid=job-items] tr[data-state=refused]`);
    expect(await refused.count()).toBe(refusedN);
    expect((await refused.allTextContents()).filter((r) => r.includes('antminer-stock'))).toHaveLength(1);
    // Agents poll every 2 s and settle is 20 s; the bound only keeps a broken run from hanging.
    // The API is watched, not only the page, so a run that does not end names the items it waits on.
    let last: Job | undefined;
    const until = Date.now() + 150_000;
    while (Date.now() < until) {
      last = await apiGet<Job>(demo.controller.url, demo.tokens.operator, `/commands/bulk/${job!.id}`);
      if (last.state === 'done') break;
      await new Promise((r) => setTimeout(r, 2_000));
    }
    expect(
      last?.state,
      `job still ${last?.state}: ${JSON.stringify(last?.items.filter((i) => !['verified', 'refused'].includes(i.state)))}`,
    ).toBe('done');
    await page.waitForSelector(`[data-job-state="${job!.id}"]:has-text("done")`, { timeout: 30_000 });
    const done = await apiGet<Job>(demo.controller.url, demo.tokens.operator, `/commands/bulk/${job!.id}`);
    expect(done.state).toBe('done');
    expect(done.progress.refused).toBe(refusedN);
    // The demo's agents carry the Whatsminers' accounts: every power target took and was seen.
    expect(done.progress, JSON.stringify(done.items.filter((i) => i.state !== 'verified'))).toEqual({
      refused: refusedN,
      verified: total - refusedN,
    });
    expect(await page.textContent(`[data-job-progress="${job!.id}"]`)).toBe(
      Object.entries(done.progress)
        .map(([s, n]) => `${s} ${n}`)
        .join(' · '),
    );
    // The profile's sleep window became a schedule for the miners applied to, linked to the job.
    const schedule = page.locator('[data-testid=schedules] tbody tr', { hasText: 'kz-eco' });
    await schedule.waitFor();
    expect(await schedule.textContent()).toContain(job!.id.slice(0, 8));
    const [sched] = await apiGet<{ applicationId: string; schedule: { selector: { minerIds: string[] } } }[]>(
      demo.controller.url,
      demo.tokens.operator,
      '/curtailment',
    );
    expect(sched!.applicationId).toBe(job!.id);
    expect(sched!.schedule.selector.minerIds).toHaveLength(total - refusedN);
    mkdirSync(join(SHOT, '..'), { recursive: true });
    await page.screenshot({ path: SHOT, fullPage: true });
    await page.context().close();
  });
});
