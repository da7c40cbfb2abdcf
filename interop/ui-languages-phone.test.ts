/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { join } from 'node:path';
import type { RunningDemo } from '@hashfleet/demo/demo';
import { apiGet, waitFor } from '@hashfleet/demo/wait';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect, it } from 'vitest';
import en from '../controller/ui/locales/en.json' with { type: 'json' };
import kk from '../controller/ui/locales/kk.json' with { type: 'json' };
import ru from '../controller/ui/locales/ru.json' with { type: 'json' };
import zhCN from '../controller/ui/locales/zh-CN.json' with { type: 'json' };
import {
  demoInChromium,
  describeWithChromium,
  missingKeys,
  PHONE,
  screenshotDir,
  uuidsOnScreen,
  widths,
} from './lib/chromium.js';

/**
 * The web UI in Debian's Chromium against the whole demo, as people in Sichuan, Pavlodar and a NOC
 * use it: every view in English, Chinese, Russian and Kazakh asks for no key its catalogue lacks and
 * shows its navigation in that language; no view shows an internal UUID; at 390 × 844 no view
 * overflows the screen sideways (only the slot grid scrolls), the menu opens and the alerts' Ack
 * button is on screen; the header search finds a miner by serial as you type; the dark theme is
 * remembered and follows the system's preference by default. Screenshots go to artifacts/screenshots/,
 * or to docs/screenshots/ with HASHFLEET_DOC_SCREENSHOTS=1 (so a test run leaves the tree clean).
 */
const SHOTS = screenshotDir(true);
const LOCALES = { en, 'zh-CN': zhCN, ru, kk } as const;
type LocaleId = keyof typeof LOCALES;
/** `#/containers/sc-c1/miners/<id>` → `miner`, `#/alerts` → `alerts`: screenshot names without ids. */
const viewName = (hash: string) =>
  hash.includes('/miners/') ? 'miner' : hash.includes('/stakers/') ? 'staker' : hash.split('/')[1]!;

/** Every view an operator has, with what shows it is loaded. */
const VIEWS = [
  ['#/overview', '[data-testid=fleet-hashrate]'],
  ['#/alerts', '[data-testid=problems]'],
  ['#/tickets', '[data-testid=tickets]'],
  ['#/relocation', '[data-testid=relocation-ready]'],
  ['#/accounting', '[data-testid=accounting-ready]'],
  ['#/operations', '[data-testid=operations-ready]'],
] as const;

