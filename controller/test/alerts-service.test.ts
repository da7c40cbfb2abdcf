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

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const T0 = exampleSample.at;
const POLL = 30_000;
/** A healthy S19 Pro: all three boards hashing (the contract's example shows one board only). */
const healthy: MinerSample = {
  ...exampleSample,
  boards: [1, 2, 3].map((index) => ({ ...exampleSample.boards[0]!, index })),
};

describe('alert service over ingested telemetry (SQLite, manual clock)', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  let clock = T0;
  let seq = 1;
  let alerts: ReturnType<typeof alertsFor>;
  beforeEach(async () => {
    clock = T0;
    seq = 1;
    t = await testApp({}, () => clock);
    alerts = alertsFor(t.app.hashfleet);
  });
  afterEach(async () => t.close());

  /** One poll: the agent's batch at the current clock, then one evaluation. */
  async function poll(over: Partial<MinerSample> = {}, batch: Partial<Telemetry> = {}) {
    clock += POLL;
    const s: MinerSample = { ...healthy, at: clock, ...over };
    const msg: Telemetry = {
      ...exampleTelemetry,
      seq: seq++,
      sentAt: clock,
      samples: [s],
      unreachable: [],
      ...batch,
    };
    expect(await t.app.hashfleet.ingest.handle(topics.telemetry('sc-c01'), enc(msg))).toBe('applied');
    return alerts.tick(clock);
  }
  const rows = () =>
    t.app.hashfleet.db.all<{ kind: string; state: string; value: number; message: string }>(
      'SELECT kind, state, value, message FROM alerts ORDER BY opened_at',
    );

  it('a hot chip opens chip_overtemp after two polls, updates, and resolves only below the clear line', async () => {
    await poll({ chipTempMaxC: 96 });
    expect(await rows()).toEqual([]);
    const r = await poll({ chipTempMaxC: 96 });
    expect(r.opened).toBe(1);
    expect(await rows()).toEqual([
      { kind: 'chip_overtemp', state: 'open', value: 96, message: 'chip 96 °C ≥ 90 °C' },
    ]);
    await poll({ chipTempMaxC: 88 });
    await poll({ chipTempMaxC: 88 });
    expect((await rows())[0]).toMatchObject({ state: 'open', value: 88 });
    await poll({ chipTempMaxC: 80 });
    expect((await rows())[0]!.state).toBe('open');
    await poll({ chipTempMaxC: 80 });
    expect((await rows()).map((a) => a.state)).toEqual(['resolved']);
  });
});
