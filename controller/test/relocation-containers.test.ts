import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../src/core/storage/db.js';
import {
  createMiner,
  ensureSlots,
  flatTariff,
  moveMiner,
  upsertContainer,
  upsertSite,
} from '../src/fleet/inventory/index.js';
import { testApp } from './helpers.js';

/**
 * A whole container's moves in one action, and its move sheet (issue 19 item 6): the bulk step
 * takes every move of the container in the named state through the single advance (checked,
 * logged, audited each), reports a move that refuses by its miner's names and lets the others go;
 * technicians may take it as they may take one move; the sheet lists the container by rack and
 * slot with each miner's destination.
 */
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
const SEEDED_AT = Date.parse('2026-11-30T00:00:00Z');
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** Sichuan: container sc-c1 with m1 in slot 03, m2 in 01, m3 in 02; sc-c2 with m4. Kazakhstan: kz-c1, empty. */
async function seed() {
  const site = (id: string, name: string, timezone: string, usd: number) =>
    upsertSite(db, { id, name, timezone, tariff: flatTariff(usd) }, SEEDED_AT);
  await site('sichuan', 'Sichuan', 'Asia/Shanghai', 0.039);
  await site('kazakhstan', 'Pavlodar', 'Asia/Almaty', 0.03);
  for (const [id, s, name] of [
    ['sc-c1', 'sichuan', 'SC-1'],
    ['sc-c2', 'sichuan', 'SC-2'],
    ['kz-c1', 'kazakhstan', 'KZ-1'],
  ] as const) {
    await upsertContainer(db, { id, siteId: s, name }, SEEDED_AT);
    await ensureSlots(
      db,
      id,
      ['01', '02', '03', '04'].map((slot) => ({ rack: 'R01', slot })),
    );
  }
  for (const [n, slotId] of [
    [1, 'sc-c1/R01/03'],
    [2, 'sc-c1/R01/01'],
    [3, 'sc-c1/R01/02'],
    [4, 'sc-c2/R01/01'],
  ] as const) {
    const id = await createMiner(db, { id: `m${n}`, serial: `SN-${n}`, model: 'Antminer T17' }, SEEDED_AT);
    const containerId = slotId.split('/')[0]!;
    await moveMiner(
      db,
      id,
      { siteId: 'sichuan', containerId, slotId, status: 'in_service', reason: 'seed' },
      { now: SEEDED_AT },
    );
  }
}

beforeEach(async () => {
  let clock = Date.parse('2026-12-01T00:00:00Z');
  t = await testApp({}, () => (clock += 1000));
  db = t.app.hashfleet.db;
  await seed();
});
afterEach(async () => t.close());

