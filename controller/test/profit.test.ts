import {
  exampleBirth,
  exampleSample,
  exampleTelemetry,
  type MinerSample,
  topics,
} from '@hashfleet/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectedSats } from '../src/energy/index.js';
import { testApp } from './helpers.js';

/**
 * Profit per day (issue 19 item 8) through the real ingest, the accounting's input routes and
 * GET /profit on SQLite. It proves: revenue is the accounting's expected revenue
 * (energy/expected-revenue.ts `expectedSats`) for a day of the miner's hashrate; energy is its
 * power x 24 h at the site's tariff rate of the present hour in the SITE'S local time; a unit
 * drawing more than it earns shows a negative profit; a missing input is named, not priced.
 *
 * The known case, by hand:
 * - 100 TH/s for a day = 100e12 x 86,400 / 2^32 = 2,011,656,761.17 difficulty-1 shares;
 * - block 880,000: 4 halvings, subsidy 312,500,000 sats, + fees 12,500,000 = 325,000,000 sats;
 * - at difficulty 1e14: floor(2,011,656,761.17 x 325,000,000 / 1e14) = floor(6,537.88) = 6,537 sats;
 * - now is 12:00 UTC = 20:00 in Asia/Shanghai, where the tariff is 0.10 USD/kWh (its hour-12 rate,
 *   0.50, would be taken by a UTC reading);
 * - S1 draws 3,250 W: 78 kWh x 0.10 = 7.80 USD = 7,800 sats at 100,000 USD/BTC: profit -1,263;
 * - S2 draws 2,000 W: 48 kWh x 0.10 = 4.80 USD = 4,800 sats: profit +1,737.
 */
const NOW = Date.parse('2025-11-23T12:00:00Z');
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

let t: Awaited<ReturnType<typeof testApp>>;
let seq = 100;
const handle = (topic: string, msg: unknown) => t.app.hashfleet.ingest.handle(topic, enc(msg));

function sample(slot: string, ths: number, watts: number | null): MinerSample {
  return {
    ...exampleSample,
    minerKey: `SN-${slot}`,
    serial: `S${slot}`,
    mac: null,
    ip: `10.0.1.${Number(slot)}`,
    slot: { rack: 'R01', slot },
    at: NOW - 10_000,
    hashrate5sThs: ths,
    hashrateAvgThs: ths,
    powerW: watts,
    powerProvenance: watts === null ? null : 'reported',
  };
}

async function telemetry(samples: MinerSample[]) {
  const msg = { ...exampleTelemetry, seq: seq++, samples, unreachable: [], agent: null };
  expect(await handle(topics.telemetry('sc-c01'), msg)).toBe('applied');
}

async function post(url: string, payload: object) {
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1${url}`,
    headers: t.auth('operator'),
    payload,
  });
  expect(res.statusCode, res.body).toBe(201);
}

type MinerProfit = {
  serial: string;
  revenueSatsPerDay: string | null;
  energySatsPerDay: string | null;
  profitSatsPerDay: string | null;
  ratePerKwh: number | null;
  missing?: string[];
};

async function profit(query = '') {
  const res = await t.app.inject({ url: `/api/v1/profit${query}`, headers: t.auth('technician') });
  expect(res.statusCode, res.body).toBe(200);
  const body = res.json();
  const bySerial = new Map<string, MinerProfit>(body.miners.map((m: MinerProfit) => [m.serial, m]));
  return { body, bySerial };
}

const market = async () => {
  await post('/network', {
    difficulty: 1e14,
    blockHeight: 880_000,
    feesPerBlockSats: '12500000',
    source: 'test',
    observedAt: '2025-11-23T00:00:00Z',
  });
  await post('/btc-prices', {
    currency: 'USD',
    price: '100000',
    source: 'test',
    observedAt: '2025-11-23T00:00:00Z',
  });
};

beforeEach(async () => {
  t = await testApp({}, () => NOW);
  // 0.10 USD/kWh, but 0.50 at hour 12 of every month: the rate now is the local hour's (20:00).
  const perKwh = Array.from({ length: 12 }, () =>
    Array.from({ length: 24 }, (_, h) => (h === 12 ? 0.5 : 0.1)),
  );
  await t.app.hashfleet.db.run(
    'INSERT INTO sites (id, name, timezone, tariff_json, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    ['sichuan', 'Sichuan', 'Asia/Shanghai', JSON.stringify({ currency: 'USD', perKwh }), 0, 0],
  );
  await handle(topics.birth('sc-c01'), exampleBirth);
});
afterEach(async () => t.close());

describe('profit per day', () => {
  it("equals the accounting's expected revenue minus the tariff's energy cost; a unit drawing more than it earns is negative", async () => {
    await telemetry([sample('01', 100, 3250), sample('02', 100, 2000)]);
    await market();
    const { body, bySerial } = await profit();
    const day = (100e12 * 86_400) / 2 ** 32;
    const network = {
      difficulty: 1e14,
      blockHeight: 880_000,
      feesPerBlockSats: 12_500_000n,
      source: 'test',
      observedAtMs: 0,
    };
    expect(expectedSats(day, network)).toBe(6537n);
    expect(bySerial.get('S01')).toMatchObject({
      revenueSatsPerDay: '6537',
      energySatsPerDay: '7800',
      profitSatsPerDay: '-1263',
      ratePerKwh: 0.1,
    });
    expect(bySerial.get('S01')!.missing).toBeUndefined();
    expect(bySerial.get('S02')).toMatchObject({
      revenueSatsPerDay: '6537',
      energySatsPerDay: '4800',
      profitSatsPerDay: '1737',
    });
    // The birth's miner (HTM3X1234) sent no sample: counted, left out of the sums.
    const totals = {
      miners: 3,
      incomplete: 1,
      losing: 1,
      revenueSatsPerDay: '13074',
      energySatsPerDay: '12600',
    };
    expect(body.containers).toEqual([
      {
        containerId: 'sc-c01',
        name: expect.any(String),
        siteId: 'sichuan',
        ...totals,
        profitSatsPerDay: '474',
      },
    ]);
    expect(body.sites).toEqual([{ siteId: 'sichuan', name: 'Sichuan', ...totals, profitSatsPerDay: '474' }]);
  });

  it('names a missing input instead of showing a number', async () => {
    await telemetry([sample('01', 100, 3250), sample('02', 100, null)]);
    const before = await profit();
    expect(before.bySerial.get('S01')).toMatchObject({
      revenueSatsPerDay: null,
      energySatsPerDay: null,
      profitSatsPerDay: null,
      missing: ['network', 'btcPrice'],
    });
    expect(before.body.sites[0]).toMatchObject({ miners: 3, incomplete: 3, profitSatsPerDay: '0' });

    await market();
    const after = await profit('?containerId=sc-c01');
    expect(after.bySerial.get('S02')).toMatchObject({
      revenueSatsPerDay: '6537',
      energySatsPerDay: null,
      profitSatsPerDay: null,
      missing: ['power'],
    });
    expect(after.body.containers[0]).toMatchObject({ miners: 3, incomplete: 2, profitSatsPerDay: '-1263' });
  });

  it('a miner with no fresh reading is named as such, not priced at its last figures', async () => {
    await telemetry([{ ...sample('01', 100, 3250), at: NOW - 3_600_000 }]);
    await market();
    const { bySerial } = await profit();
    expect(bySerial.get('S01')).toMatchObject({ profitSatsPerDay: null, missing: ['reading'] });
  });
});
