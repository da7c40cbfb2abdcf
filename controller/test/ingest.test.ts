import {
  exampleBirth,
  examplePower,
  exampleSample,
  exampleStatus,
  exampleTelemetry,
  type MinerSample,
  type Telemetry,
  topics,
} from '@hashfleet/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testApp } from './helpers.js';

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const T0 = exampleSample.at;

function sample(over: Partial<MinerSample>): MinerSample {
  return { ...exampleSample, ...over };
}

function batch(seq: number, samples: MinerSample[], over: Partial<Telemetry> = {}): Telemetry {
  return { ...exampleTelemetry, seq, samples, unreachable: [], agent: null, ...over };
}

describe('ingest', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  beforeEach(async () => {
    t = await testApp({}, () => T0 + 1000);
  });
  afterEach(async () => t.close());

  const handle = (topic: string, msg: unknown) => t.app.hashfleet.ingest.handle(topic, enc(msg));
  const hourly = () =>
    t.app.hashfleet.db.all<Record<string, number>>(
      'SELECT diff1_shares, energy_wh_metered, energy_wh_reported, energy_wh_estimated, miner_uptime_s, samples FROM container_hourly',
    );

  it('counts a duplicate batch once in the hourly aggregates', async () => {
    const b = batch(1, [sample({ work: { diff1Shares: 1000, sinceAt: T0 - 30_000, counterReset: false } })]);
    expect(await handle(topics.telemetry('sc-c01'), b)).toBe('applied');
    expect(await handle(topics.telemetry('sc-c01'), b)).toBe('duplicate');
    expect(await hourly()).toEqual([
      {
        diff1_shares: 1000,
        energy_wh_metered: 0,
        energy_wh_reported: 0,
        energy_wh_estimated: (3250 * 30) / 3600,
        miner_uptime_s: 30,
        samples: 1,
      },
    ]);
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/hashfleet_ingest_duplicates_total\{kind="telemetry"\} 1/);
  });

  it('counts work the agent estimated from hashrate and keeps it apart in the hourly aggregate', async () => {
    const estimated = {
      diff1Shares: 1_000_000,
      sinceAt: T0 - 30_000,
      counterReset: false,
      provenance: 'estimated' as const,
    };
    await handle(
      topics.telemetry('sc-c01'),
      batch(1, [sample({ difficultyAccepted: null, work: estimated })]),
    );
    await handle(
      topics.telemetry('sc-c01'),
      batch(2, [sample({ at: T0 + 30_000, minerKey: 'SN-OTHER', serial: 'OTHER', mac: null })]),
    );
    const [row] = await t.app.hashfleet.db.all<{ diff1_shares: number; diff1_shares_estimated: number }>(
      'SELECT diff1_shares, diff1_shares_estimated FROM container_hourly',
    );
    expect(row).toEqual({
      diff1_shares: 1_000_000 + exampleSample.work.diff1Shares,
      diff1_shares_estimated: 1_000_000,
    });
  });

  it('rejects and counts a malformed payload, names the field, and keeps ingesting', async () => {
    const bad = { ...batch(2, [sample({})]), samples: [{ ...exampleSample, hashrate5sThs: 'fast' }] };
    expect(await handle(topics.telemetry('sc-c01'), bad)).toBe('malformed');
    expect(
      await t.app.hashfleet.ingest.handle(topics.telemetry('sc-c01'), new TextEncoder().encode('{not json')),
    ).toBe('malformed');
    // A payload claiming another agent than its topic is refused too.
    expect(await handle(topics.telemetry('other'), batch(3, [sample({})]))).toBe('malformed');
    expect(await handle(topics.telemetry('sc-c01'), batch(4, [sample({})]))).toBe('applied');
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/hashfleet_ingest_malformed_total\{kind="telemetry"\} 3/);
    expect((await hourly())[0]?.samples).toBe(1);
  });

  it('places the miner from birth and keeps its latest sample and identity', async () => {
    expect(await handle(topics.birth('sc-c01'), exampleBirth)).toBe('applied');
    expect(await handle(topics.status('sc-c01'), exampleStatus)).toBe('applied');
    expect(await handle(topics.telemetry('sc-c01'), batch(5, [sample({})]))).toBe('applied');
    const db = t.app.hashfleet.db;
    const miner = await db.get<{
      id: string;
      serial: string;
      container_id: string;
      slot_id: string;
      status: string;
    }>('SELECT id, serial, container_id, slot_id, status FROM miners');
    expect(miner).toMatchObject({
      serial: 'HTM3X1234',
      container_id: 'sc-c01',
      slot_id: 'sc-c01/R03/12',
      status: 'in_service',
    });
    const latest = await db.get<{ hashrate_ths: number; online: number }>(
      'SELECT hashrate_ths, online FROM miner_latest WHERE miner_id = ?',
      [miner!.id],
    );
    expect(latest).toEqual({ hashrate_ths: 110.2, online: 1 });
    const ids = await db.all<{ kind: string; value: string }>(
      'SELECT kind, value FROM miner_identities WHERE miner_id = ? ORDER BY kind',
      [miner!.id],
    );
    expect(ids).toEqual([
      { kind: 'ip', value: '10.0.4.17' },
      { kind: 'mac', value: '02:00:00:aa:bb:cc' },
      { kind: 'serial', value: 'HTM3X1234' },
    ]);
  });

  it('meters energy from the PDU outlet and does not count the miner in that slot again', async () => {
    await handle(topics.birth('sc-c01'), exampleBirth);
    await handle(topics.power('sc-c01'), { ...examplePower, seq: 6 });
    await handle(
      topics.telemetry('sc-c01'),
      batch(7, [
        sample({
          powerProvenance: 'reported',
          work: { diff1Shares: 5, sinceAt: T0 - 30_000, counterReset: false },
        }),
      ]),
    );
    const [h] = await hourly();
    expect(h).toMatchObject({
      energy_wh_metered: 27,
      energy_wh_reported: 0,
      energy_wh_estimated: 0,
      diff1_shares: 5,
    });
  });

  it('follows a miner moved to another slot and an IP change, keeping the history', async () => {
    await handle(topics.telemetry('sc-c01'), batch(8, [sample({})]));
    await handle(
      topics.telemetry('sc-c01'),
      batch(9, [sample({ at: T0 + 60_000, ip: '10.0.4.99', slot: { rack: 'R04', slot: '01' } })]),
    );
    const db = t.app.hashfleet.db;
    const locations = await db.all<{ slot_id: string }>('SELECT slot_id FROM miner_locations ORDER BY at');
    expect(locations.map((l) => l.slot_id)).toEqual(['sc-c01/R03/12', 'sc-c01/R04/01']);
    const kinds = (await db.all<{ kind: string }>('SELECT kind FROM events ORDER BY at, kind')).map(
      (e) => e.kind,
    );
    expect(kinds).toEqual(expect.arrayContaining(['miner.new', 'miner.ip_changed', 'miner.moved']));
    const slot = await db.get<{ miner_id: string | null }>(
      "SELECT miner_id FROM slots WHERE id = 'sc-c01/R03/12'",
    );
    expect(slot?.miner_id).toBeNull();
  });
});

