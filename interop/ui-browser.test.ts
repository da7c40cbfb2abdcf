import { join } from 'node:path';
import { logIn } from '@hashfleet/demo/browser';
import type { RunningDemo } from '@hashfleet/demo/demo';
import { apiGet } from '@hashfleet/demo/wait';
import type { Browser, Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { demoInChromium, describeWithChromium, screenshotDir } from './lib/chromium.js';

/**
 * The web UI in Debian's Chromium against the whole demo (controller, simulated fleet, agents,
 * stakes) started in this process: each role logs in and sees its views, the container grid shows
 * the values the API returns, a hot slot opens its miner, a staker sees only their own data.
 * Screenshots of the main views go to artifacts/screenshots/.
 */
const SHOTS = screenshotDir();

describeWithChromium('web UI in Chromium', () => {
  let demo: RunningDemo;
  let browser: Browser;

  demoInChromium(
    {
      name: 'ui',
      hooks: { minersPerContainer: 40, addressing: 'free-block' },
      shots: SHOTS,
    },
    (started) => {
      ({ demo, browser } = started);
    },
  );

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  it('technician: the container grid shows, slot by slot, the values of the API reply it rendered', async () => {
    const page = await logIn(browser, demo.controller.url, demo.tokens.technician);
    expect(await page.textContent('[data-testid=who]')).toContain('technician');
    const navs = await page.locator('header nav a').allTextContents();
    expect(navs).toEqual(['Overview', 'Containers', 'Alerts', 'Tickets', 'Relocation']);

    const containerId = demo.scenario.containers[0]!.id;
    const replied = page.waitForResponse(
      (r) => r.url().endsWith(`/api/v1/containers/${containerId}`) && r.ok(),
    );
    await page.goto(`${demo.controller.url}/#/containers/${containerId}`);
    const reply = (await (await replied).json()) as ContainerReply;
    await page.waitForSelector('[data-testid=container-grid] .cell[data-miner]:not([data-miner=""])');
    // The reply we captured may be superseded by the next refresh; compare against the DOM right away.
    const cells = await gridCells(page);
    const expected = slotsOf(reply);
    expect(cells.length).toBe(expected.length);
    const withTemp = expected.filter((s) => s.chipTempMaxC !== null);
    expect(withTemp.length).toBeGreaterThan(0);
    for (const s of expected) {
      const cell = cells.find((c) => c.rack === s.rack && c.slot === s.slot);
      expect(cell, `${s.rack}/${s.slot}`).toBeDefined();
      expect(cell!.miner).toBe(s.minerId ?? '');
      expect(cell!.chipTemp).toBe(s.chipTempMaxC === null ? '' : String(s.chipTempMaxC));
    }
    await shot(page, 'container-grid');
    await page.context().close();
  });

  it('technician: the container view shows a load bar per PDU phase with the current and rating of the API reply', async () => {
    const page = await logIn(browser, demo.controller.url, demo.tokens.technician);
    const containerId = demo.scenario.containers[0]!.id;
    const replied = page.waitForResponse(
      (r) => r.url().endsWith(`/api/v1/containers/${containerId}`) && r.ok(),
    );
    await page.goto(`${demo.controller.url}/#/containers/${containerId}`);
    const reply = (await (await replied).json()) as {
      pdus: { pduId: string; phases: { phase: number; currentA: number; ratedCurrentA: number }[] | null }[];
    };
    await page.waitForSelector('[data-testid=pdu-phases] li');
    // Compared at once, like the grid: the next refresh may bring newer currents.
    const rows = await page.$$eval('[data-testid=pdu-phases] li', (els) =>
      els.map((e) => ({
        key: e.getAttribute('data-phase'),
        text: e.querySelector('.phase-figure')?.textContent?.trim(),
      })),
    );
    const expected = reply.pdus.flatMap((p) =>
      (p.phases ?? []).map((ph) => ({
        key: `${p.pduId}/${ph.phase}`,
        text: `${ph.currentA.toFixed(1)} A / ${ph.ratedCurrentA} A`,
      })),
    );
    expect(expected.length).toBeGreaterThanOrEqual(3);
    expect(rows).toEqual(expected);
    await shot(page, 'container-phases');
    await page.context().close();
  });

  it('technician: clicking the hottest slot opens that miner with its boards, fans and history', async () => {
    const page = await logIn(browser, demo.controller.url, demo.tokens.technician);
    const containerId = demo.scenario.containers[0]!.id;
    await page.goto(`${demo.controller.url}/#/containers/${containerId}`);
    await page.waitForSelector('[data-testid=container-grid] .cell[data-chip-temp]:not([data-chip-temp=""])');
    const cells = await gridCells(page);
    const hottest = cells
      .filter((c) => c.chipTemp !== '')
      .sort((a, b) => Number(b.chipTemp) - Number(a.chipTemp))[0]!;
    await page.click(`.cell[data-miner="${hottest.miner}"]`);
    const panel = page.locator(`[data-testid=miner-panel][data-miner="${hottest.miner}"]`);
    await panel.locator('table.boards tbody tr').first().waitFor();
    const miner = await apiGet<{ sample: { chipTempMaxC: number | null; boards: unknown[] } | null }>(
      demo.controller.url,
      demo.tokens.technician,
      `/miners/${hottest.miner}`,
    );
    expect(await panel.locator('table.boards tbody tr').count()).toBe(miner.sample!.boards.length);
    const buttons = await panel.locator('.actions button').allTextContents();
    expect(buttons.slice(0, 3)).toEqual(['restart', 'reboot', 'blink LED']);
    // A technician may not put miners to sleep: the controller would refuse, so the UI does not offer it.
    expect(buttons).not.toContain('sleep');
    await shot(page, 'miner-detail');
    await page.context().close();
  });

  it('operator: overview, alerts, relocation and accounting load with their data; a plan proposed in the UI is stored', async () => {
    const page = await logIn(browser, demo.controller.url, demo.tokens.operator);
    await page.waitForSelector('[data-testid=fleet-hashrate]');
    for (const site of demo.scenario.sites) await page.waitForSelector(`[data-testid=site-${site.id}]`);
    await shot(page, 'overview');
    for (const [hash, ready, name] of [
      ['#/alerts', '[data-testid=problems]', 'alerts'],
      ['#/tickets', '[data-testid=tickets]', 'tickets'],
      ['#/relocation', '[data-testid=relocation-ready]', 'relocation'],
      ['#/accounting', '[data-testid=accounting-ready]', 'accounting'],
    ] as const) {
      await page.goto(`${demo.controller.url}/${hash}`);
      await page.waitForSelector(ready);
      expect(await page.locator('.error').count(), `${name}: error shown`).toBe(0);
      await shot(page, name);
    }
    // The planner runs on the inventory the agents reported; its plan shows once the API has stored it.
    await page.goto(`${demo.controller.url}/#/relocation`);
    await page.waitForSelector('[data-testid=relocation-ready]');
    await page.click('text=Propose plan');
    await page.waitForSelector('[data-testid=plans] tbody tr', { timeout: 90_000 });
    const plans = await apiGet<{ name: string; state: string }[]>(
      demo.controller.url,
      demo.tokens.operator,
      '/relocation/plans',
    );
    expect(plans.map((p) => p.state)).toEqual(['proposed']);
    expect(await page.textContent('[data-testid=plans] tbody tr')).toContain(plans[0]!.name);
    await shot(page, 'relocation-plan');
    await page.context().close();
  });

  it('staker: sees only the staker portal with their own data, and the API refuses another staker', async () => {
    const [me, other] = demo.tokens.stakers;
    const page = await logIn(browser, demo.controller.url, me!.token);
    expect(await page.locator('header nav a').allTextContents()).toEqual(['Staker portal']);
    await page.waitForSelector('[data-testid=staker-ready]');
    expect(await page.getAttribute('[data-testid=staker-id]', 'data-staker')).toBe(me!.stakerId);
    const body = await page.textContent('body');
    expect(body).not.toContain(other!.stakerId);
    // The payout's inputs hash, checked in the browser against the document the API serves.
    await page.click('text=Check the inputs hash now');
    const verdict = page.locator('[data-testid=verify-result]');
    await verdict.filter({ hasText: 'sha256' }).waitFor();
    expect(await verdict.textContent()).toContain('✓ matches');
    await shot(page, 'staker-portal');
    // The same browser session asking for another staker's statements is refused by the API.
    // The function runs in the page; this project has no DOM types, so the page's storage is reached via globalThis.
    const status = await page.evaluate(async (id) => {
      const storage = (globalThis as unknown as { localStorage: { getItem(k: string): string | null } })
        .localStorage;
      const r = await fetch(`/api/v1/stakers/${id}/statements`, {
        headers: { authorization: `Bearer ${storage.getItem('hashfleet.token')}` },
      });
      return r.status;
    }, other!.stakerId);
    expect(status).toBe(403);
    // Staff-only routes are closed to a staker too.
    await page.goto(`${demo.controller.url}/#/containers`);
    await page.waitForSelector('[data-testid=staker-ready]');
    await page.context().close();
  });
  it('technician: takes a ticket in the tickets view; the API then has it in progress, assigned to them, with its notes shown', async () => {
    const token = demo.tokens.technician;
    const { miners } = await apiGet<{ miners: { id: string }[] }>(
      demo.controller.url,
      token,
      '/miners?limit=1',
    );
    const title = `check the PSU cable ${Date.now()}`;
    const res = await fetch(`${demo.controller.url}/api/v1/tickets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title, minerId: miners[0]!.id, note: 'reported by the night shift' }),
    });
    expect(res.status).toBe(201);
    const ticket = (await res.json()) as { id: string };
    const page = await logIn(browser, demo.controller.url, token);
    await page.goto(`${demo.controller.url}/#/tickets`);
    const row = page.locator('[data-testid=tickets] tbody tr', { hasText: title });
    await row.waitFor();
    await row.locator('button', { hasText: 'take' }).click();
    const me = await apiGet<{ name: string }>(demo.controller.url, token, '/me');
    for (let i = 0; i < 50; i++) {
      const t = await apiGet<{ state: string }>(demo.controller.url, token, `/tickets/${ticket.id}`);
      if (t.state === 'in_progress') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await apiGet(demo.controller.url, token, `/tickets/${ticket.id}`)).toMatchObject({
      state: 'in_progress',
      assignee: me.name,
    });
    await row.locator('button', { hasText: title }).click();
    await page.locator('[data-testid=ticket-notes]', { hasText: 'reported by the night shift' }).waitFor();
    await shot(page, 'tickets');
    await page.context().close();
  });

  it('technician: a miner killed in the simulator turns not answering in the open grid, without a reload', async () => {
    const page = await logIn(browser, demo.controller.url, demo.tokens.technician);
    const container = demo.scenario.containers[0]!;
    const faulted = new Set(demo.scenario.faults.map((f) => f.minerId));
    const victim = demo.scenario.miners.find((m) => m.containerId === container.id && !faulted.has(m.id))!;
    const cell = `.cell[data-rack="${victim.rack}"][data-slot="${victim.slot}"]`;
    await page.goto(`${demo.controller.url}/#/containers/${container.id}`);
    await page.waitForSelector(`${cell}[data-status=hashing]`);
    await demo.simulation.setFault(victim.id, { kind: 'dead' });
    // The agent polls every 2 s and the grid refreshes every 5 s; the bound only keeps a broken run from hanging.
    await page.waitForSelector(`${cell}[data-status=notAnswering]`, { timeout: 60_000 });
    await page.selectOption('select[name=metric]', 'status');
    await shot(page, 'container-grid-fault');
    await page.context().close();
  });
});

type SlotReply = { slot: string; minerId: string | null; chipTempMaxC: number | null };
type ContainerReply = { racks: { rack: string; slots: SlotReply[] }[] };

function slotsOf(reply: ContainerReply) {
  return reply.racks.flatMap((r) =>
    r.slots.map((s) => ({ rack: r.rack, slot: s.slot, minerId: s.minerId, chipTempMaxC: s.chipTempMaxC })),
  );
}

async function gridCells(page: Page) {
  return page.$$eval('[data-testid=container-grid] .cell', (els) =>
    els.map((e) => ({
      rack: e.getAttribute('data-rack')!,
      slot: e.getAttribute('data-slot')!,
      miner: e.getAttribute('data-miner')!,
      chipTemp: e.getAttribute('data-chip-temp')!,
    })),
  );
}
