import { join } from 'node:path';
import type { RunningDemo } from '@hashfleet/demo/demo';
import { apiGet, waitFor } from '@hashfleet/demo/wait';
import type { Browser } from 'playwright-core';
import { expect, it } from 'vitest';
import { demoInChromium, describeWithChromium, openSeeded, screenshotDir, widths } from './lib/chromium.js';

/**
 * A site's planning facts and the difficulty-growth assumption through the relocation screen, in
 * Debian's Chromium on a 390 x 844 phone against the demo (issue 18 item 6): an operator picks
 * Kazakhstan, types a month that is no number and is refused beside that cell and by name under
 * the form (nothing stored); then enters twelve monthly temperatures with their source and a new
 * salvage value for the S9 and saves (audited under their name); proposes a plan with 1.5 %
 * difficulty growth a month. The plan's inputs (API and screen) carry the stored temperatures,
 * the salvage, the growth and Sichuan's stored repair-centre flag, which the proposal form used to
 * override with its own default. The page never grows wider than the phone. Screenshots go to
 * artifacts/screenshots/.
 */
const SHOTS = screenshotDir();
// Test figures typed as an operator would, not a climate normal.
const CLIMATE = [-15, -13, -6, 6, 14, 20, 21, 19, 12, 5, -5, -12];
const PLAN = 'Facts from the screen';

type Facts = {
  siteId: string;
  repairCentre: boolean;
  ambientC: number[] | null;
  ambientSource: string | null;
  salvageUsd: Record<string, number>;
};
type PlanSite = { id: string; repairSite: boolean; ambientC: number[]; salvageUsd: Record<string, number> };
type Plan = {
  id: string;
  name: string;
  assumptions: { market: { difficultyGrowthPctPerMonth: number }; sites: PlanSite[] };
};
type AuditEntry = { action: string; subject: string; actor: { name: string } };

