/// <reference lib="dom" />
import { join } from 'node:path';
import { logIn } from '@hashfleet/demo/browser';
import type { RunningDemo } from '@hashfleet/demo/demo';
import { apiGet } from '@hashfleet/demo/wait';
import type { Browser } from 'playwright-core';
import { expect, it } from 'vitest';
import {
  demoInChromium,
  describeWithChromium as describeUi,
  missingKeys,
  openSeeded,
  PHONE,
  screenshotDir,
  uuidsOnScreen,
  widths,
} from './lib/chromium.js';

/**
 * The operators' editors that had no screen (issue 19 item 6), each job done in Debian's Chromium
 * against the demo as a person would: an operator allows a pool and a worker pattern at a site
 * (a wrong pool refused beside its field first) and removes the pattern again; records a pool
 * credit (the closed period's refusal shown, then an open one), a cost in USD and a stake entry,
 * each previewed before it is stored and then listed; an admin makes a user token, sees its secret
 * once, logs in with it, and revokes an agent token, which the API then refuses. None of these
 * waits for a second person in the API (each is recorded at once and audited), so none goes
 * through the approvals inbox; the audit log names who did each. Every screen shows no UUID and
 * fits 390 px without sideways overflow. Screenshots go to artifacts/screenshots/, or to
 * docs/screenshots/ with HASHFLEET_DOC_SCREENSHOTS=1.
 */
const SHOTS = screenshotDir(true);
const POOL = 'stratum+tcp://pool.kz1.example:3333';

type Rule = { kind: string; scope: string; scopeId: string | null; params: { allowedPools?: string[] } };
type AuditEntry = { action: string; actorName?: string; actor?: string };

