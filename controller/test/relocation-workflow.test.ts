import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fleetInstance } from '../bench/relocation-instance.js';
import type { Db } from '../src/core/storage/db.js';
import {
  createMiner,
  ensureSlots,
  flatTariff,
  moveMiner,
  upsertContainer,
  upsertSite,
} from '../src/fleet/inventory/index.js';
import { relocationCli } from '../src/relocation/cli.js';
import { testApp } from './helpers.js';

type T = Awaited<ReturnType<typeof testApp>>;
let t: T;
let db: Db;

const assumptions = {
  start: '2026-12',
  horizonMonths: 4,
  market: { btcPriceUsd: 90_000, hashpriceBtcPerPhDay: 0.0006 },
  routes: [
    {
      from: 'sichuan',
      to: 'kazakhstan',
      transitDays: 10,
      costPerMinerUsd: 20,
      costPerContainerUsd: 5000,
      customsPerMinerUsd: 0,
    },
  ],
  sites: { sichuan: { repairSite: true }, kazakhstan: { repairSite: false } },
};

/** The seed happens before the test's app clock starts (2026-12-01), whatever the real date. */
const SEEDED_AT = Date.parse('2026-11-30T00:00:00Z');

/** Two sites, a container each with 4 slots, three T17s in Sichuan (dry-season tariff). */
async function seed() {
  await upsertSite(
    db,
    {
      id: 'sichuan',
      name: 'Sichuan',
      timezone: 'Asia/Shanghai',
      tariff: flatTariff(0.039),
    },
    SEEDED_AT,
  );
  await upsertSite(
    db,
    {
      id: 'kazakhstan',
      name: 'Pavlodar',
      timezone: 'Asia/Almaty',
      tariff: flatTariff(0.03),
    },
    SEEDED_AT,
  );
  for (const [id, site] of [
    ['sc-c1', 'sichuan'],
    ['kz-c1', 'kazakhstan'],
  ] as const) {
    await upsertContainer(db, { id, siteId: site, name: id }, SEEDED_AT);
    await ensureSlots(
      db,
      id,
      ['01', '02', '03', '04'].map((s) => ({ rack: 'R01', slot: s })),
    );
  }
  for (const n of [1, 2, 3]) {
    const id = await createMiner(db, { id: `m${n}`, serial: `SN-${n}`, model: 'Antminer T17' }, SEEDED_AT);
    await moveMiner(
      db,
      id,
      {
        siteId: 'sichuan',
        containerId: 'sc-c1',
        slotId: `sc-c1/R01/0${n}`,
        status: 'in_service',
        reason: 'seed',
      },
      { now: SEEDED_AT },
    );
  }
}

/** What ingest records when the destination agent reports the miner (agents, agent_miners, miner_latest). */
async function reported(minerId: string, ths: number, at: number) {
  await db.run(
    `INSERT INTO agents (id, site_id, container_id, state, state_at) VALUES ('agent-kz-c1', 'kazakhstan', 'kz-c1', 'online', ?)
     ON CONFLICT (id) DO NOTHING`,
    [at],
  );
  await db.run(
    `INSERT INTO agent_miners (agent_id, miner_key, miner_id, updated_at) VALUES ('agent-kz-c1', ?, ?, ?)
     ON CONFLICT (agent_id, miner_key) DO UPDATE SET miner_id = excluded.miner_id`,
    [`10.1.0.${minerId.slice(1)}`, minerId, at],
  );
  await db.run(
    `INSERT INTO miner_latest (miner_id, at, received_at, sample_json, hashrate_ths, expected_ths, state, online)
     VALUES (?, ?, ?, '{}', ?, 40, 'mining', 1)
     ON CONFLICT (miner_id) DO UPDATE SET at = excluded.at, hashrate_ths = excluded.hashrate_ths`,
    [minerId, at, at, ths],
  );
}

beforeEach(async () => {
  let clock = Date.parse('2026-12-01T00:00:00Z');
  t = await testApp({}, () => (clock += 1000));
  db = t.app.hashfleet.db;
  await seed();
});
afterEach(async () => t.close());

