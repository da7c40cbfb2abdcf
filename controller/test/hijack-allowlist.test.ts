import {
  exampleSample,
  exampleTelemetry,
  type MinerSample,
  type Telemetry,
  topics,
} from '@hashfleet/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsFor } from '../src/alerts/index.js';
import { testApp } from './helpers.js';

/**
 * Proves the hijack guard does not trust first sight (issue 17 item 5): at a site with an allowed
 * pools list and worker patterns, a miner whose very first sample mines to another pool as another
 * worker raises pool_not_allowed and worker_changed on that first evaluation, and its worker is
 * not recorded as known-good (before: the thief's worker became the known-good one, no alert).
 */
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const THIEF = { url: 'stratum+tcp://btc.unknown-pool.example:3333', user: 'someone.else' };

describe('hijack guard without trust on first use (SQLite, manual clock)', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  let clock = exampleSample.at;
  beforeEach(async () => {
    clock = exampleSample.at;
    t = await testApp({}, () => clock);
  });
  afterEach(async () => t.close());

  async function poll(pool: MinerSample['pool'], seq: number) {
    clock += 30_000;
    const msg: Telemetry = {
      ...exampleTelemetry,
      seq,
      sentAt: clock,
      samples: [{ ...exampleSample, at: clock, pool }],
      unreachable: [],
    };
    expect(await t.app.hashfleet.ingest.handle(topics.telemetry('sc-c01'), enc(msg))).toBe('applied');
    return alertsFor(t.app.hashfleet).tick(clock);
  }
  const api = (method: 'POST', url: string, payload: object) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: t.auth('operator'), payload });

  it('alerts pool_not_allowed and worker_changed from the first sample and blesses no worker', async () => {
    // The site must exist for its rule and patterns: the first (healthy) batch of another miner creates it.
    const other = {
      ...exampleTelemetry,
      seq: 1,
      samples: [
        {
          ...exampleSample,
          minerKey: 'SN-OTHER',
          serial: 'OTHER',
          mac: '02:00:00:00:00:01',
          ip: '10.0.4.99',
        },
      ],
      unreachable: [],
    };
    expect(await t.app.hashfleet.ingest.handle(topics.telemetry('sc-c01'), enc(other))).toBe('applied');
    expect(
      (
        await api('POST', '/alert-rules', {
          kind: 'pool_not_allowed',
          scope: 'site',
          scopeId: 'sichuan',
          params: { allowedPools: ['stratum+tcp://pool.example:3333'] },
        })
      ).statusCode,
    ).toBe(201);
    expect(
      (await api('POST', '/alerts/known-worker-patterns', { siteId: 'sichuan', pattern: 'hashshare.*' }))
        .statusCode,
    ).toBe(201);

    const thief = { ...exampleSample, at: 0, pool: THIEF };
    clock += 30_000;
    const msg: Telemetry = {
      ...exampleTelemetry,
      seq: 2,
      sentAt: clock,
      samples: [{ ...thief, at: clock }],
      unreachable: [],
    };
    expect(await t.app.hashfleet.ingest.handle(topics.telemetry('sc-c01'), enc(msg))).toBe('applied');
    await alertsFor(t.app.hashfleet).tick(clock);

    const open = await t.app.hashfleet.db.all<{ kind: string; message: string }>(
      `SELECT a.kind, a.message FROM alerts a JOIN miners m ON m.id = a.miner_id WHERE m.serial = ? AND a.state = 'open' ORDER BY a.kind`,
      [exampleSample.serial],
    );
    expect(open).toEqual([
      {
        kind: 'pool_not_allowed',
        message: "pool stratum+tcp://btc.unknown-pool.example:3333 is not in the site's allowed pools",
      },
      {
        kind: 'worker_changed',
        message:
          "worker someone.else on stratum+tcp://btc.unknown-pool.example:3333 matches none of the site's worker patterns",
      },
    ]);
    const known = await t.app.hashfleet.db.all<{ worker: string }>(
      `SELECT k.worker FROM alert_known_workers k JOIN miners m ON m.id = k.miner_id WHERE m.serial = ?`,
      [exampleSample.serial],
    );
    expect(known).toEqual([]);
    // A worker of ours on an allowed pool: both resolve once the clear polls pass, and it is then known-good.
    await poll({ url: 'stratum+tcp://pool.example:3333', user: 'hashshare.sc01' }, 3);
    await poll({ url: 'stratum+tcp://pool.example:3333', user: 'hashshare.sc01' }, 4);
    const still = await t.app.hashfleet.db.all<{ kind: string }>(
      `SELECT kind FROM alerts WHERE state = 'open' AND kind IN ('pool_not_allowed', 'worker_changed')`,
    );
    expect(still).toEqual([]);
  });
});
