import {
  exampleBirth,
  examplePower,
  exampleSample,
  exampleTelemetry,
  type MinerSample,
  type PduSample,
  topics,
} from '@hashfleet/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { energyPoints } from '../src/core/influx/points-energy.js';
import { testApp } from './helpers.js';

/**
 * Energy is billed per miner-hour from its best source (metered by its outlet > reported by the
 * miner > estimated), through the real ingest and the real close on SQLite (issue 18 item 1).
 * The period is the day 2025-11-23; data is in its hour 12:00 UTC, where every miner sends a sample a minute, covering the
 * whole hour, reporting its power.
 */
const H = Date.parse('2025-11-23T12:00:00Z');
const PERIOD = '2025-11-23';
const MIN = 60_000;
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

let t: Awaited<ReturnType<typeof testApp>>;
let seq = 100;
const handle = (topic: string, msg: unknown) => t.app.hashfleet.ingest.handle(topic, enc(msg));

/** One hour of samples a minute from the miner in `slot`, reporting `watts`. */
function minerHour(slot: string, watts: number): MinerSample[] {
  return Array.from({ length: 60 }, (_, k) => ({
    ...exampleSample,
    minerKey: `SN-${slot}`,
    serial: `S${slot}`,
    mac: null,
    ip: `10.0.1.${Number(slot)}`,
    slot: { rack: 'R01', slot },
    at: H + k * MIN,
    powerW: watts,
    powerProvenance: 'reported' as const,
    work: { diff1Shares: 1_000_000, sinceAt: H + (k - 1) * MIN, counterReset: false },
  }));
}

async function telemetry(samples: MinerSample[]) {
  expect(
    await handle(topics.telemetry('sc-c01'), {
      ...exampleTelemetry,
      seq: seq++,
      samples,
      unreachable: [],
      agent: null,
    }),
  ).toBe('applied');
}

/** A PDU reading at `at` of the outlets feeding `slots`, `wh` each since the reading before. */
async function power(at: number, slots: string[], wh: number) {
  const pdu: PduSample = {
    ...examplePower.pdus[0]!,
    at,
    outlets: slots.map((slot) => ({
      ...examplePower.pdus[0]!.outlets[0]!,
      outlet: Number(slot),
      name: `R01-${slot}`,
      energySinceWh: wh,
      slot: { rack: 'R01', slot },
    })),
  };
  expect(await handle(topics.power('sc-c01'), { ...examplePower, seq: seq++, pdus: [pdu] })).toBe('applied');
}

/** The PDU read every 5 minutes from `from` to `to`, `whPerHour` per outlet, after a reading just before. */
async function meter(slots: string[], whPerHour: number, from = H, to = H + 60 * MIN) {
  await power(from - 5 * MIN, slots, 0);
  for (let at = from; at < to; at += 5 * MIN) await power(at, slots, whPerHour / 12);
}

async function req(method: 'GET' | 'POST', url: string, payload?: object) {
  const res = await t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: t.auth('operator'),
    ...(payload ? { payload } : {}),
  });
  return { status: res.statusCode, body: res.json() };
}