describeUi('operators’ editors in Chromium: pools and workers, accounting entries, users and tokens', () => {
  let demo: RunningDemo;
  let browser: Browser;
  let siteId: string;
  let containerId: string;

  demoInChromium(
    {
      name: 'ui-editors',
      hooks: { minersPerContainer: 10, addressing: 'free-block', pdus: 'off' },
      shots: SHOTS,
    },
    (started) => {
      ({ demo, browser } = started);
      containerId = demo.scenario.containers[0]!.id;
      siteId = demo.scenario.containers[0]!.siteId;
    },
  );

  const url = () => demo.controller.url;

  /** The view at 390 × 844: the page no wider than the screen, nothing poking past its right edge. */
  async function fitsPhone(token: string, hash: string, ready: string, focus?: string): Promise<void> {
    const page = await openSeeded(browser, url(), token, hash);
    await page.waitForSelector(ready);
    const wide = await widths(page);
    expect(wide.page, `${hash}: wider than the screen (${wide.out.join(', ')})`).toBeLessThanOrEqual(
      wide.screen,
    );
    expect(wide.out, hash).toEqual([]);
    expect(await uuidsOnScreen(page), `${hash} on a phone`).toEqual([]);
    if (focus) await page.locator(focus).evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: join(SHOTS, `phone-${hash.slice(2)}-en.png`) });
    await page.context().close();
  }

  const audit = () => apiGet<AuditEntry[]>(url(), demo.tokens.admin, '/audit?limit=200');

  it('an operator allows a pool and a worker pattern at a site, and removes the pattern again', async () => {
    const page = await logIn(browser, url(), demo.tokens.operator);
    await page.goto(`${url()}/#/pools`);
    await page.waitForSelector('[data-testid=pools-ready]');
    const site = page.locator(`[data-testid=site-pools][data-site="${siteId}"]`);

    // A pool without its port is refused beside the field; nothing is stored.
    const addPool = site.locator('[data-testid=add-pool]');
    await addPool.locator('input[name=pool]').fill('pool.kz1.example');
    await addPool.locator('button[type=submit]').click();
    expect(await addPool.locator('[data-testid=field-error]').textContent()).toContain('host:port');
    const rules = () => apiGet<Rule[]>(url(), demo.tokens.operator, '/alert-rules');
    const siteRule = async () =>
      (await rules()).find((r) => r.kind === 'pool_not_allowed' && r.scopeId === siteId) ?? null;
    expect((await siteRule())?.params.allowedPools ?? []).not.toContain(POOL);

    await addPool.locator('input[name=pool]').fill(POOL);
    await addPool.locator('button[type=submit]').click();
    await site.locator(`[data-testid=allowed-pools] li[data-pool="${POOL}"]`).waitFor();
    expect((await siteRule())!.params.allowedPools).toContain(POOL);

    const addPattern = site.locator('[data-testid=add-pattern]');
    await addPattern.locator('input[name=pattern]').fill('*');
    await addPattern.locator('button[type=submit]').click();
    expect(await addPattern.locator('[data-testid=field-error]').textContent()).toContain('besides *');
    await addPattern.locator('input[name=pattern]').fill('kz1.*');
    await addPattern.locator('button[type=submit]').click();
    const pattern = site.locator('[data-testid=worker-patterns] li[data-pattern="kz1.*"]');
    await pattern.waitFor();
    expect(await pattern.textContent()).toContain('demo-operator');
    expect(await uuidsOnScreen(page)).toEqual([]);
    await site.screenshot({ path: join(SHOTS, 'view-pools.png') });

    await pattern.locator('button[data-action=remove-pattern]').click();
    await pattern.waitFor({ state: 'detached' });
    const patterns = await apiGet<{ siteId: string; pattern: string }[]>(
      url(),
      demo.tokens.operator,
      '/alerts/known-worker-patterns',
    );
    expect(patterns.filter((p) => p.siteId === siteId).map((p) => p.pattern)).not.toContain('kz1.*');
    const actions = (await audit()).map((a) => a.action);
    expect(actions).toEqual(
      expect.arrayContaining(['alert.worker_pattern.add', 'alert.worker_pattern.remove']),
    );
    expect(actions.some((a) => a === 'alert_rule.update' || a === 'alert_rule.create')).toBe(true);
    await page.context().close();
    await fitsPhone(demo.tokens.operator, '#/pools', '[data-testid=pools-ready]');
  });

  it('an operator records a pool credit, a cost and a stake entry, each previewed, then listed', async () => {
    const page = await logIn(browser, url(), demo.tokens.operator);
    await page.goto(`${url()}/#/accounting`);
    await page.waitForSelector('[data-testid=accounting-ready]');
    const today = new Date().toISOString().slice(0, 10);

    // Credit: a ninth decimal is refused beside the field; the demo's closed period is refused by
    // the API under the form; an open period is recorded and listed.
    const credit = page.locator('[data-testid=credit-form]');
    await credit.locator('input[name=pool]').fill('ViaBTC');
    await credit.locator('input[name=reference]').fill('payout 88123');
    await credit.locator('input[name=amountBtc]').fill('0,123456789');
    await credit.locator('button[type=submit]').click();
    expect(await credit.locator('[data-testid=field-error]').textContent()).toContain('8 decimals');
    await credit.locator('input[name=amountBtc]').fill('0,12345678');
    expect(await credit.locator('[data-testid=entry-preview]').textContent()).toContain('12345678 sats');
    await credit.locator('button[type=submit]').click();
    await credit.locator('[data-testid=form-failure]').waitFor();
    expect(await credit.locator('[data-testid=form-failure]').textContent()).toMatch(/closed/i);
    await credit.locator('input[name=periodId]').fill(today);
    await credit.screenshot({ path: join(SHOTS, 'view-accounting-credit.png') });
    await credit.locator('button[type=submit]').click();
    await credit.locator('[data-testid=entry-done]').waitFor();
    const creditRow = page.locator('[data-testid=credits] tbody tr', { hasText: 'payout 88123' });
    await creditRow.waitFor();
    expect(await creditRow.textContent()).toContain('0.12345678 BTC');
    const credits = await apiGet<{ periodId: string; amountSats: string }[]>(
      url(),
      demo.tokens.operator,
      `/credits?periodId=${today}`,
    );
    expect(credits).toEqual([expect.objectContaining({ periodId: today, amountSats: '12345678' })]);

    // Cost in USD.
    const cost = page.locator('[data-testid=cost-form]');
    await cost.locator('input[name=periodId]').fill(today);
    await cost.locator('input[name=description]').fill('Crane hire, Pavlodar');
    await cost.locator('input[name=currency]').fill('usd');
    await cost.locator('input[name=amount]').fill('120,50');
    expect(await cost.locator('[data-testid=entry-preview]').textContent()).toContain('120.5 USD');
    await cost.locator('button[type=submit]').click();
    await cost.locator('[data-testid=entry-done]').waitFor();
    const costRow = page.locator('[data-testid=costs] tbody tr', { hasText: 'Crane hire, Pavlodar' });
    await costRow.waitFor();
    expect(await costRow.textContent()).toContain('120.5 USD');

    // Stake entry: chosen by names, previewed with the staker's last entry in that node.
    const stakers = await apiGet<{ id: string; name: string }[]>(url(), demo.tokens.operator, '/stakers');
    const nodes = await apiGet<{ id: string; name: string; kind: string }[]>(
      url(),
      demo.tokens.operator,
      '/nodes',
    );
    // A shared node: a solo node takes one staker at a time (the register refuses a second).
    const staker = stakers[0]!;
    const node = nodes.find((n) => n.kind === 'shared')!;
    const stake = page.locator('[data-testid=stake-form]');
    await stake.locator('button[type=submit]').click();
    expect(await stake.locator('[data-testid=field-error]').count()).toBe(4);
    await stake.locator('select[name=stakerId]').selectOption(staker.id);
    await stake.locator('select[name=nodeId]').selectOption(node.id);
    await stake.locator('input[name=amountHss]').fill('12500');
    await stake.locator('input[name=effectiveAt]').fill(`${today}T08:00`);
    const preview = (await stake.locator('[data-testid=entry-preview]').textContent()) ?? '';
    expect(preview).toContain(`${staker.name} holds 12500 HSS in ${node.name}`);
    await stake.screenshot({ path: join(SHOTS, 'view-accounting-stake.png') });
    await stake.locator('button[type=submit]').click();
    await stake.locator('[data-testid=entry-done], [data-testid=form-failure]').first().waitFor();
    expect(await stake.locator('[data-testid=form-failure]').count(), 'the API took the entry').toBe(0);
    const stakeRow = page.locator('[data-testid=stakes] tbody tr', { hasText: staker.name }).first();
    await stakeRow.waitFor();
    expect(await stakeRow.textContent()).toContain('12500');
    const entries = await apiGet<
      { stakerId: string; nodeId: string; amountHss: string; enteredBy: string }[]
    >(url(), demo.tokens.operator, '/stakes?limit=1');
    expect(entries[0]).toMatchObject({
      stakerId: staker.id,
      nodeId: node.id,
      amountHss: '12500',
      enteredBy: 'demo-operator',
    });

    expect(await uuidsOnScreen(page)).toEqual([]);
    const actions = (await audit()).map((a) => a.action);
    expect(actions).toEqual(
      expect.arrayContaining(['accounting.credit.add', 'accounting.cost.add', 'accounting.stake.add']),
    );
    await page.context().close();
    await fitsPhone(
      demo.tokens.operator,
      '#/accounting',
      '[data-testid=accounting-ready]',
      '[data-testid=credit-form]',
    );
  });

  it('an admin makes a user token shown once, which logs in; an agent token revoked is refused', async () => {
    const page = await logIn(browser, url(), demo.tokens.admin);
    await page.goto(`${url()}/#/tokens`);
    await page.waitForSelector('[data-testid=tokens-ready]');
    const form = page.locator('[data-testid=token-form]');

    // A user: an operator named by the person.
    await form.locator('input[name=name]').fill('Aigerim Nurlanovna');
    await form.locator('select[name=role]').selectOption('operator');
    expect(await form.locator('[data-testid=entry-preview]').textContent()).toContain(
      'Aigerim Nurlanovna as operator',
    );
    await form.locator('button[type=submit]').click();
    const secretBox = page.locator('[data-testid=token-secret]');
    await secretBox.waitFor();
    const secret = ((await secretBox.locator('code').textContent()) ?? '').trim();
    expect(secret).toMatch(/^hf_/);
    expect(await secretBox.textContent()).toContain('shown this once');
    await page.locator('[data-testid=tokens] tbody tr', { hasText: 'Aigerim Nurlanovna' }).waitFor();
    await page.locator('main').screenshot({ path: join(SHOTS, 'view-tokens.png') });
    await secretBox.locator('button').click();
    await secretBox.waitFor({ state: 'detached' });
    const asHer = await logIn(browser, url(), secret);
    expect(await asHer.locator('[data-testid=who]').textContent()).toContain('Aigerim Nurlanovna');
    await asHer.context().close();

    // An agent: at least one container, refused beside the list without one.
    await form.locator('input[name=name]').fill('agent-kz1-spare');
    await form.locator('select[name=role]').selectOption('agent');
    await form.locator('button[type=submit]').click();
    expect(await form.locator('[data-testid=field-error]').textContent()).toContain('at least one container');
    await form.locator(`input[name=places][value="${siteId}/${containerId}"]`).check();
    expect(await form.locator('[data-testid=entry-preview]').textContent()).toContain('bound to 1 container');
    await form.locator('button[type=submit]').click();
    await secretBox.waitFor();
    const agentSecret = ((await secretBox.locator('code').textContent()) ?? '').trim();
    await secretBox.locator('button').click();
    expect(
      (await fetch(`${url()}/api/v1/me`, { headers: { authorization: `Bearer ${agentSecret}` } })).status,
    ).toBe(200);

    // Revoke asks once more, names the person, and the API refuses the token afterwards.
    await page.locator('button[data-action=revoke][data-name="agent-kz1-spare"]').click();
    const confirm = page.locator('[data-testid=tokens] span[data-name="agent-kz1-spare"]');
    expect(await confirm.textContent()).toContain('Revoke agent-kz1-spare');
    await confirm.locator('button[data-action=confirm-revoke]').click();
    await page
      .locator('[data-testid=tokens] tbody tr', { hasText: 'agent-kz1-spare' })
      .locator('[data-state=revoked]')
      .waitFor();
    expect(
      (await fetch(`${url()}/api/v1/me`, { headers: { authorization: `Bearer ${agentSecret}` } })).status,
    ).toBe(401);
    // No token is shown by its id; the admin's own has no Revoke.
    expect(await uuidsOnScreen(page)).toEqual([]);
    expect(
      await page
        .locator('[data-testid=tokens] tbody tr', { hasText: 'demo-admin' })
        .locator('button')
        .count(),
    ).toBe(0);
    const actions = (await audit()).map((a) => a.action);
    expect(actions.filter((a) => a === 'token.create').length).toBeGreaterThanOrEqual(2);
    expect(actions).toContain('token.revoke');
    await page.context().close();
    await fitsPhone(demo.tokens.admin, '#/tokens', '[data-testid=tokens-ready]');
  });
  it.each(['zh-CN', 'ru', 'kk'] as const)(
    '%s: the tokens screen with its agent and staker forms asks for no key its catalogue lacks',
    async (locale) => {
      const page = await openSeeded(browser, url(), demo.tokens.admin, '#/tokens', locale);
      await page.waitForSelector('[data-testid=tokens-ready]');
      const form = page.locator('[data-testid=token-form]');
      await form.locator('input[name=name]').fill('x');
      await form.locator('select[name=role]').selectOption('agent');
      await form.locator('button[type=submit]').click();
      await form.locator('[data-testid=field-error]').waitFor();
      await form.locator('select[name=role]').selectOption('staker');
      await form.locator('[data-testid=entry-preview], [data-testid=field-error]').first().waitFor();
      expect(await missingKeys(page)).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        PHONE.width,
      );
      await page.context().close();
    },
  );
});
