import { exampleSample, exampleTelemetry, type Telemetry, topics } from '@hashfleet/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { testApp } from './helpers.js';

/**
 * On SQLite the latest-sample upsert stamps the rows it changes for the alert tick itself
 * (fleet/ingest/telemetry.ts MINER_LATEST; the stamp of alerts/migration.ts 0302), so each row is
 * written once per batch instead of once by the upsert and again by the stamping trigger, and
 * the stamps still grow with every batch.
 */
const enc = (m: Telemetry) => new TextEncoder().encode(JSON.stringify(m));
// Three miners, each in its own slot of rack R01.
const sampleOf = (k: string, slot: number, at: number) =>
  Object.assign(
    {},
    exampleSample,
    { minerKey: `stamp-${k}`, serial: `STAMP-${k}`, mac: null, at },
    {
      slot: { rack: 'R01', slot: String(slot) },
    },
  );
const message = (seq: number): Telemetry => {
  const at = exampleSample.at + seq * 1000;
  const samples = [sampleOf('A', 1, at), sampleOf('B', 2, at), sampleOf('C', 3, at)];
  return { ...exampleTelemetry, seq, samples, unreachable: [], agent: null };
};

describe('latest samples stamped by the upsert (SQLite)', () => {
  let t: Awaited<ReturnType<typeof testApp>> | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("stamps a batch's rows in the upsert, above every earlier stamp", async () => {
    t = await testApp({ storage: { url: 'sqlite::memory:' } });
    const { db, ingest } = t.app.hashfleet;
    const topic = topics.telemetry(exampleTelemetry.agentId);
    expect(await ingest.handle(topic, enc(message(1)))).toBe('applied');
    const stamps = async () =>
      (await db.all<{ s: number }>('SELECT change_seq AS s FROM miner_latest ORDER BY miner_id')).map((r) =>
        Number(r.s),
      );
    const before = await stamps();
    expect(
      await Promise.all([ingest.handle(topic, enc(message(2))), ingest.handle(topic, enc(message(3)))]),
    ).toEqual(['applied', 'applied']);
    const after = await stamps();
    expect(after).toHaveLength(3);
    for (const s of after) expect(s).toBeGreaterThan(Math.max(...before));
    const latest = await db.all<{ at: number }>('SELECT at FROM miner_latest');
    expect(latest.map((r) => Number(r.at))).toEqual([3, 3, 3].map((k) => exampleSample.at + k * 1000));
    // One statement wrote the three rows, each once: one stamp for all of them (the trigger gave
    // each row its own, writing it a second time).
    expect(new Set(after).size).toBe(1);
  });
});
