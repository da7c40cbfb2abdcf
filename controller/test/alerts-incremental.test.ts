import {
  exampleSample,
  exampleTelemetry,
  type MinerSample,
  type Telemetry,
  topics,
  type Unreachable,
} from '@hashfleet/contracts';
import { describe, expect, it } from 'vitest';
import { createAlertService } from '../src/alerts/service.js';
import { DEFAULT_ALERT_SETTINGS } from '../src/alerts/settings.js';
import { PG_URL, pgAvailable, pgSchemaUrl, testApp } from './helpers.js';

/**
 * The incremental tick (the leader's in-memory copy refreshed from miner_latest's change cursor,
 * chunked evaluation) against the full read it replaces, on the same recorded fleet states: two
 * controllers get the same telemetry at the same clock, one evaluates with `read: 'full'`, the
 * other with the default; after every tick both must report the same transitions and hold the
 * same alerts and counters. The states cover every way a miner's state reaches the tick: a new
 * sample (ingest's upsert), an unreachable report (ingest's UPDATE without a sample), a miner
 * falling silent (no write at all: its silence crosses offlineAfterS), a replayed old sample
 * (stored nothing), an inventory status change (the miners table, not miner_latest) and a miner
 * first seen mid-run. The incremental side must also have read only the rows written since its
 * previous tick, not the fleet.
 */
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const T0 = exampleSample.at;
const POLL = 30_000;
const FLEET = 12;

const miner = (i: number, over: Partial<MinerSample> = {}): MinerSample => ({
  ...exampleSample,
  minerKey: `SN-T${i}`,
  serial: `SN-T${i}`,
  mac: `02:00:00:00:00:${String(i).padStart(2, '0')}`,
  ip: `10.0.4.${100 + i}`,
  slot: { rack: 'R01', slot: String(i + 1) },
  boards: [1, 2, 3].map((index) => ({ ...exampleSample.boards[0]!, index })),
  ...over,
});

/** One recorded poll: what each miner said (absent: silent), and who was unreachable. */
type FleetState = {
  samples: Record<number, Partial<MinerSample>>;
  unreachable?: number[];
  /** A sample older than the stored one, replayed from a spool. */
  replay?: number[];
  /** Inventory status changes made through SQL between polls. */
  status?: Record<number, string>;
};

const healthy = (ids: number[]): Record<number, Partial<MinerSample>> =>
  Object.fromEntries(ids.map((i) => [i, {}]));
const all = (n: number) => [...Array(n).keys()];
const except = (n: number, ...out: number[]) => all(n).filter((i) => !out.includes(i));

/** The recorded states, poll after poll (30 s apart). */
const STATES: FleetState[] = [
  { samples: healthy(except(FLEET, 11)) },
  { samples: { ...healthy(except(FLEET, 11)), 1: { chipTempMaxC: 96 }, 2: { fansRpm: [5400, 0, 0, 5420] } } },
  { samples: { ...healthy(except(FLEET, 11)), 1: { chipTempMaxC: 96 }, 2: { fansRpm: [5400, 0, 0, 5420] } } },
  // Miner 3 unreachable, miner 4 silent from here on, miner 5 hashing at half its rate.
  {
    samples: { ...healthy(except(FLEET, 3, 4, 11)), 1: { chipTempMaxC: 93 }, 5: { hashrate5sThs: 50 } },
    unreachable: [3],
  },
  { samples: { ...healthy(except(FLEET, 3, 4, 11)), 1: { chipTempMaxC: 88 } }, unreachable: [3] },
  {
    samples: { ...healthy(except(FLEET, 3, 4, 11)), 1: { chipTempMaxC: 80 } },
    unreachable: [3],
    replay: [6],
  },
  { samples: { ...healthy(except(FLEET, 3, 4, 11)), 1: { chipTempMaxC: 80 } }, status: { 2: 'in_repair' } },
  // Miner 4 has been silent for over offlineAfterS (180 s) by now; miner 11 appears.
  { samples: { ...healthy(except(FLEET, 4)), 7: { pool: { url: 'stratum+tcp://evil:3333', user: 'x.y' } } } },
  { samples: { ...healthy(except(FLEET, 4)), 7: { pool: { url: 'stratum+tcp://evil:3333', user: 'x.y' } } } },
  { samples: healthy(except(FLEET, 4)), status: { 2: 'in_service' } },
  { samples: healthy(all(FLEET)) },
  { samples: healthy(all(FLEET)) },
];