/** Closes the hour and returns the energy cost line and the inputs document's energy lines. */
async function closeHour() {
  expect(
    (
      await req('POST', '/credits', {
        periodId: PERIOD,
        pool: 'braiins',
        reference: 'h12',
        amountSats: '5000000',
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await req('POST', '/btc-prices', {
        currency: 'USD',
        price: '100000',
        source: 'manual',
        observedAt: '2025-11-23T11:00:00Z',
      })
    ).status,
  ).toBe(201);
  // The day has data in one hour only: incomplete, so the close takes an override (item 2).
  const closed = await req('POST', `/periods/${PERIOD}/close`, { override: 'test: one hour of data' });
  expect(closed.status, JSON.stringify(closed.body)).toBe(201);
  const outputs = (await req('GET', `/periods/${PERIOD}/outputs`)).body;
  const inputs = (await req('GET', `/periods/${PERIOD}/inputs`)).body;
  return {
    energy: outputs.costs.find((c: { account: string }) => c.account === 'expense:energy:sichuan'),
    lines: inputs.energy,
  };
}

beforeEach(async () => {
  t = await testApp({}, () => H + 13 * 3_600_000);
  // 0.10 USD/kWh every hour: 1 kWh costs 100,000 micro-USD, 100 sats at 100,000 USD/BTC.
  const tariff = JSON.stringify({
    currency: 'USD',
    perKwh: Array.from({ length: 12 }, () => Array(24).fill(0.1)),
  });
  await t.app.hashfleet.db.run(
    'INSERT INTO sites (id, name, timezone, tariff_json, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    ['sichuan', 'Sichuan', 'UTC', tariff, 0, 0],
  );
  await handle(topics.birth('sc-c01'), exampleBirth);
});
afterEach(async () => t.close());

describe('energy per miner-hour, best source each', () => {
  it('a half-metered container bills all its energy: the metered half and the reported half', async () => {
    // Four miners at 1,000 W; the outlets of slots 01 and 02 meter 1,100 Wh each in the hour.
    await telemetry(['01', '02', '03', '04'].flatMap((s) => minerHour(s, 1000)));
    await meter(['01', '02'], 1100);
    const { energy, lines } = await closeHour();
    // Before: "metered 2200 Wh" alone, the two unmetered miners unbilled.
    expect(energy.detail).toBe('metered 2200 Wh, reported 2000 Wh; 420000 micro-USD');
    expect(energy.sats).toBe('420');
    expect(lines).toEqual([
      {
        siteId: 'sichuan',
        containerId: 'sc-c01',
        hourStartMs: H,
        meteredWh: 2200,
        reportedWh: 2000,
        estimatedWh: 0,
        meteredMinerHours: 2,
        reportedMinerHours: 2,
        estimatedMinerHours: 0,
        currency: 'USD',
        ratePerKwhMicro: '100000',
      },
    ]);
  });

  it("a PDU-down hour bills the miners' reported energy", async () => {
    // The outlets of slots 01-03 metered the day before (so the slots are known to be metered);
    // in the day billed the PDU sends nothing while the three miners report 3,000 W each.
    await power(H - 13 * 60 * MIN, ['01', '02', '03'], 1500);
    await telemetry(['01', '02', '03'].flatMap((s) => minerHour(s, 3000)));
    const { energy, lines } = await closeHour();
    // Before: no energy line at all (0 Wh billed).
    expect(energy?.detail).toBe('reported 9000 Wh; 900000 micro-USD');
    expect(lines).toMatchObject([{ meteredMinerHours: 0, reportedMinerHours: 3, reportedWh: 9000 }]);
  });

  it('a PDU gap falls back per miner: a metered outlet that read 0 Wh while its miner reported', async () => {
    await telemetry(['01', '02'].flatMap((s) => minerHour(s, 2000)));
    // Outlet 01 reads 1,900 Wh; outlet 02's counter did not move (the meter failed, the miner ran).
    await meter(['01'], 1900);
    await power(H + 59 * MIN, ['02'], 0);
    const { energy } = await closeHour();
    expect(energy.detail).toBe('metered 1900 Wh, reported 2000 Wh; 390000 micro-USD');
  });

  it('a PDU outage: the hours it missed fall back per miner, and the reading that spans it is not billed twice', async () => {
    // 11:00-11:30 metered; the PDU is down 11:30-12:30; its first reading after the outage (12:30)
    // spans the hour; 12:30-13:00 metered again. Two miners report 1,000 W from 11:00 to 13:00.
    await telemetry(
      ['01', '02'].flatMap((s) => [
        ...minerHour(s, 1000).map((x) => ({
          ...x,
          at: x.at - 60 * MIN,
          work: { ...x.work, sinceAt: x.work.sinceAt! - 60 * MIN },
        })),
        ...minerHour(s, 1000),
      ]),
    );
    await meter(['01', '02'], 1200, H - 60 * MIN, H - 30 * MIN);
    await power(H + 30 * MIN, ['01', '02'], 1200); // one hour's energy in one delta
    for (let at = H + 35 * MIN; at < H + 60 * MIN; at += 5 * MIN) await power(at, ['01', '02'], 100);
    const { energy } = await closeHour();
    // Hour 11: the meters covered half the miners' time -> reported 2 x 1,000 Wh.
    // Hour 12: the meters covered 25 of 60 minutes (the 12:30 delta spans the outage) -> reported.
    // Before: the 12:30 delta (2 x 1,200 Wh) billed on top of the reports of the hours it spans.
    expect(energy.detail).toBe('reported 4000 Wh; 400000 micro-USD');
  });

  it("the dashboards' energy point of an hour is the close's energy line of that hour (Wh per source, cost)", async () => {
    // The half-metered container again: per container-hour the point took metered 2,200 Wh alone.
    await telemetry(['01', '02', '03', '04'].flatMap((s) => minerHour(s, 1000)));
    await meter(['01', '02'], 1100);
    const [point] = await energyPoints(t.app.hashfleet.db, 'sichuan', 'sc-c01', [H]);
    const { lines } = await closeHour();
    const line = lines.find((l: { hourStartMs: number }) => l.hourStartMs === H);
    expect(point?.at).toBe(H);
    expect(point?.fields).toMatchObject({
      energy_wh: line.meteredWh + line.reportedWh + line.estimatedWh,
      energy_wh_metered: line.meteredWh,
      energy_wh_reported: line.reportedWh,
      energy_wh_estimated: line.estimatedWh,
      rate_per_kwh: Number(line.ratePerKwhMicro) / 1e6,
    });
    expect(point?.fields['energy_wh']).toBe(4200);
    expect(point?.fields['cost']).toBeCloseTo(0.42, 9);
  });
});