const post = (role: 'operator' | 'admin' | 'technician', url: string, payload?: object) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/relocation${url}`,
    headers: t.auth(role),
    payload: payload ?? {},
  });
const get = (url: string) =>
  t.app.inject({ method: 'GET', url: `/api/v1/relocation${url}`, headers: t.auth('operator') });

async function approvedPlan() {
  const p = await post('operator', '/plans', { name: 'dry season', assumptions });
  expect(p.statusCode, p.body).toBe(201);
  const plan = p.json();
  expect((await post('admin', `/plans/${plan.id}/approve`)).statusCode).toBe(200);
  const moves = (await get(`/moves?planId=${plan.id}`)).json() as {
    id: string;
    minerId: string;
    state: string;
  }[];
  return { plan, moves };
}

async function walk(moveId: string, states: string[]) {
  for (const to of states) {
    const r = await post('technician', `/moves/${moveId}/advance`, { to });
    expect(r.statusCode, `${to}: ${r.body}`).toBe(200);
  }
}

describe('relocation workflow over inventory', () => {
  it('proposes from inventory: the three T17s leave dry-season Sichuan for Kazakhstan', async () => {
    const p = await post('operator', '/plans', { name: 'dry season', assumptions });
    expect(p.statusCode, p.body).toBe(201);
    const plan = p.json();
    expect(plan.state).toBe('proposed');
    expect(plan.plan.moves.map((m: { minerId: string }) => m.minerId).sort()).toEqual(['m1', 'm2', 'm3']);
    expect(plan.profitAfterUsd).toBeGreaterThan(plan.profitBeforeUsd);
    expect(plan.assumptions.minerCount).toBe(3);
    expect((await get('/plans')).json()).toHaveLength(1);
  });

  it('four-eyes: the proposer cannot approve; a second person can, and moves become planned', async () => {
    const plan = (await post('operator', '/plans', { name: 'p', assumptions })).json();
    const self = await post('operator', `/plans/${plan.id}/approve`);
    expect(self.statusCode).toBe(403);
    expect(self.json().message).toMatch(/second person/);
    expect((await post('technician', `/plans/${plan.id}/approve`)).statusCode).toBe(403);
    expect((await post('admin', `/plans/${plan.id}/approve`)).statusCode).toBe(200);
    expect((await post('admin', `/plans/${plan.id}/approve`)).statusCode).toBe(409);
    const moves = (await get('/moves?state=planned')).json();
    expect(moves).toHaveLength(3);
  });

  it('a move walks every step; inventory, location history and slots follow; verification passes', async () => {
    const { moves } = await approvedPlan();
    const mv = moves.find((m) => m.minerId === 'm1')!;
    await walk(mv.id, ['decommissioned']);
    expect((await db.get<{ status: string }>('SELECT status FROM miners WHERE id = ?', ['m1']))!.status).toBe(
      'sleeping',
    );
    await walk(mv.id, ['packed']);
    expect(
      (await db.get<{ miner_id: string | null }>('SELECT miner_id FROM slots WHERE id = ?', [
        'sc-c1/R01/01',
      ]))!.miner_id,
    ).toBeNull();
    await walk(mv.id, ['in_transit', 'arrived']);
    expect(await db.get('SELECT site_id, container_id, status FROM miners WHERE id = ?', ['m1'])).toEqual({
      site_id: 'kazakhstan',
      container_id: null,
      status: 'in_storage',
    });
    const inst = await post('technician', `/moves/${mv.id}/advance`, {
      to: 'installed',
      slot: 'kz-c1/R01/02',
      serialSeen: 'SN-1',
    });
    expect(inst.statusCode, inst.body).toBe(200);
    expect(inst.json()).toMatchObject({ state: 'installed', toContainer: 'kz-c1', toSlot: 'kz-c1/R01/02' });
    // Verification needs the destination agent's word: none yet, so it refuses and stays installed.
    const early = await post('technician', `/moves/${mv.id}/advance`, { to: 'verified' });
    expect(early.statusCode).toBe(409);
    expect(early.json().message).toMatch(/not reported/);
    await reported('m1', 39.5, Date.parse('2026-12-02T00:00:00Z'));
    const ok = await post('technician', `/moves/${mv.id}/advance`, { to: 'verified' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().state).toBe('verified');

    const history = await db.all<{ status: string; slot_id: string | null }>(
      'SELECT status, slot_id FROM miner_locations WHERE miner_id = ? ORDER BY at',
      ['m1'],
    );
    expect(history.map((h) => h.status)).toEqual([
      'in_service',
      'sleeping',
      'in_transit',
      'in_transit',
      'in_storage',
      'in_service',
    ]);
    expect(history.at(-1)!.slot_id).toBe('kz-c1/R01/02');
    const detail = (await get(`/moves/${mv.id}`)).json();
    expect(detail.events.map((e: { to: string }) => e.to)).toEqual([
      'decommissioned',
      'packed',
      'in_transit',
      'arrived',
      'installed',
      'verified',
    ]);
    expect(detail.events[0].detail).toMatch(/sleep not sent.*poll\.stop not sent/);
    const audit = await db.all<{ action: string }>(
      "SELECT action FROM audit_log WHERE action LIKE 'relocation.%'",
    );
    expect(audit.filter((a) => a.action === 'relocation.move.advance')).toHaveLength(6);
  });

  it('decommission sends sleep then poll.stop to the source agent only; the destination agent gets neither', async () => {
    const at = Date.parse('2026-12-01T00:00:00Z');
    await db.run(
      `INSERT INTO agents (id, site_id, container_id, state, state_at) VALUES ('agent-sc-c1', 'sichuan', 'sc-c1', 'online', ?)`,
      [at],
    );
    await db.run(
      `INSERT INTO agent_miners (agent_id, miner_key, miner_id, updated_at) VALUES ('agent-sc-c1', 'SN-1', 'm1', ?)`,
      [at],
    );
    const { moves } = await approvedPlan();
    const mv = moves.find((m) => m.minerId === 'm1')!;
    await walk(mv.id, ['decommissioned', 'packed', 'in_transit', 'arrived']);
    await post('technician', `/moves/${mv.id}/advance`, { to: 'installed', slot: 'kz-c1/R01/02' });
    await reported('m1', 39.5, Date.parse('2026-12-02T00:00:00Z'));
    expect((await post('technician', `/moves/${mv.id}/advance`, { to: 'verified' })).statusCode).toBe(200);
    const sent = await db.all<{ agent_id: string; op: string; action_json: string; issuer: string }>(
      'SELECT agent_id, op, action_json, issuer FROM commands ORDER BY created_at, seq',
    );
    expect(sent.map((c) => [c.agent_id, c.op])).toEqual([
      ['agent-sc-c1', 'sleep'],
      ['agent-sc-c1', 'poll.stop'],
    ]);
    expect(JSON.parse(sent[1]!.action_json)).toEqual({
      op: 'poll.stop',
      target: { kind: 'miner', minerKey: 'SN-1' },
    });
    expect(sent[1]!.issuer).toMatch(/relocation move .* by /);
    const detail = (await get(`/moves/${mv.id}`)).json();
    expect(detail.events[0].detail).toMatch(
      /sleep command .* to agent agent-sc-c1.*poll\.stop command .* to agent agent-sc-c1/,
    );
  });

  it('flags a unit that arrives with a different serial, and one that does not hash', async () => {
    const { moves } = await approvedPlan();
    const [a, b] = [moves.find((m) => m.minerId === 'm2')!, moves.find((m) => m.minerId === 'm3')!];
    for (const mv of [a, b]) await walk(mv.id, ['decommissioned', 'packed', 'in_transit', 'arrived']);
    const swapped = await post('technician', `/moves/${a.id}/advance`, {
      to: 'installed',
      slot: 'kz-c1/R01/01',
      serialSeen: 'SN-999',
    });
    expect(swapped.json()).toMatchObject({
      state: 'flagged',
      flag: 'serial SN-999 found at installation, expected SN-2',
    });
    expect(
      (await db.get<{ miner_id: string | null }>('SELECT miner_id FROM slots WHERE id = ?', [
        'kz-c1/R01/01',
      ]))!.miner_id,
    ).toBeNull();

    await post('technician', `/moves/${b.id}/advance`, { to: 'installed', slot: 'kz-c1/R01/03' });
    await reported('m3', 3.1, Date.parse('2026-12-02T00:00:00Z'));
    const weak = await post('technician', `/moves/${b.id}/advance`, { to: 'verified' });
    expect(weak.json()).toMatchObject({ state: 'flagged' });
    expect(weak.json().flag).toMatch(/hashing 3\.1 TH\/s, expected at least 36\.0/);
    expect((await get('/moves?state=flagged')).json()).toHaveLength(2);
  });

  it('refuses steps out of order, occupied or foreign slots, and names the move', async () => {
    const { moves } = await approvedPlan();
    const [a, b] = moves;
    const skip = await post('technician', `/moves/${a!.id}/advance`, { to: 'arrived' });
    expect(skip.statusCode).toBe(409);
    expect(skip.json().message).toMatch(
      new RegExp(`move ${a!.id}: cannot go from planned to arrived \\(next: decommissioned, cancelled\\)`),
    );
    for (const mv of [a!, b!]) await walk(mv.id, ['decommissioned', 'packed', 'in_transit', 'arrived']);
    const foreign = await post('technician', `/moves/${a!.id}/advance`, {
      to: 'installed',
      slot: 'sc-c1/R01/04',
    });
    expect(foreign.statusCode).toBe(409);
    expect(foreign.json().message).toMatch(/is at sichuan, not kazakhstan/);
    await post('technician', `/moves/${a!.id}/advance`, { to: 'installed', slot: 'kz-c1/R01/04' });
    const taken = await post('technician', `/moves/${b!.id}/advance`, {
      to: 'installed',
      slot: 'kz-c1/R01/04',
    });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().message).toMatch(/occupied by miner/);
    const bad = await post('technician', `/moves/${a!.id}/advance`, { to: 'teleported' });
    expect(bad.statusCode).toBe(400);
  });

  it('compares two plans: a costlier route moves nothing, and the comparison says so', async () => {
    const cheap = (await post('operator', '/plans', { name: 'cheap', assumptions })).json();
    const dear = (
      await post('operator', '/plans', {
        name: 'dear',
        assumptions: {
          ...assumptions,
          routes: [{ ...assumptions.routes[0], costPerMinerUsd: 500, costPerContainerUsd: 50_000 }],
        },
      })
    ).json();
    const c = (await get(`/plans/compare?a=${cheap.id}&b=${dear.id}`)).json();
    expect(c.changedAssumptions).toEqual(['routes']);
    expect(c.onlyInA).toHaveLength(3);
    expect(c.onlyInB).toEqual([]);
    expect(c.profitAfterDeltaUsd).toBeLessThan(0);
    expect((await get('/plans/compare?a=nope&b=x')).statusCode).toBe(404);
  });

  it('rejects a bad proposal with every problem named', async () => {
    const r = await post('operator', '/plans', {
      name: 'bad',
      input: { start: '2026-12', sites: [], market: {} },
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().message).toMatch(/sites: .*market\.btcPriceUsd/);
  });
});

describe('relocation CLI', () => {
  it('proposes from an assumptions file, lists moves, refuses self-approval and bad usage with exit codes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reloc-cli-'));
    const file = join(dir, 'assumptions.json');
    writeFileSync(file, JSON.stringify(assumptions));
    const out: string[] = [];
    const err: string[] = [];
    const so = vi.spyOn(process.stdout, 'write').mockImplementation((c) => out.push(String(c)) > 0);
    const se = vi.spyOn(process.stderr, 'write').mockImplementation((c) => err.push(String(c)) > 0);
    try {
      const ctx = t.app.hashfleet;
      expect(await relocationCli(['propose', 'from cli', file], ctx)).toBe(0);
      const plan = JSON.parse(out.join(''));
      expect(plan.moveCount).toBe(3);
      expect(await relocationCli(['approve', plan.id], ctx)).toBe(1);
      expect(err.join('')).toMatch(/a second person must approve/);
      expect(await relocationCli(['moves', 'levitating'], ctx)).toBe(2);
      expect(await relocationCli(['frobnicate'], ctx)).toBe(2);
      out.length = 0;
      expect(await relocationCli(['plans'], ctx)).toBe(0);
      expect(JSON.parse(out.join(''))).toHaveLength(1);
    } finally {
      so.mockRestore();
      se.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Proves the relocation CLI parses with node:util parseArgs (issue 14 item 6): `--slot=<slot>`
 * works as well as `--slot <slot>`; an unknown option, an option without its value, or a stray
 * argument exits 2 naming it and changes nothing. The hand-written lookup ignored `--slott`,
 * took no `--slot=`, and went on without a value, so the move advanced or was refused (exit 1).
 */
describe('relocation CLI arguments', () => {
  it('advances with --slot=<slot>, and refuses bad options naming them without touching the move', async () => {
    const { moves } = await approvedPlan();
    const mv = moves.find((m) => m.minerId === 'm1')!;
    await walk(mv.id, ['decommissioned', 'packed', 'in_transit', 'arrived']);
    const out: string[] = [];
    const err: string[] = [];
    const so = vi.spyOn(process.stdout, 'write').mockImplementation((c) => out.push(String(c)) > 0);
    const se = vi.spyOn(process.stderr, 'write').mockImplementation((c) => err.push(String(c)) > 0);
    const ctx = t.app.hashfleet;
    const refused = async (args: string[], named: RegExp) => {
      err.length = 0;
      expect(await relocationCli(args, ctx), args.join(' ')).toBe(2);
      expect(err.join(''), args.join(' ')).toMatch(named);
    };
    try {
      await refused(['advance', mv.id, 'installed', '--slott', 'kz-c1/R01/02'], /--slott/);
      await refused(['advance', mv.id, 'installed', '--serial', 'SN-1', '--slot'], /--slot/);
      await refused(['advance', mv.id, 'installed', 'kz-c1/R01/02'], /unexpected argument 'kz-c1\/R01\/02'/);
      await refused(['plans', '--slot', 'x'], /--slot/);
      expect((await get(`/moves?state=arrived`)).json().map((m: { id: string }) => m.id)).toContain(mv.id);
      expect(
        await relocationCli(['advance', mv.id, 'installed', '--slot=kz-c1/R01/02', '--serial=SN-1'], ctx),
      ).toBe(0);
      expect(JSON.parse(out.join(''))).toMatchObject({ state: 'installed', toSlot: 'kz-c1/R01/02' });
    } finally {
      so.mockRestore();
      se.mockRestore();
    }
  });
});

/**
 * Proves the API and the CLI show a time-out (issue 15 item 4): a 10 ms limit on 3,000 miners
 * (seconds to solve) gives a plan flagged timedOut with a status saying it is not a proven
 * optimum, in the API's body and on the CLI's stderr. Before, both showed 0 moves and nothing else.
 */
describe('relocation time-out in the API and the CLI', () => {
  const input = fleetInstance(3_000, { timeLimitS: 0.01 });

  it('the API returns the plan flagged as timed out', async () => {
    const r = await post('operator', '/plans', { name: 'rushed', input });
    expect(r.statusCode).toBe(201);
    expect(r.json().plan.solver).toMatchObject({ timedOut: true, optimal: false });
    expect(r.json().plan.solver.status).toMatch(/time limit.*not a proven optimum/);
  });

  it('the CLI says it on stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reloc-cli-'));
    const file = join(dir, 'input.json');
    writeFileSync(file, JSON.stringify(input));
    const err: string[] = [];
    const so = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const se = vi.spyOn(process.stderr, 'write').mockImplementation((c) => err.push(String(c)) > 0);
    try {
      expect(await relocationCli(['propose', 'rushed', file], t.app.hashfleet)).toBe(0);
      expect(err.join('')).toMatch(/^relocation propose: .*time limit.*not a proven optimum/);
    } finally {
      so.mockRestore();
      se.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
