import { join } from 'node:path';
import { logIn } from '@hashfleet/demo/browser';
import type { RunningDemo } from '@hashfleet/demo/demo';
import { apiGet, waitFor } from '@hashfleet/demo/wait';
import type { Browser, Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { demoInChromium, describeWithChromium, missingKeys, screenshotDir, UUID } from './lib/chromium.js';

/**
 * Two-person approval in Debian's Chromium against the demo (issue 19 item 6): an operator
 * proposes a relocation plan through the form (a wrong field is refused beside it first), finds it
 * in the approvals inbox with no Approve button of their own (and the API refuses them); a second
 * operator approves it from the inbox; the admin's audit screen shows both steps under the two
 * people's names and the plan's name, with no internal id on screen. Screenshots go to
 * artifacts/screenshots/.
 */
const SHOTS = screenshotDir();
const PLAN = 'Winter move e2e';

type Plan = { id: string; name: string; state: string; proposedBy: string; approvedBy: string | null };
type Item = { kind: string; id: string; title: string | null; approvePath: string };

describeWithChromium('approvals inbox and audit screen in Chromium', () => {
  let demo: RunningDemo;
  let browser: Browser;
  let second: string;

  demoInChromium(
    {
      name: 'ui-approvals',
      hooks: { minersPerContainer: 10, addressing: 'free-block', pdus: 'off' },
      shots: SHOTS,
    },
    async (started) => {
      ({ demo, browser } = started);
      const res = await fetch(`${demo.controller.url}/api/v1/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${demo.tokens.admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ role: 'operator', name: 'Bolat Seitkali' }),
      });
      expect(res.status, await res.clone().text()).toBe(201);
      second = ((await res.json()) as { token: string }).token;
    },
  );

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const plans = () => apiGet<Plan[]>(demo.controller.url, demo.tokens.admin, '/relocation/plans');

  it('operator proposes through the form; the inbox offers them no approve; a second operator approves; the audit names both', async () => {
    // The requester: the form refuses a wrong field beside it, then proposes.
    const page = await logIn(browser, demo.controller.url, demo.tokens.operator);
    await page.goto(`${demo.controller.url}/#/relocation`);
    await page.waitForSelector('[data-testid=proposal-form] input[name=horizonMonths]');
    const form = page.locator('[data-testid=proposal-form]');
    await form.locator('input[name=name]').fill(PLAN);
    await form.locator('input[name=horizonMonths]').fill('1.5');
    await form.locator('button[type=submit]').click();
    const fieldError = form.locator('label:has(input[name=horizonMonths]) [data-testid=field-error]');
    expect(await fieldError.textContent()).toBe('A whole number.');
    expect(await form.locator('[data-testid=field-error]').count()).toBe(1);
    expect(await plans()).toEqual([]);
    await form.locator('input[name=horizonMonths]').fill('6');
    await form.locator('button[type=submit]').click();
    await waitFor('the proposed plan', async () => (await plans()).find((p) => p.name === PLAN), {
      timeoutMs: 120_000,
      everyMs: 1_000,
    });
    const [plan] = await plans();
    expect(plan).toMatchObject({ name: PLAN, state: 'proposed', proposedBy: 'demo-operator' });

    // The requester's inbox: the plan is there, with no Approve, and the API refuses them too.
    await page.goto(`${demo.controller.url}/#/approvals`);
    const mine = page.locator(`[data-testid=approvals] tr[data-kind=relocation][data-title="${PLAN}"]`);
    await mine.waitFor();
    expect(await mine.getAttribute('data-mine')).toBe('true');
    expect(await mine.locator('button[data-action=approve]').count()).toBe(0);
    expect(await mine.locator('[data-testid=no-approve]').textContent()).toContain('your request');
    await shot(page, 'approvals-requester');
    const [item] = await apiGet<Item[]>(demo.controller.url, demo.tokens.operator, '/approvals');
    const refused = await fetch(`${demo.controller.url}/api/v1${item!.approvePath}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${demo.tokens.operator}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(refused.status).toBe(403);
    await page.context().close();

    // The second operator approves it from the inbox.
    const other = await logIn(browser, demo.controller.url, second);
    await other.goto(`${demo.controller.url}/#/approvals`);
    const row = other.locator(`[data-testid=approvals] tr[data-kind=relocation][data-title="${PLAN}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('demo-operator');
    await shot(other, 'approvals-second-person');
    await row.locator('button[data-action=approve]').click();
    await other.locator('[data-testid=approvals-message]', { hasText: 'done' }).waitFor();
    await other.locator('[data-testid=approvals]', { hasText: 'Nothing waits for approval.' }).waitFor();
    expect((await plans())[0]).toMatchObject({ state: 'approved', approvedBy: 'Bolat Seitkali' });
    await other.context().close();

    // The audit screen: both steps, each under its person's name, the plan by its name.
    const admin = await logIn(browser, demo.controller.url, demo.tokens.admin);
    await admin.goto(`${demo.controller.url}/#/audit`);
    await admin.waitForSelector('[data-testid=audit-ready]');
    await admin.selectOption('select[name=kind]', 'relocation.');
    await admin.click('[data-testid=audit-filters] button[type=submit]');
    const proposed = admin.locator('[data-testid=audit] tr[data-action="relocation.plan.propose"]');
    const approved = admin.locator('[data-testid=audit] tr[data-action="relocation.plan.approve"]');
    await approved.waitFor();
    // Besides the demo's own relocation.site.set rows (its sites' planning facts, stored at start).
    expect(await admin.locator('[data-testid=audit] tbody tr[data-action^="relocation.plan."]').count()).toBe(
      2,
    );
    const proposedText = (await proposed.textContent()) ?? '';
    const approvedText = (await approved.textContent()) ?? '';
    expect(proposedText).toContain('demo-operator');
    expect(proposedText).toContain('proposed a relocation plan');
    expect(proposedText).toContain(PLAN);
    expect(approvedText).toContain('Bolat Seitkali');
    expect(approvedText).toContain('approved a relocation plan');
    expect(approvedText).toContain(PLAN);
    // Filtered by person: only the approver's step.
    await admin.selectOption('select[name=actor]', 'Bolat Seitkali');
    await admin.click('[data-testid=audit-filters] button[type=submit]');
    await admin.locator('[data-testid=audit] tbody tr').first().waitFor();
    await waitFor(
      'the audit filtered to one person',
      async () => (await admin.locator('[data-testid=audit] tbody tr').count()) === 1,
      { timeoutMs: 30_000 },
    );
    expect(await admin.locator('[data-testid=audit] tbody tr').getAttribute('data-actor')).toBe(
      'Bolat Seitkali',
    );
    const text = await admin.evaluate(() => document.body.innerText);
    expect(text.match(UUID)).toBeNull();
    expect(await admin.locator('.error').count()).toBe(0);
    await shot(admin, 'audit');
    await admin.context().close();
  });

  it('operator: the profile and schedule editors refuse a wrong field beside it, in Russian too, then save through the API', async () => {
    const page = await logIn(browser, demo.controller.url, demo.tokens.operator);
    await page.goto(`${demo.controller.url}/#/operations`);
    await page.waitForSelector('[data-testid=operations-ready]');
    await page.click('[data-testid=profile-editors] button[data-action=new-profile]');
    const profile = page.locator('[data-testid=profile-editor]');
    await profile.locator('input[name=name]').fill('Night Eco');
    await profile.locator('input[name="presets.0.powerTargetW"]').fill('50');
    await profile.locator('button[type=submit]').click();
    expect(
      await profile.locator('label:has(input[name=name]) [data-testid=field-error]').textContent(),
    ).toContain('Lower-case letters');
    expect(
      await profile
        .locator('label:has(input[name="presets.0.powerTargetW"]) [data-testid=field-error]')
        .textContent(),
    ).toBe('From 100 to 20000.');
    await profile.locator('input[name=name]').fill('night-eco');
    await profile.locator('input[name="presets.0.powerTargetW"]').fill('2800');
    await profile.locator('button[type=submit]').click();
    await page.locator('[data-testid=operations-message]', { hasText: 'save profile night-eco' }).waitFor();
    const profiles = await apiGet<{ name: string; presets: { powerTargetW?: number }[] }[]>(
      demo.controller.url,
      demo.tokens.operator,
      '/operating-profiles',
    );
    expect(profiles.find((p) => p.name === 'night-eco')?.presets).toEqual([
      { model: '*', powerTargetW: 2800 },
    ]);

    await page.click('[data-testid=schedule-editors] button[data-action=new-schedule]');
    const schedule = page.locator('[data-testid=schedule-editor]');
    await schedule.locator('input[name="windows.0.from"]').fill('6pm');
    await schedule.locator('button[type=submit]').click();
    expect(await schedule.locator('[data-testid=field-error]').count()).toBe(2);
    await schedule.locator('input[name=name]').fill('Evening peak');
    await schedule.locator('input[name="windows.0.from"]').fill('18:00');
    await schedule.locator('button[type=submit]').click();
    await page
      .locator('[data-testid=schedules] tbody tr', { hasText: 'Evening peak' })
      .waitFor({ timeout: 30_000 });
    await shot(page, 'operations-editors');

    // The same forms in Russian: the errors read in Russian and no key is missing.
    await page.selectOption('select[name=locale]', 'ru');
    await page.click('[data-testid=profile-editors] button[data-action=new-profile]');
    await page.locator('[data-testid=profile-editor] button[type=submit]').click();
    const ru =
      (await page.locator('[data-testid=profile-editor] [data-testid=field-error]').first().textContent()) ??
      '';
    expect(ru).toMatch(/[а-яё]/i);
    await page.click('[data-testid=schedule-editors] button[data-action=new-schedule]');
    expect(await missingKeys(page)).toEqual([]);
    await page.context().close();
  });
});