type Role = 'operator' | 'admin' | 'technician' | 'staker';
const post = (role: Role, url: string, payload?: object) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/relocation${url}`,
    headers: t.auth(role),
    payload: payload ?? {},
  });
const get = (url: string, role: Role = 'technician') =>
  t.app.inject({ method: 'GET', url: `/api/v1/relocation${url}`, headers: t.auth(role) });

type Move = { id: string; minerId: string; state: string; fromContainer: string; batchId: string };
type Result = {
  advanced: { minerId: string; serial: string; state: string }[];
  refused: { minerId: string; serial: string; reason: string }[];
};

async function approvedPlan() {
  const p = await post('operator', '/plans', { name: 'dry season', assumptions });
  expect(p.statusCode, p.body).toBe(201);
  const plan = p.json() as { id: string };
  expect((await post('admin', `/plans/${plan.id}/approve`)).statusCode).toBe(200);
  const moves = (await get(`/moves?planId=${plan.id}`)).json() as Move[];
  expect(moves.map((m) => m.minerId).sort()).toEqual(['m1', 'm2', 'm3', 'm4']);
  return { planId: plan.id, moves };
}

const states = async (planId: string) =>
  Object.fromEntries(
    ((await get(`/moves?planId=${planId}`)).json() as Move[]).map((m) => [m.minerId, m.state]),
  );

const bulk = (role: Role, planId: string, containerId: string, from: string, to: string) =>
  post(role, '/moves/advance', { planId, containerId, from, to });

describe('a container moved in one action', () => {
  it('a technician advances every move of the container in that state; others stay; each step is audited', async () => {
    const { planId, moves } = await approvedPlan();
    // m1 is already a step ahead: the bulk step from `planned` leaves it alone.
    const m1 = moves.find((m) => m.minerId === 'm1')!;
    expect((await post('technician', `/moves/${m1.id}/advance`, { to: 'decommissioned' })).statusCode).toBe(
      200,
    );

    // Limited to a batch (one departure), another batch's step moves nothing.
    const none = await post('technician', '/moves/advance', {
      planId,
      containerId: 'sc-c1',
      batchId: 'another-batch',
      from: 'planned',
      to: 'decommissioned',
    });
    expect(none.json()).toMatchObject({ batchId: 'another-batch', advanced: [], refused: [] });

    const r = await bulk('technician', planId, 'sc-c1', 'planned', 'decommissioned');
    expect(r.statusCode, r.body).toBe(200);
    const res = r.json() as Result;
    expect(res.advanced.map((a) => [a.minerId, a.serial, a.state]).sort()).toEqual([
      ['m2', 'SN-2', 'decommissioned'],
      ['m3', 'SN-3', 'decommissioned'],
    ]);
    expect(res.refused).toEqual([]);
    // sc-c2's miner is another container's: untouched.
    expect(await states(planId)).toEqual({
      m1: 'decommissioned',
      m2: 'decommissioned',
      m3: 'decommissioned',
      m4: 'planned',
    });
    const audit = await db.all<{ subject: string; actor_name: string; details_json: string }>(
      "SELECT subject, actor_name, details_json FROM audit_log WHERE action = 'relocation.move.advance' ORDER BY at",
    );
    expect(audit).toHaveLength(3);
    expect(audit.every((a) => a.actor_name === 'technician-1')).toBe(true);
    expect(audit.map((a) => JSON.parse(a.details_json).minerId).sort()).toEqual(['m1', 'm2', 'm3']);
    // The step is the single advance's: the miners were put to sleep in inventory.
    const asleep = await db.all<{ id: string }>(
      "SELECT id FROM miners WHERE status = 'sleeping' ORDER BY id",
    );
    expect(asleep.map((m) => m.id)).toEqual(['m1', 'm2', 'm3']);
  });

  it('a move that refuses is reported by its miner, never its id; the others advance', async () => {
    const { planId, moves } = await approvedPlan();
    for (const to of ['decommissioned', 'packed', 'in_transit', 'arrived'])
      expect((await bulk('technician', planId, 'sc-c1', bulkFrom(to), to)).json().advanced).toHaveLength(3);
    // Installation of single miners needs a slot each: the bulk step refuses them all, by name.
    const all = (await bulk('technician', planId, 'sc-c1', 'arrived', 'installed')).json() as Result;
    expect(all.advanced).toEqual([]);
    expect(all.refused.map((x) => x.minerId).sort()).toEqual(['m1', 'm2', 'm3']);
    for (const x of all.refused)
      expect(x.reason).toMatch(new RegExp(`${x.serial}: installation needs a slot$`));
    for (const [n, slot] of [
      [1, 'kz-c1/R01/01'],
      [2, 'kz-c1/R01/02'],
      [3, 'kz-c1/R01/03'],
    ] as const) {
      const mv = moves.find((m) => m.minerId === `m${n}`)!;
      const r = await post('technician', `/moves/${mv.id}/advance`, { to: 'installed', slot });
      expect(r.statusCode, r.body).toBe(200);
    }
    // The destination agent reports m2 hashing; m1 and m3 not yet: only m2 verifies.
    await reported('m2', 39.5, Date.parse('2026-12-03T00:00:00Z'));
    const v = (await bulk('technician', planId, 'sc-c1', 'installed', 'verified')).json() as Result;
    expect(v.advanced.map((a) => [a.minerId, a.state])).toEqual([['m2', 'verified']]);
    expect(v.refused.map((x) => x.minerId)).toEqual(['m1', 'm3']);
    for (const x of v.refused) {
      expect(x.reason).toContain(x.serial);
      expect(x.reason).toContain('not verified yet');
      expect(x.reason).not.toMatch(UUID);
    }
    expect(await states(planId)).toMatchObject({
      m1: 'installed',
      m2: 'verified',
      m3: 'installed',
      m4: 'planned',
    });
  });

  it('roles as the single advance: a staker is refused; an unknown plan is 404; a bad state is 400', async () => {
    const { planId } = await approvedPlan();
    expect((await bulk('staker', planId, 'sc-c1', 'planned', 'decommissioned')).statusCode).toBe(403);
    expect((await bulk('operator', 'no-such-plan', 'sc-c1', 'planned', 'decommissioned')).statusCode).toBe(
      404,
    );
    expect((await bulk('operator', planId, 'sc-c1', 'planned', 'teleported')).statusCode).toBe(400);
    expect(await states(planId)).toEqual({ m1: 'planned', m2: 'planned', m3: 'planned', m4: 'planned' });
  });
});

describe("a container's move sheet", () => {
  it('lists its miners by rack and slot with names and destination; the slot stays known once they leave it', async () => {
    const { planId, moves } = await approvedPlan();
    const sheet = async () => {
      const r = await get(`/plans/${planId}/containers/sc-c1/sheet`);
      expect(r.statusCode, r.body).toBe(200);
      return r.json() as {
        planName: string;
        containerName: string;
        rows: {
          minerId: string;
          serial: string;
          model: string;
          fromSlot: string;
          toContainer: string | null;
          toSlot: string | null;
        }[];
      };
    };
    const before = await sheet();
    expect(before).toMatchObject({ planName: 'dry season', containerName: 'SC-1' });
    expect(before.rows.map((r) => [r.fromSlot, r.serial, r.model, r.toContainer])).toEqual([
      ['01', 'SN-2', 'Antminer T17', null],
      ['02', 'SN-3', 'Antminer T17', null],
      ['03', 'SN-1', 'Antminer T17', null],
    ]);
    for (const to of ['decommissioned', 'packed', 'in_transit', 'arrived'])
      await bulk('technician', planId, 'sc-c1', bulkFrom(to), to);
    const m2 = moves.find((m) => m.minerId === 'm2')!;
    await post('technician', `/moves/${m2.id}/advance`, { to: 'installed', slot: 'kz-c1/R01/04' });
    const after = await sheet();
    expect(after.rows.map((r) => [r.fromSlot, r.serial, r.toContainer, r.toSlot])).toEqual([
      ['01', 'SN-2', 'KZ-1', '04'],
      ['02', 'SN-3', null, null],
      ['03', 'SN-1', null, null],
    ]);
    expect((await get(`/plans/nope/containers/sc-c1/sheet`)).statusCode).toBe(404);
    expect((await get(`/plans/${planId}/containers/sc-c1/sheet`, 'staker')).statusCode).toBe(403);
  });
});

function bulkFrom(to: string): string {
  return { decommissioned: 'planned', packed: 'decommissioned', in_transit: 'packed', arrived: 'in_transit' }[
    to
  ]!;
}

/** What ingest records when the destination agent reports the miner (as in relocation-workflow.test.ts). */
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