describe('identity reconciliation', () => {
  it('records a control-board swap when a known serial shows a new MAC', async () => {
    const t = await testApp({}, () => T0 + 1000);
    try {
      const h = (seq: number, over: Partial<MinerSample>) =>
        t.app.hashfleet.ingest.handle(
          topics.telemetry('sc-c01'),
          enc({ ...exampleTelemetry, seq, samples: [sample(over)], unreachable: [], agent: null }),
        );
      await h(1, {});
      await h(2, { at: T0 + 30_000, mac: '02:00:00:ff:ff:ff' });
      const db = t.app.hashfleet.db;
      expect((await db.all('SELECT id FROM miners')).length).toBe(1);
      const swap = await db.get<{ details_json: string }>(
        "SELECT details_json FROM events WHERE kind = 'miner.board_swap'",
      );
      expect(JSON.parse(swap!.details_json)).toEqual({
        part: 'control_board',
        previousMac: '02:00:00:aa:bb:cc',
        mac: '02:00:00:ff:ff:ff',
      });
    } finally {
      await t.close();
    }
  });
});

describe('identity reconciliation: identifiers that appear late', () => {
  // Whatsminer v2 answers its first cycles without a MAC; the agent keeps one minerKey for it.
  it('keeps one asset when a miner first seen by IP only later reports its MAC and serial', async () => {
    const t = await testApp({}, () => T0 + 1000);
    try {
      const h = (seq: number, over: Partial<MinerSample>) =>
        t.app.hashfleet.ingest.handle(
          topics.telemetry('sc-c01'),
          enc({
            ...exampleTelemetry,
            seq,
            samples: [sample({ minerKey: 'IP-10.0.4.17', ...over })],
            unreachable: [],
            agent: null,
          }),
        );
      await h(1, { serial: null, mac: null });
      await h(2, { at: T0 + 30_000, serial: null, mac: '02:00:00:aa:bb:cc' });
      await h(3, { at: T0 + 60_000, serial: 'HTM3X1234', mac: '02:00:00:aa:bb:cc' });
      const db = t.app.hashfleet.db;
      expect((await db.all('SELECT id FROM miners')).length).toBe(1);
      // A different unit taking over the same agent key (another serial) is a new asset.
      await h(4, { at: T0 + 90_000, serial: 'OTHER999', mac: '02:00:00:00:00:01' });
      expect((await db.all('SELECT id FROM miners')).length).toBe(2);
    } finally {
      await t.close();
    }
  });
});

describe('agent liveness', () => {
  it('marks an agent offline on its last will even though the will was stamped at connect time', async () => {
    const t = await testApp({}, () => T0 + 1000);
    try {
      const h = (topic: string, msg: unknown) => t.app.hashfleet.ingest.handle(topic, enc(msg));
      const connectAt = T0 - 10_000;
      await h(topics.status('sc-c01'), { ...exampleStatus, seq: 0, sentAt: connectAt });
      await h(topics.birth('sc-c01'), { ...exampleBirth, seq: 1, sentAt: connectAt + 50 });
      await h(topics.status('sc-c01'), {
        ...exampleStatus,
        seq: 99,
        sentAt: connectAt,
        state: 'offline',
        reason: 'lwt',
      });
      const agent = (await t.app.inject({ url: '/api/v1/agents', headers: t.auth('operator') })).json()[0];
      expect(agent).toMatchObject({ id: 'sc-c01', state: 'offline', stateReason: 'lwt', online: false });
      // A will from an earlier boot does not take a newer session offline.
      await h(topics.status('sc-c01'), { ...exampleStatus, bootId: 'newer-boot-0001', seq: 0, sentAt: T0 });
      await h(topics.status('sc-c01'), {
        ...exampleStatus,
        seq: 100,
        sentAt: connectAt,
        state: 'offline',
        reason: 'lwt',
      });
      const again = (await t.app.inject({ url: '/api/v1/agents', headers: t.auth('operator') })).json()[0];
      expect(again).toMatchObject({ state: 'online' });
    } finally {
      await t.close();
    }
  });
});