async function replay(storage: (() => string) | null) {
  let clock = T0;
  // Each controller in a database of its own (its own PostgreSQL schema).
  const apps = await Promise.all(
    [0, 1].map(() => testApp(storage ? { storage: { url: storage() } } : {}, () => clock)),
  );
  const [full, incremental] = apps.map((t, i) =>
    createAlertService({
      db: t.app.hashfleet.db,
      offlineAfterMs: t.config.ingest.offlineAfterS * 1000,
      linkBase: 'http://test',
      settings: DEFAULT_ALERT_SETTINGS,
      read: i === 0 ? 'full' : 'incremental',
    }),
  );
  const alertRows = (i: number) =>
    apps[i]!.app.hashfleet.db.all(
      // Miner ids are each controller's own: a miner is named by its serial.
      `SELECT a.kind, COALESCE('miner:' || m.serial, a.subject) AS subject, a.state, a.value, a.threshold,
         a.message, a.opened_at, a.resolved_at, a.updated_at, a.details_json
       FROM alerts a LEFT JOIN miners m ON a.subject = 'miner:' || m.id ORDER BY 1, 2, a.opened_at`,
    );
  const trackingRows = (i: number) =>
    apps[i]!.app.hashfleet.db.all(
      `SELECT t.rule_id, COALESCE('miner:' || m.serial, t.subject) AS subject, t.breaches, t.breach_since,
         t.clears FROM alert_tracking t LEFT JOIN miners m ON t.subject = 'miner:' || m.id ORDER BY 1, 2`,
    );
  const transitions: string[] = [];
  const reads: { full: boolean; parsed: number }[] = [];
  let seq = 1;
  try {
    for (const state of STATES) {
      clock += POLL;
      const samples = Object.entries(state.samples).map(([i, over]) =>
        miner(Number(i), { at: clock, ...over }),
      );
      for (const i of state.replay ?? []) samples.push(miner(i, { at: clock - 10 * POLL, chipTempMaxC: 99 }));
      const unreachable: Unreachable[] = (state.unreachable ?? []).map((i) => ({
        minerKey: `SN-T${i}`,
        ip: `10.0.4.${100 + i}`,
        at: clock,
        error: 'connect ECONNREFUSED',
        since: clock - POLL,
      }));
      const msg: Telemetry = { ...exampleTelemetry, seq: seq++, sentAt: clock, samples, unreachable };
      for (const t of apps) {
        expect(await t.app.hashfleet.ingest.handle(topics.telemetry('sc-c01'), enc(msg))).toBe('applied');
        for (const [i, status] of Object.entries(state.status ?? {}))
          await t.app.hashfleet.db.run('UPDATE miners SET status = ? WHERE serial = ?', [status, `SN-T${i}`]);
      }
      const a = await full!.tick(clock);
      const b = await incremental!.tick(clock);
      const counts = (r: typeof a) => [r.opened, r.updated, r.resolved, r.observations];
      expect(counts(b), `tick at poll ${seq - 1}`).toEqual(counts(a));
      transitions.push(`${a.opened}/${a.updated}/${a.resolved}`);
      reads.push({ full: b.latest!.full, parsed: b.latest!.parsed });
      expect(await alertRows(1)).toEqual(await alertRows(0));
      expect(await trackingRows(1)).toEqual(await trackingRows(0));
    }
    const rows = (await alertRows(1)) as { kind: string; subject: string; state: string }[];
    const silent = await apps[1]!.app.hashfleet.db.get<{ id: string }>(
      'SELECT id FROM miners WHERE serial = ?',
      ['SN-T4'],
    );
    return { transitions, reads, rows, silent: `miner:${silent?.id}` };
  } finally {
    for (const t of apps) {
      if (storage) {
        const schema = (await t.app.hashfleet.db.get<{ s: string }>('SELECT current_schema() AS s'))?.s;
        if (schema?.startsWith('t_'))
          await t.app.hashfleet.db.run(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
      }
      await t.close();
    }
  }
}

/** What the recorded states must have produced on both paths (so the comparison is not of nothing). */
function expectTheStory(r: Awaited<ReturnType<typeof replay>>) {
  const kinds = new Set(r.rows.map((a) => `${a.kind} ${a.state}`));
  for (const k of [
    'chip_overtemp resolved',
    'fan_failed resolved',
    'offline resolved',
    'worker_changed resolved',
  ])
    expect(kinds, k).toContain(k);
  // Miner 4, silent from poll 4 on, went offline without a single write to its row.
  expect(r.rows.filter((a) => a.kind === 'offline' && a.subject === 'miner:SN-T4')).toHaveLength(1);
  expect(r.transitions.some((t) => !t.endsWith('/0'))).toBe(true);
  // The first tick read the whole table; every later one took in only the rows written since (on
  // PostgreSQL it may read a row again while an older transaction of the server is open, and
  // skips it by its unchanged stamp).
  expect(r.reads[0]!.full).toBe(true);
  expect(r.reads.slice(1).every((read) => !read.full)).toBe(true);
  // Polls 4-6: 9 samples and miner 3's unreachable row (poll 6's replayed old sample stored
  // nothing); poll 7: 9 samples; poll 8 on: 11, then 12 with miner 4 back.
  expect(r.reads.map((read) => read.parsed)).toEqual([11, 11, 11, 10, 10, 10, 9, 11, 11, 11, 12, 12]);
}

const pgUp = await pgAvailable(PG_URL);

describe('incremental alert tick against the full read, on recorded fleet states', () => {
  it('SQLite: the same transitions, alerts and counters after every tick', async () => {
    expectTheStory(await replay(null));
  }, 60_000);

  it.skipIf(!pgUp)(
    'PostgreSQL: the same transitions, alerts and counters after every tick',
    async () => {
      expectTheStory(await replay(() => pgSchemaUrl(PG_URL)));
    },
    120_000,
  );
});
