import { join } from 'node:path';
import { logIn } from '@hashfleet/demo/browser';
import type { RunningDemo } from '@hashfleet/demo/demo';
import { apiGet } from '@hashfleet/demo/wait';
import type { Browser, Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { demoInChromium, describeWithChromium, screenshotDir, UUID, widths } from './lib/chromium.js';

/**
 * A whole container moved in one action, in Debian's Chromium against the demo (issue 19 items 4
 * and 6): a plan proposed from the demo's inventory and approved by a second operator; the operator
 * opens it, advances every planned move of one container's departure with one button, opens that
 * container's move sheet and finds every move of it there, by rack and slot, each with a QR code of
 * its miner's page, and no internal id on screen; printed, the sheet has no navigation and reads
 * black on white; at 390 px wide, in Russian, it fits the screen. The miner view shows the same QR,
 * and its URL opens that miner.
 */
/** To artifacts/, or to docs/screenshots/ with HASHFLEET_DOC_SCREENSHOTS=1 (as ui-languages-phone.test.ts). */
const SHOTS = screenshotDir(true);
const PLAN = 'Dry season e2e';

type Move = {
  id: string;
  minerId: string;
  fromContainer: string | null;
  batchId: string;
  state: string;
  serial: string | null;
  serialExpected: string | null;
};

describeWithChromium('move sheet and whole-container advance in Chromium', () => {
  let demo: RunningDemo;
  let browser: Browser;
  let planId: string;

  const call = async (token: string, path: string, body: unknown) => {
    const res = await fetch(`${demo.controller.url}/api/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };

  demoInChromium(
    {
      name: 'ui-move-sheet',
      hooks: { minersPerContainer: 10, addressing: 'free-block', pdus: 'off' },
      shots: SHOTS,
    },
    async (started) => {
      ({ demo, browser } = started);
      // The plan as the proposal form makes it (its default assumptions), approved by a second operator.
      const sites = (await apiGet<{ id: string }[]>(demo.controller.url, demo.tokens.admin, '/sites')).map(
        (s) => s.id,
      );
      const routes = sites.flatMap((a) =>
        sites
          .filter((b) => b !== a)
          .map((b) => ({
            from: a,
            to: b,
            transitDays: 10,
            costPerMinerUsd: 20,
            costPerContainerUsd: 4000,
            customsPerMinerUsd: 15,
          })),
      );
      const start = new Date();
      start.setUTCMonth(start.getUTCMonth() + 1);
      const plan = await call(demo.tokens.operator, '/relocation/plans', {
        name: PLAN,
        assumptions: {
          start: start.toISOString().slice(0, 7),
          horizonMonths: 12,
          market: { btcPriceUsd: 90_000, hashpriceBtcPerPhDay: 0.0006 },
          routes,
        },
      });
      expect(plan['moveCount'] as number).toBeGreaterThan(0);
      planId = plan['id'] as string;
      const second = (await call(demo.tokens.admin, '/tokens', { role: 'operator', name: 'Bolat Seitkali' }))[
        'token'
      ] as string;
      await call(second, `/relocation/plans/${planId}/approve`, {});
    },
  );

  /** The first screenful, kept small. */
  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
  const moves = () =>
    apiGet<Move[]>(demo.controller.url, demo.tokens.operator, `/relocation/moves?planId=${planId}`);
  const minerUrl = (id: string) => `${demo.controller.url}/#/miners/${id}`;

  it('an operator advances a whole container in one action and prints its move sheet, a QR per miner', async () => {
    // The container and departure (batch) with the most moves leaving together.
    const all = await moves();
    const counts = new Map<string, number>();
    for (const m of all)
      if (m.fromContainer)
        counts.set(
          `${m.fromContainer} ${m.batchId}`,
          (counts.get(`${m.fromContainer} ${m.batchId}`) ?? 0) + 1,
        );
    const [key, n] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
    const [containerId, batchId] = key.split(' ') as [string, string];
    expect(n).toBeGreaterThan(1);
    const inGroup = (m: Move) => m.fromContainer === containerId && m.batchId === batchId;

    const page = await logIn(browser, demo.controller.url, demo.tokens.operator);
    await page.goto(`${demo.controller.url}/#/relocation`);
    await page.waitForSelector('[data-testid=relocation-ready]');
    await page.locator('[data-testid=plans] button', { hasText: PLAN }).click();
    const row = page.locator(
      `[data-testid=container-groups] tr[data-container="${containerId}"][data-batch="${batchId}"]`,
    );
    await row.waitFor();
    expect(await row.locator('[data-state=planned]').getAttribute('data-count')).toBe(String(n));
    await page.locator('[data-testid=container-groups]').screenshot({
      path: join(SHOTS, 'view-relocation-containers.png'),
    });

    // One action for the whole group.
    await row.locator('button[data-action=advance-container][data-from=planned]').click();
    await page
      .locator('[data-testid=bulk-message]', { hasText: `${n} advanced, 0 refused` })
      .waitFor({ timeout: 30_000 });
    await row.locator(`[data-state=decommissioned][data-count="${n}"]`).waitFor();
    expect(await row.locator('[data-state=planned]').count()).toBe(0);
    const after = await moves();
    expect(after.filter(inGroup).map((m) => m.state)).toEqual(Array(n).fill('decommissioned'));
    // Every other move, the same container's later departures included, is untouched.
    expect(after.filter((m) => !inGroup(m)).every((m) => m.state === 'planned')).toBe(true);

    // The container's move sheet: every move leaving it, a QR of each miner's page beside it.
    const mine = after.filter((m) => m.fromContainer === containerId);
    await row.locator('a[data-action=sheet]').click();
    await page.waitForSelector('[data-testid=move-sheet-ready]');
    const rows = page.locator('[data-testid=move-sheet] tbody tr');
    expect(await rows.count()).toBe(mine.length);
    const serials = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-serial')));
    expect([...serials].sort()).toEqual(mine.map((m) => m.serial ?? m.serialExpected).sort());
    // Each row's QR encodes its own miner's page.
    const bySerial = new Map(mine.map((m) => [m.serial ?? m.serialExpected, m.minerId]));
    for (let i = 0; i < mine.length; i++) {
      const tr = rows.nth(i);
      const serial = await tr.getAttribute('data-serial');
      expect(await tr.locator('svg.qr').getAttribute('data-url')).toBe(minerUrl(bySerial.get(serial)!));
    }
    const text = await page.evaluate(() => document.body.innerText);
    expect(text.match(UUID)).toBeNull();
    expect(await page.locator('.error').count()).toBe(0);
    await shot(page, 'view-move-sheet');

    // On paper: no navigation, no buttons, black on white.
    await page.emulateMedia({ media: 'print', colorScheme: 'dark' });
    expect(await page.locator('header').isVisible()).toBe(false);
    expect(await page.locator('button[data-action=print]').isVisible()).toBe(false);
    const colours = await page.evaluate(() => {
      const cell = document.querySelector('[data-testid=move-sheet] tbody td')!;
      return { body: getComputedStyle(document.body).backgroundColor, cell: getComputedStyle(cell).color };
    });
    expect(colours).toEqual({ body: 'rgb(255, 255, 255)', cell: 'rgb(0, 0, 0)' });
    await page.screenshot({ path: join(SHOTS, 'move-sheet-print.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });

    // On a technician's phone: rows become cards, nothing pokes out sideways; in Russian too.
    await page.selectOption('select[name=locale]', 'ru');
    await page.locator('h1', { hasText: 'Лист перемещения' }).waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    const wide = await widths(page);
    expect(wide.page).toBeLessThanOrEqual(wide.screen);
    expect(await rows.first().locator('td').first().getAttribute('data-label')).toBe('Слот');
    expect(await rows.locator('svg.qr').count()).toBe(mine.length);
    await shot(page, 'phone-move-sheet-ru');
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.selectOption('select[name=locale]', 'en');

    // The QR's URL opens that miner, whose view shows the same QR.
    const first = mine[0]!;
    await page.goto(minerUrl(first.minerId));
    const panel = page.locator(`[data-testid=miner-panel][data-miner="${first.minerId}"]`);
    await panel.locator('[data-testid=miner-qr] svg.qr').waitFor();
    expect(await panel.locator('[data-testid=miner-qr] svg.qr').getAttribute('data-url')).toBe(
      minerUrl(first.minerId),
    );
    await shot(page, 'view-miner-qr');
    await page.context().close();
  });
});
