import {
  exampleSample,
  exampleTelemetry,
  type MinerSample,
  type Telemetry,
  topics,
} from '@hashfleet/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsFor } from '../src/alerts/index.js';
import { containerRollup, siteRollup } from '../src/fleet/queries.js';
import { testApp } from './helpers.js';

/**
 * Proves a lying miner is not believed (issue 17 item 3): a reply of 1000x its hashrate, a chip at
 * 900 °C and negative power is kept raw and marked in the stored sample, left out of the container
 * and site roll-ups, the 1-minute history the "below expected" median reads, and the hourly
 * energy rows accounting reads; it is counted and raises implausible_reading naming the fields.
 */
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const T0 = exampleSample.at;
const POLL = 30_000;
const OFFLINE_MS = 180_000;
const boards = [1, 2, 3].map((index) => ({ ...exampleSample.boards[0]!, index }));
const honest: MinerSample = { ...exampleSample, boards, powerProvenance: 'reported' };
const liarBase: MinerSample = {
  ...honest,
  minerKey: 'SN-LIAR0001',
  serial: 'LIAR0001',
  mac: '02:00:00:aa:bb:dd',
  ip: '10.0.4.18',
  slot: { rack: 'R03', slot: '13' },
};
const lies: Partial<MinerSample> = {
  hashrate5sThs: honest.hashrate5sThs! * 1000,
  hashrateAvgThs: honest.hashrateAvgThs! * 1000,
  chipTempMaxC: 900,
  powerW: -3250,
};

describe('a lying miner (SQLite, manual clock)', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  let clock = T0;
  let seq = 1;
  beforeEach(async () => {
    clock = T0;
    seq = 1;
    t = await testApp({}, () => clock);
  });
  afterEach(async () => t.close());

  async function poll(liar: Partial<MinerSample>) {
    clock += POLL;
    const msg: Telemetry = {
      ...exampleTelemetry,
      seq: seq++,
      sentAt: clock,
      samples: [
        { ...honest, at: clock, work: { ...honest.work, sinceAt: clock - POLL } },
        { ...liarBase, ...liar, at: clock, work: { ...honest.work, sinceAt: clock - POLL } },
      ],
      unreachable: [],
    };
    expect(await t.app.hashfleet.ingest.handle(topics.telemetry('sc-c01'), enc(msg))).toBe('applied');
    return alertsFor(t.app.hashfleet).tick(clock);
  }

  it('is marked, excluded from roll-ups, history and energy, counted and alerted', async () => {
    const db = t.app.hashfleet.db;
    await poll({});
    const r = await poll(lies);

    const stored = await db.get<{
      implausible: string;
      hashrate_ths: number | null;
      power_w: number | null;
      chip_temp_max_c: number | null;
    }>(
      `SELECT l.implausible, l.hashrate_ths, l.power_w, l.chip_temp_max_c FROM miner_latest l
       JOIN miners m ON m.id = l.miner_id WHERE m.serial = 'LIAR0001'`,
    );
    const sample = { implausible: JSON.parse(stored!.implausible), chipTempMaxC: stored!.chip_temp_max_c };
    expect(sample.implausible.map((f: { field: string; value: number }) => [f.field, f.value])).toEqual([
      ['hashrate5sThs', 110_200],
      ['hashrateAvgThs', 109_800],
      ['powerW', -3250],
      ['chipTempMaxC', 900],
    ]);
    expect([stored!.hashrate_ths, stored!.power_w, sample.chipTempMaxC]).toEqual([null, null, null]);

    // Roll-ups: only the honest miner's figures.
    const c = await containerRollup(db, 'sc-c01', clock, OFFLINE_MS);
    const s = await siteRollup(db, 'sichuan', clock, OFFLINE_MS);
    expect([c.hashrateThs, c.powerW]).toEqual([110.2, 3250]);
    expect([s.hashrateThs, s.powerW]).toEqual([110.2, 3250]);
    expect(c.hottest[0]?.chipTempMaxC).toBe(72);

    // The history the hashrate_low median reads holds no lie.
    const hist = await db.all<{
      hashrate_ths: number | null;
      chip_temp_max_c: number | null;
      power_w: number | null;
    }>(
      `SELECT h.hashrate_ths, h.chip_temp_max_c, h.power_w FROM miner_history h JOIN miners m ON m.id = h.miner_id
       WHERE m.serial = 'LIAR0001' AND h.at = ?`,
      [clock],
    );
    expect(hist).toEqual([{ hashrate_ths: null, chip_temp_max_c: null, power_w: null }]);

    // Accounting: the honest miner's two intervals and the liar's first; its negative power reports nothing.
    const hourly = await db.all<{ energy_wh_reported: number }>(
      'SELECT energy_wh_reported FROM container_hourly',
    );
    for (const h of hourly) expect(h.energy_wh_reported).toBeGreaterThanOrEqual(0);
    const reported = hourly.reduce((a, h) => a + h.energy_wh_reported, 0);
    expect(reported).toBeCloseTo((3250 * 2 * POLL) / 3_600_000 + (3250 * POLL) / 3_600_000, 6);

    expect(r.opened).toBeGreaterThanOrEqual(1);
    const alerts = await db.all<{ kind: string; state: string; message: string }>(
      `SELECT kind, state, message FROM alerts WHERE kind = 'implausible_reading'`,
    );
    expect(alerts).toEqual([
      {
        kind: 'implausible_reading',
        state: 'open',
        message:
          'implausible reading: hashrate5sThs 110200 outside 0..330, hashrateAvgThs 109800 outside 0..330, powerW -3250 outside 0..8125, chipTempMaxC 900 outside -40..150',
      },
    ]);
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('hashfleet_ingest_implausible_total{field="chipTempMaxC"} 1');
  });
});
