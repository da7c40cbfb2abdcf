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
import { SICHUAN_KAZAKHSTAN, sichuan } from '../src/relocation/examples.js';
import { testApp } from './helpers.js';

type T = Awaited<ReturnType<typeof testApp>>;
let t: T;
let db: Db;

const SEEDED_AT = Date.parse('2027-04-30T00:00:00Z');

/**
 * Two sites with a 4-slot container each, and one T17 in Kazakhstan whose warranty runs to the end
 * of 2027. The plan starts in May, Sichuan's wet season (its seasonal tariff comes in the plan's
 * assumptions, 0.011 USD/kWh May-October against Kazakhstan's 0.03).
 */
async function seed() {
  for (const [id, name, timezone, rate] of [
    ['sichuan', "Ya'an", 'Asia/Shanghai', 0.039],
    ['kazakhstan', 'Pavlodar', 'Asia/Almaty', 0.03],
  ] as const) {
    await upsertSite(db, { id, name, timezone, tariff: flatTariff(rate) }, SEEDED_AT);
    const container = id === 'sichuan' ? 'sc-c1' : 'kz-c1';
    await upsertContainer(db, { id: container, siteId: id, name: container }, SEEDED_AT);
    await ensureSlots(
      db,
      container,
      ['01', '02', '03', '04'].map((slot) => ({ rack: 'R01', slot })),
    );
  }
  const id = await createMiner(
    db,
    { id: 'k1', serial: 'SN-K1', model: 'Antminer T17', warrantyEnd: '2027-12-31' },
    SEEDED_AT,
  );
  await moveMiner(
    db,
    id,
    {
      siteId: 'kazakhstan',
      containerId: 'kz-c1',
      slotId: 'kz-c1/R01/01',
      status: 'in_service',
      reason: 'seed',
    },
    { now: SEEDED_AT },
  );
}

const assumptions = {
  start: '2027-05',
  horizonMonths: 6,
  market: { btcPriceUsd: 90_000, hashpriceBtcPerPhDay: 0.0006 },
  routes: [SICHUAN_KAZAKHSTAN],
  sites: { sichuan: { tariffUsdPerKwh: sichuan().tariffUsdPerKwh } },
};

beforeEach(async () => {
  let clock = Date.parse('2027-05-01T00:00:00Z');
  t = await testApp({}, () => (clock += 1000));
  db = t.app.hashfleet.db;
  await seed();
});
afterEach(async () => t.close());

const call = (
  method: 'GET' | 'PUT' | 'POST',
  role: 'operator' | 'admin' | 'technician',
  url: string,
  payload?: object,
) =>
  t.app.inject({
    method,
    url: `/api/v1/relocation${url}`,
    headers: t.auth(role),
    ...(payload ? { payload } : {}),
  });

type Proposed = {
  plan: { moves: { minerId: string; toSite: string; month: number }[] };
  assumptions: { sites: { id: string; repairSite: boolean; ambientC: number[] }[] };
  assumed: string[];
};

const TEST_CLIMATE = [5, 7, 11, 16, 20, 22, 24, 24, 20, 16, 11, 6];

/**
 * Proves issue 18 item 6's "the site's repair-centre flag" in inventory: the flag (and monthly mean
 * temperatures, only with their source) is kept with the site through the API, audited, and every
 * plan from inventory uses it without repeating it in its assumptions. A T17 under warranty in
 * Kazakhstan may then move to Sichuan's cheap wet-season power, being near the repair centre;
 * before, with no site flagged in the request, the warranty held it where it was. Without a stored
 * ambient the plan says 20 °C was assumed. Fails before: PUT /relocation/sites was a 404.
 */
