import { exampleSample, exampleTelemetry, type MinerSample, topics } from '@hashfleet/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertService } from '../src/alerts/service.js';
import { DEFAULT_ALERT_SETTINGS } from '../src/alerts/settings.js';
import { LATEST_INSERT_COLUMNS, latestRowValues } from '../src/fleet/latest-row.js';
import { PG_URL, pgAvailable, pgSchemaUrl, testApp } from './helpers.js';

/**
 * Two replicas on one PostgreSQL write miner_latest out of order: replica A's transaction takes
 * its stamp (its transaction id) first but commits last, after replica B's, and after the alert
 * tick has already read B's row. A cursor at "the highest stamp seen" would pass over A's row for
 * good; the tick's cursor (latest-cache.ts: the oldest transaction still running when it last
 * read) must read it on the next tick, and its hot chip must open an alert.
 */
const pgUp = await pgAvailable(PG_URL);
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const T0 = exampleSample.at;

const sample = (n: number, over: Partial<MinerSample>): MinerSample => ({
  ...exampleSample,
  minerKey: `SN-R${n}`,
  serial: `SN-R${n}`,
  mac: `02:00:00:00:01:0${n}`,
  ip: `10.0.5.${n}`,
  slot: { rack: 'R01', slot: String(n) },
  boards: [1, 2, 3].map((index) => ({ ...exampleSample.boards[0]!, index })),
  ...over,
});

describe.skipIf(!pgUp)('the alert cursor across replicas (PostgreSQL)', () => {
  let clock = T0;
  let a: Awaited<ReturnType<typeof testApp>>;
  let b: Awaited<ReturnType<typeof testApp>>;
  beforeAll(async () => {
    const url = pgSchemaUrl(PG_URL);
    a = await testApp({ storage: { url } }, () => clock);
    b = await testApp({ storage: { url } }, () => clock);
  }, 60_000);
  afterAll(async () => {
    const schema = (await a?.app.hashfleet.db.get<{ s: string }>('SELECT current_schema() AS s'))?.s;
    if (schema?.startsWith('t_'))
      await a.app.hashfleet.db.run(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await b?.close();
    await a?.close();
  });

  it('a row committed after a later-stamped one is still read, and its alert opens', async () => {
    clock += 30_000;
    const first = {
      ...exampleTelemetry,
      seq: 1,
      sentAt: clock,
      samples: [1, 2].map((n) => sample(n, { at: clock })),
      unreachable: [],
    };
    expect(await a.app.hashfleet.ingest.handle(topics.telemetry('sc-c01'), enc(first))).toBe('applied');
    const leader = createAlertService({
      db: b.app.hashfleet.db,
      offlineAfterMs: 180_000,
      linkBase: 'http://test',
      settings: DEFAULT_ALERT_SETTINGS,
    });
    expect((await leader.tick(clock)).latest).toMatchObject({ full: true, parsed: 2 });
    const ids = await b.app.hashfleet.db.all<{ id: string; serial: string }>(
      'SELECT id, serial FROM miners ORDER BY serial',
    );
    const id = (serial: string) => ids.find((m) => m.serial === serial)!.id;

    // What each replica's ingest writes for one sample (the columns the tick reads).
    const write = (db: typeof a.app.hashfleet.db, n: number, over: Partial<MinerSample>) =>
      db.run(
        `UPDATE miner_latest SET ${LATEST_INSERT_COLUMNS.slice(1).map((c) => `${c} = ?`)} WHERE miner_id = ?`,
        [
          ...latestRowValues(id(`SN-R${n}`), sample(n, { at: clock, ...over }), clock, 'sc-c01', []).slice(1),
          id(`SN-R${n}`),
        ],
      );

    clock += 30_000;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let stampedA!: () => void;
    const stamped = new Promise<void>((resolve) => {
      stampedA = resolve;
    });
    // Replica A: miner 1's chip is hot; its transaction stays open.
    const slow = a.app.hashfleet.db.tx(async (tx) => {
      await write(tx, 1, { chipTempMaxC: 96 });
      stampedA();
      await gate;
    });
    await stamped;
    // Replica B: miner 2, stamped later, committed first.
    await b.app.hashfleet.db.tx((tx) => write(tx, 2, { chipTempMaxC: 71 }));
    const seen = await leader.tick(clock);
    expect(seen.latest).toMatchObject({ full: false, parsed: 1 });
    release();
    await slow;

    const stamps = await b.app.hashfleet.db.all<{ serial: string; change_seq: number }>(
      `SELECT m.serial, l.change_seq FROM miner_latest l JOIN miners m ON m.id = l.miner_id ORDER BY m.serial`,
    );
    // The scenario is the one described: A's stamp is below B's, which the tick had already read.
    expect(Number(stamps[0]!.change_seq)).toBeLessThan(Number(stamps[1]!.change_seq));

    clock += 30_000;
    const next = await leader.tick(clock);
    expect(next.latest!.parsed).toBeGreaterThanOrEqual(1);
    clock += 30_000;
    await leader.tick(clock);
    const open = await b.app.hashfleet.db.all<{ kind: string; subject: string; value: number }>(
      `SELECT kind, subject, value FROM alerts WHERE state = 'open'`,
    );
    expect(open).toEqual([{ kind: 'chip_overtemp', subject: `miner:${id('SN-R1')}`, value: 96 }]);
  }, 60_000);
});