describeWithChromium('relocation site facts and difficulty growth in Chromium', () => {
  let demo: RunningDemo;
  let browser: Browser;

  demoInChromium(
    {
      name: 'ui-reloc-facts',
      hooks: { minersPerContainer: 10, addressing: 'free-block', pdus: 'off' },
      shots: SHOTS,
    },
    (started) => {
      ({ demo, browser } = started);
    },
  );

  const url = () => demo.controller.url;
  const facts = async (site: string) =>
    (await apiGet<Facts[]>(url(), demo.tokens.operator, '/relocation/sites')).find((f) => f.siteId === site)!;

  it("an operator on a phone edits Kazakhstan's facts and the difficulty growth; the next plan's inputs carry them", async () => {
    const page = await openSeeded(browser, url(), demo.tokens.operator, '#/relocation');
    const form = page.locator('[data-testid=site-facts-form]');
    await form.locator('select[name=site]').waitFor();
    await form.locator('select[name=site]').selectOption('kazakhstan');
    // The demo stores the S9's salvage; the form starts from it.
    expect(await form.locator('input[name="salvage.0.model"]').inputValue()).toBe('Antminer S9');
    const before = await facts('kazakhstan');
    expect(before).toMatchObject({ ambientC: null, salvageUsd: { 'Antminer S9': 30 } });

    // A month that is no number: refused beside its cell and named under the form; nothing stored.
    await form.locator('input[name="ambientC.2"]').fill('warm');
    await form.locator('button[type=submit]').click();
    const cellError = form.locator('td:has(input[name="ambientC.2"]) [data-testid=field-error]');
    expect(await cellError.textContent()).toBe('A number.');
    const named = (await form.locator('[data-testid=wrong-fields]').textContent()) ?? '';
    expect(named).toContain('Mean temperature in Mar, °C');
    expect(named).toContain('Mean temperature in Jan, °C');
    expect(named).toContain('Source of the temperatures');
    await page.screenshot({ path: join(SHOTS, 'phone-relocation-facts-refused.png'), fullPage: true });
    expect(await facts('kazakhstan')).toEqual(before);

    for (const [i, c] of CLIMATE.entries()) await form.locator(`input[name="ambientC.${i}"]`).fill(String(c));
    await form.locator('input[name=ambientSource]').fill('operator test figures, not a climate normal');
    await form.locator('input[name="salvage.0.usd"]').fill('25');
    await form.locator('button[type=submit]').click();
    await page.locator('p.muted', { hasText: 'planning facts saved' }).waitFor();
    expect(await form.locator('[data-testid=field-error]').count()).toBe(0);
    expect(await facts('kazakhstan')).toMatchObject({
      repairCentre: false,
      ambientC: CLIMATE,
      ambientSource: 'operator test figures, not a climate normal',
      salvageUsd: { 'Antminer S9': 25 },
    });
    const audit = await apiGet<AuditEntry[]>(url(), demo.tokens.admin, '/audit?limit=200');
    const set = audit.filter((a) => a.action === 'relocation.site.set' && a.subject === 'site kazakhstan');
    expect(set.map((a) => a.actor.name)).toContain('demo-operator');

    // The proposal with 1.5 % difficulty growth a month.
    const proposal = page.locator('[data-testid=proposal-form]');
    await proposal.locator('input[name=name]').fill(PLAN);
    await proposal.locator('input[name=horizonMonths]').fill('6');
    await proposal.locator('input[name=difficultyGrowthPct]').fill('1,5');
    await proposal.locator('button[type=submit]').click();
    const summary = await waitFor(
      'the proposed plan',
      async () =>
        (await apiGet<{ id: string; name: string }[]>(url(), demo.tokens.operator, '/relocation/plans')).find(
          (p) => p.name === PLAN,
        ),
      { timeoutMs: 120_000, everyMs: 1_000 },
    );
    const plan = await apiGet<Plan>(url(), demo.tokens.operator, `/relocation/plans/${summary.id}`);
    expect(plan.assumptions.market.difficultyGrowthPctPerMonth).toBe(1.5);
    const site = (id: string) => plan.assumptions.sites.find((s) => s.id === id)!;
    expect(site('kazakhstan')).toMatchObject({
      repairSite: false,
      ambientC: CLIMATE,
      salvageUsd: { 'Antminer S9': 25 },
    });
    // Sichuan's stored repair-centre flag, no longer overridden by the proposal form's default.
    expect(site('sichuan').repairSite).toBe(true);

    // The same inputs on screen, under the plan.
    await page.locator('[data-testid=plans] button', { hasText: PLAN }).click();
    const market = page.locator('[data-testid=plan-market]');
    await market.waitFor();
    expect(await market.textContent()).toContain('difficulty growth 1.5 % per month');
    expect(await page.locator('[data-testid=plan-sites]').textContent()).toContain(CLIMATE.join(' '));

    const wide = await widths(page);
    expect(wide.page).toBeLessThanOrEqual(wide.screen);
    await page.screenshot({ path: join(SHOTS, 'phone-relocation-facts-plan.png'), fullPage: true });
    await page.context().close();
  }, 240_000);

  it.each(['zh-CN', 'ru', 'kk'])(
    '%s: the site facts and the proposal fit the phone, every string from the catalogue',
    async (locale) => {
      const page = await openSeeded(browser, url(), demo.tokens.operator, '#/relocation', locale);
      await page.locator('[data-testid=site-facts-form] select[name=site]').waitFor();
      await page.locator('[data-testid=proposal-form] input[name=difficultyGrowthPct]').waitFor();
      const wide = await widths(page);
      expect(wide.page, `wider than the phone: ${wide.out.join(', ')}`).toBeLessThanOrEqual(wide.screen);
      // No English left in the new form (its month column header is the catalogue's).
      expect(await page.locator('[data-testid=site-months] thead').textContent()).not.toContain('Month');
      await page.screenshot({ path: join(SHOTS, `phone-relocation-facts-${locale}.png`), fullPage: true });
      await page.context().close();
    },
  );
});