describe("relocation: a site's planning facts kept with the site", () => {
  it('a stored repair centre lets the warranty T17 move to wet-season Sichuan; the plan names the assumed climate', async () => {
    const before = await call('POST', 'operator', '/plans', { name: 'before', assumptions });
    expect(before.statusCode, before.body).toBe(201);
    const b = before.json() as Proposed;
    expect(b.plan.moves).toEqual([]);
    expect(b.assumed).toEqual([
      expect.stringMatching(/^site kazakhstan: no monthly mean temperatures .*20 °C assumed all year$/),
      expect.stringMatching(/^site sichuan: no monthly mean temperatures/),
    ]);

    const put = await call('PUT', 'operator', '/sites/sichuan', {
      repairCentre: true,
      ambientC: TEST_CLIMATE,
      ambientSource: 'test figures, not a climate normal',
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({
      siteId: 'sichuan',
      repairCentre: true,
      ambientC: TEST_CLIMATE,
      updatedBy: 'operator-1',
    });

    const after = await call('POST', 'operator', '/plans', { name: 'after', assumptions });
    expect(after.statusCode, after.body).toBe(201);
    const a = after.json() as Proposed;
    expect(a.plan.moves).toEqual([expect.objectContaining({ minerId: 'k1', toSite: 'sichuan', month: 0 })]);
    const sc = a.assumptions.sites.find((s) => s.id === 'sichuan')!;
    // The stored facts and the plan's own tariff for the same site, together.
    expect(sc).toMatchObject({
      repairSite: true,
      ambientC: TEST_CLIMATE,
      tariffUsdPerKwh: sichuan().tariffUsdPerKwh,
    });
    expect(a.assumed).toEqual([expect.stringMatching(/^site kazakhstan: /)]);

    // The plan's assumptions still win for that plan.
    const over = await call('POST', 'operator', '/plans', {
      name: 'no repair centre',
      assumptions: {
        ...assumptions,
        sites: { sichuan: { ...assumptions.sites.sichuan, repairSite: false } },
      },
    });
    expect((over.json() as Proposed).plan.moves).toEqual([]);
  });

  it('refuses a climate without its source, an unknown site and a technician; a technician reads; audited', async () => {
    const noSource = await call('PUT', 'operator', '/sites/sichuan', {
      repairCentre: true,
      ambientC: TEST_CLIMATE,
    });
    expect(noSource.statusCode).toBe(400);
    expect(noSource.body).toMatch(/ambientSource/);
    const short = await call('PUT', 'operator', '/sites/sichuan', {
      repairCentre: true,
      ambientC: [1, 2, 3],
      ambientSource: 'x',
    });
    expect(short.statusCode).toBe(400);
    const unknown = await call('PUT', 'admin', '/sites/almaty', { repairCentre: false });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toMatch(/site almaty is not in inventory/);
    expect((await call('PUT', 'technician', '/sites/sichuan', { repairCentre: true })).statusCode).toBe(403);

    expect((await call('PUT', 'admin', '/sites/kazakhstan', { repairCentre: false })).statusCode).toBe(200);
    const list = await call('GET', 'technician', '/sites');
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual([
      expect.objectContaining({
        siteId: 'kazakhstan',
        repairCentre: false,
        ambientC: null,
        ambientSource: null,
      }),
    ]);
    const audit = await db.all<{ action: string; subject: string }>(
      "SELECT action, subject FROM audit_log WHERE action = 'relocation.site.set'",
    );
    expect(audit).toEqual([{ action: 'relocation.site.set', subject: 'site kazakhstan' }]);
  });

  /**
   * The planning tariff and the salvage values kept with a site (issue 18 item 6: seasonal tariffs,
   * a retire decision at a salvage value): at 0.05 USD/kWh the T17 in Kazakhstan loses money, and
   * with 30 USD for a retired T17 there the plan retires it at once instead of idling it. The
   * stored figures appear in the plan's assumptions. Fails before: the fields were not kept.
   */
  it('a stored planning tariff and salvage value retire the loss-making T17 where it stands', async () => {
    const before = (await call('POST', 'operator', '/plans', { name: 'before', assumptions })).json() as {
      plan: { retirements: unknown[] };
    };
    expect(before.plan.retirements).toEqual([]);
    const dear = Array(12).fill(0.05);
    const put = await call('PUT', 'operator', '/sites/kazakhstan', {
      repairCentre: false,
      tariffUsdPerKwh: dear,
      tariffSource: 'test figures, not a contract',
      salvageUsd: { 'Antminer T17': 30 },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ tariffUsdPerKwh: dear, salvageUsd: { 'Antminer T17': 30 } });
    const after = await call('POST', 'operator', '/plans', { name: 'after', assumptions });
    expect(after.statusCode, after.body).toBe(201);
    const a = after.json() as Proposed & {
      plan: { retirements: { minerId: string; site: string; month: number; salvageUsd: number }[] };
      assumptions: { sites: { id: string; tariffUsdPerKwh: number[]; salvageUsd: Record<string, number> }[] };
    };
    expect(a.plan.retirements).toEqual([
      expect.objectContaining({ minerId: 'k1', site: 'kazakhstan', month: 0, salvageUsd: 30 }),
    ]);
    expect(a.assumptions.sites.find((x) => x.id === 'kazakhstan')).toMatchObject({
      tariffUsdPerKwh: dear,
      salvageUsd: { 'Antminer T17': 30 },
    });
  });

  it('refuses a planning tariff without its source, and plans no site whose tariff is not in USD without one', async () => {
    const noSource = await call('PUT', 'operator', '/sites/kazakhstan', {
      repairCentre: false,
      tariffUsdPerKwh: Array(12).fill(0.03),
    });
    expect(noSource.statusCode).toBe(400);
    expect(noSource.body).toMatch(/tariffSource/);
    const negative = await call('PUT', 'operator', '/sites/kazakhstan', {
      repairCentre: false,
      salvageUsd: { 'Antminer S9': -1 },
    });
    expect(negative.statusCode).toBe(400);

    await upsertSite(
      db,
      { id: 'kazakhstan', name: 'Pavlodar', timezone: 'Asia/Almaty', tariff: flatTariff(14, 'KZT') },
      SEEDED_AT,
    );
    const refused = await call('POST', 'operator', '/plans', { name: 'tenge', assumptions });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().message).toMatch(
      /site kazakhstan: its tariff is in KZT; give its planning tariff in USD/,
    );
    const put = await call('PUT', 'operator', '/sites/kazakhstan', {
      repairCentre: false,
      tariffUsdPerKwh: Array(12).fill(0.03),
      tariffSource: 'test figures, not a contract',
    });
    expect(put.statusCode, put.body).toBe(200);
    expect((await call('POST', 'operator', '/plans', { name: 'tenge', assumptions })).statusCode).toBe(201);
  });
});