describeWithChromium('web UI in four languages, on a phone and on a wall screen (Chromium)', () => {
  let demo: RunningDemo;
  let browser: Browser;
  let containerId: string;
  let minerId: string;
  let stakerId: string;

  demoInChromium(
    {
      name: 'ui-lang',
      hooks: { minersPerContainer: 20, addressing: 'free-block' },
      shots: SHOTS,
      timeoutMs: 500_000,
    },
    async (started) => {
      ({ demo, browser } = started);
      containerId = demo.scenario.containers[0]!.id;
      const detail = await apiGet<{
        racks: { slots: { minerId: string | null; chipTempMaxC: number | null }[] }[];
      }>(demo.controller.url, demo.tokens.operator, `/containers/${containerId}`);
      const slots = detail.racks.flatMap((r) => r.slots).filter((s) => s.minerId && s.chipTempMaxC !== null);
      minerId = slots[0]!.minerId!;
      const stakers = await apiGet<{ id: string }[]>(demo.controller.url, demo.tokens.operator, '/stakers');
      stakerId = stakers[0]!.id;
      // Rows that refer to miners by internal id in the API: an open alert (a miner killed in the
      // simulator goes offline) and a ticket, so the UUID scan of those tables has something to scan.
      const victim = demo.scenario.miners.find((m) => m.containerId === demo.scenario.containers[1]!.id)!;
      await demo.simulation.setFault(victim.id, { kind: 'dead' });
      const opened = await fetch(`${demo.controller.url}/api/v1/tickets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${demo.tokens.operator}`, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'check the fans', minerId }),
      });
      expect(opened.status).toBe(201);
      await waitFor(
        'an open alert',
        async () =>
          (await apiGet<unknown[]>(demo.controller.url, demo.tokens.operator, '/alerts?state=open')).length >
          0,
        { timeoutMs: 180_000, everyMs: 1000 },
      );
    },
  );

  /** A logged-in operator page whose saved language (and theme) are set before the app starts. */
  async function open(
    locale: LocaleId,
    viewport = { width: 1280, height: 800 },
    extra: { theme?: 'dark' | 'light'; colorScheme?: 'dark' | 'light' } = {},
  ): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({
      viewport,
      colorScheme: extra.colorScheme ?? 'light',
      locale: 'en-US',
    });
    await context.addInitScript(
      ([token, lang, theme]) => {
        if (!sessionStorage.getItem('seeded')) {
          localStorage.setItem('hashfleet.token', token);
          localStorage.setItem('hashfleet.locale', lang);
          if (theme) localStorage.setItem('hashfleet.theme', theme);
          sessionStorage.setItem('seeded', '1');
        }
      },
      [demo.tokens.operator, locale, extra.theme ?? ''] as const,
    );
    const page = await context.newPage();
    await page.goto(`${demo.controller.url}/#/overview`);
    // On a phone the name sits in the folded menu: there but not visible.
    await page.waitForSelector('[data-testid=who]', { state: 'attached' });
    return { context, page };
  }

  const go = async (page: Page, hash: string, ready: string) => {
    await page.goto(`${demo.controller.url}/${hash}`);
    await page.waitForSelector(ready);
  };

  /** Every view of the operator, the container and the miner panel, and a staker's portal. */
  const allViews = (): (readonly [string, string])[] => [
    ...VIEWS,
    [`#/containers/${containerId}`, '[data-testid=container-grid] .cell[data-miner]:not([data-miner=""])'],
    [`#/containers/${containerId}/miners/${minerId}`, '[data-testid=miner-panel] table.boards tbody tr'],
    [`#/stakers/${stakerId}`, '[data-testid=staker-ready]'],
    ['#/approvals', '[data-testid=approvals-ready]'],
    ['#/alert-rules', '[data-testid=alert-rules-ready]'],
    ['#/pools', '[data-testid=pools-ready]'],
  ];

  it.each(Object.keys(LOCALES) as LocaleId[])(
    '%s: every view renders with no key missing from its catalogue, the navigation in that language and no UUID on screen',
    async (locale) => {
      const { context, page } = await open(locale);
      const catalogue: Record<string, string> = LOCALES[locale];
      expect(await page.getAttribute('html', 'lang')).toBe(locale);
      expect(await page.locator('header nav a').allTextContents()).toEqual(
        [
          'overview',
          'container',
          'alerts',
          'tickets',
          'relocation',
          'accounting',
          'operations',
          'staker',
          'approvals',
          'alertRules',
          'pools',
        ].map((v) => catalogue[`nav.${v}`]),
      );
      for (const [hash, ready] of allViews()) {
        await go(page, hash, ready);
        // Names that load after the table (events, tickets) replace their placeholders first.
        await page.waitForTimeout(300);
        if (hash === '#/alerts' || hash === '#/tickets') {
          expect(await page.locator(`${ready} tbody tr`).count(), `${locale} ${hash}: rows`).toBeGreaterThan(
            0,
          );
        }
        expect(await uuidsOnScreen(page), `${locale} ${hash}: UUIDs on screen`).toEqual([]);
        expect(await page.locator('.error').count(), `${locale} ${hash}: error shown`).toBe(0);
        // Every view in English, as much as one screen holds.
        if (locale === 'en') await page.screenshot({ path: join(SHOTS, `view-${viewName(hash)}.png`) });
      }
      expect(await missingKeys(page)).toEqual([]);
      await go(page, `#/containers/${containerId}`, allViews()[6]![1]);
      await page.locator('.container-panel').screenshot({ path: join(SHOTS, `container-${locale}.png`) });
      await go(page, `#/containers/${containerId}/miners/${minerId}`, allViews()[7]![1]);
      await page
        .locator('[data-testid=miner-panel]')
        .screenshot({ path: join(SHOTS, `miner-${locale}.png`) });
      expect(await missingKeys(page)).toEqual([]);
      await context.close();
    },
  );

  it.each(['ru', 'zh-CN'] as const)(
    "%s: the dead miner's offline alert reads in that language in the alerts list and on its miner page, with no English",
    async (locale) => {
      const alerts = await apiGet<
        {
          kind: string;
          minerId: string | null;
          containerId: string | null;
          message: string;
          messageKey?: string;
        }[]
      >(demo.controller.url, demo.tokens.operator, '/alerts?state=open&kind=offline');
      const dead = alerts.find((a) => a.minerId && a.containerId && a.messageKey);
      expect(dead, 'an open offline alert with a message key').toBeDefined();
      const catalogue: Record<string, string> = LOCALES[locale];
      const { context, page } = await open(locale);
      const shown = async (where: string) => {
        const text = ((await page.locator(where).first().textContent()) ?? '').trim();
        expect(text, `${locale} ${where}`).toBe(catalogue[dead!.messageKey!]);
        expect(text).not.toBe(dead!.message);
        expect(text, `${locale} ${where}: English words`).not.toMatch(/[A-Za-z]{2,}/);
      };
      await go(page, '#/alerts', '[data-testid=problems] tbody tr');
      const row = page.locator('[data-testid=problems] tbody tr', {
        has: page.locator(`a[href*="${dead!.minerId}"]`),
      });
      expect(await row.first().textContent()).toContain(catalogue['alertKind.offline']);
      await shown(
        `[data-testid=problems] tbody tr:has(a[href*="${dead!.minerId}"]) [data-testid=alert-message]`,
      );
      await go(
        page,
        `#/containers/${dead!.containerId}/miners/${dead!.minerId}`,
        '[data-testid=miner-alerts] [data-testid=alert-message]',
      );
      await shown('[data-testid=miner-alerts] [data-testid=alert-message]');
      expect(await missingKeys(page)).toEqual([]);
      await context.close();
    },
  );

  it('at 390 × 844 no view overflows sideways, the grid scrolls by rack, the menu opens and Ack is on screen', async () => {
    for (const locale of Object.keys(LOCALES) as LocaleId[]) {
      const { context, page } = await open(locale, PHONE);
      for (const [hash, ready] of allViews()) {
        await go(page, hash, ready);
        // Elements poking past the right edge, outside the scrolling grid and tables.
        const wide = await widths(
          page,
          '.racks, .container-list ul, table.boards, table[data-testid=job-items], .u-wrap',
        );
        expect(
          wide.page,
          `${locale} ${hash}: page wider than the screen (${wide.out.join(', ')})`,
        ).toBeLessThanOrEqual(wide.screen);
        expect(wide.out, `${locale} ${hash}`).toEqual([]);
      }
      if (locale === 'en' || locale === 'ru') {
        // The navigation is folded away until the menu button opens it.
        expect(await page.locator('header nav').isVisible()).toBe(false);
        await page.click('[data-testid=menu-toggle]');
        await page.locator('header nav a').first().waitFor({ state: 'visible' });
        // The language, theme and log-out controls are in the menu too, inside the screen.
        const logout = await page.locator('header .prefs button').last().boundingBox();
        expect(logout!.x + logout!.width).toBeLessThanOrEqual(PHONE.width);
        await page.click('[data-testid=menu-toggle]');
      }
      await go(page, `#/containers/${containerId}`, allViews()[6]![1]);
      const grid = await page.evaluate(() => {
        const racks = document.querySelector('[data-testid=container-grid]') as HTMLElement;
        return {
          snap: getComputedStyle(racks).scrollSnapType,
          scrolls: racks.scrollWidth > racks.clientWidth,
          width: racks.getBoundingClientRect().width,
        };
      });
      expect(grid.snap).toContain('x');
      expect(grid.width).toBeLessThanOrEqual(PHONE.width);
      await page.screenshot({ path: join(SHOTS, `phone-container-${locale}.png`) });
      await go(page, `#/containers/${containerId}/miners/${minerId}`, allViews()[7]![1]);
      // The panel sits under the grid on a phone: the shot starts at its header.
      await page.locator('[data-testid=miner-panel]').evaluate((e) => e.scrollIntoView({ block: 'start' }));
      await page.screenshot({ path: join(SHOTS, `phone-miner-${locale}.png`) });
      await go(page, '#/alerts', '[data-testid=problems]');
      const ack = page.locator('[data-testid=problems] tbody tr button').first();
      if ((await ack.count()) > 0) {
        const box = await ack.boundingBox();
        expect(box!.x).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.width);
      }
      expect(await missingKeys(page)).toEqual([]);
      await context.close();
    }
  });

  it('the header search finds a miner by its serial as you type, opens it in its container, and finds it by its slot', async () => {
    const miner = await apiGet<{ serial: string; containerId: string; rack: string; slot: string }>(
      demo.controller.url,
      demo.tokens.operator,
      `/miners/${minerId}`,
    );
    const { context, page } = await open('en');
    await page.click('input[name=search]');
    // Typed key by key, like a person reading the label: results come while typing.
    await page.keyboard.type(miner.serial, { delay: 30 });
    const hit = page.locator(`[data-testid=search-results] a[data-miner="${minerId}"]`);
    await hit.waitFor();
    expect(await hit.textContent()).toContain(`${miner.rack}/${miner.slot}`);
    expect(await hit.textContent()).toContain(miner.serial);
    expect(await uuidsOnScreen(page)).toEqual([]);
    await hit.click();
    await page.waitForSelector(`[data-testid=miner-panel][data-miner="${minerId}"]`);
    expect(page.url()).toContain(`#/containers/${miner.containerId}/miners/${minerId}`);
    // By its slot, as written on the rack: the container's grid names the miner standing there.
    await page.fill('input[name=search]', `${miner.containerId} ${miner.rack}/${miner.slot}`);
    const slotHit = page.locator(`[data-testid=search-slots] a[data-miner="${minerId}"]`);
    await slotHit.waitFor();
    expect(await slotHit.textContent()).toContain(miner.serial);
    await context.close();
  });

  it('the dark theme follows the system preference, and a choice made with the toggle is remembered', async () => {
    const bg = (page: Page) =>
      page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    const dark = await open('en', undefined, { colorScheme: 'dark' });
    expect(await dark.page.getAttribute('html', 'data-theme')).toBe('dark');
    const darkBg = await bg(dark.page);
    await dark.context.close();

    const { context, page } = await open('en', undefined, { colorScheme: 'light' });
    expect(await page.getAttribute('html', 'data-theme')).toBe('light');
    const lightBg = await bg(page);
    expect(darkBg).not.toBe(lightBg);
    await page.click('[data-testid=theme-toggle]');
    expect(await page.getAttribute('html', 'data-theme')).toBe('dark');
    await page.reload();
    await page.waitForSelector('[data-testid=who]');
    expect(await page.getAttribute('html', 'data-theme')).toBe('dark');
    expect(await bg(page)).toBe(darkBg);
    await go(page, `#/containers/${containerId}`, allViews()[6]![1]);
    await page.locator('.container-panel').screenshot({ path: join(SHOTS, 'container-dark.png') });
    await context.close();
  });
});
