import { exampleBirth, exampleSample, exampleTelemetry, type Telemetry, topics } from '@hashfleet/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { metric, PG_URL, pgAvailable, pgSchemaUrl, testApp } from './helpers.js';

/**
 * Two findings of the scale rehearsal (controller/bench/scale.bench.ts), where one replica held a
 * transaction of many births open for minutes: the other replica's writes to those agents' rows
 * waited behind it, and the replica outlived its SIGTERM finishing it.
 * - A birth is written in a batch of its own (fleet/ingest/batch.ts `alone`), never grouped with
 *   other messages into one long transaction.
 * - stop() ends the batch being written: it rolls back and none of its messages is acknowledged
 *   (the broker delivers them again), instead of the stop waiting for the batch to finish.
 */
const pgUp = await pgAvailable(PG_URL);
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

const telemetry = (seq: number): Telemetry => ({
  ...exampleTelemetry,
  seq,
  samples: [
    {
      ...exampleSample,
      at: exampleSample.at + seq * 1000,
      work: { diff1Shares: 10, sinceAt: exampleSample.at + seq * 1000 - 30_000, counterReset: false },
    },
  ],
  unreachable: [],
  agent: null,
});

const variants = [
  { name: 'SQLite', url: () => 'sqlite::memory:', run: true },
  { name: 'PostgreSQL', url: () => pgSchemaUrl(PG_URL), run: pgUp },
];

for (const v of variants) {
  describe.skipIf(!v.run)(`ingest batches and stop (${v.name})`, () => {
    let t: Awaited<ReturnType<typeof testApp>>;
    afterEach(async () => t?.close());

    it('writes a birth handed over with telemetry in a batch of its own', async () => {
      t = await testApp({ storage: { url: v.url() } });
      const { ingest } = t.app.hashfleet;
      const agent = exampleTelemetry.agentId;
      const birth = { ...exampleBirth, agentId: agent, seq: 2 };
      const outcomes = await Promise.all([
        ingest.handle(topics.telemetry(agent), enc(telemetry(1))),
        ingest.handle(topics.birth(agent), enc(birth)),
        ingest.handle(topics.telemetry(agent), enc(telemetry(3))),
        ingest.handle(topics.telemetry(agent), enc(telemetry(4))),
      ]);
      expect(outcomes).toEqual(['applied', 'applied', 'applied', 'applied']);
      const text = (await t.app.inject({ url: '/metrics' })).body;
      // Telemetry 1 | the birth | telemetry 3 and 4: three transactions for four messages.
      expect(metric(text, 'hashfleet_ingest_batch_messages_count')).toBe(3);
      expect(metric(text, 'hashfleet_ingest_batch_messages_sum')).toBe(4);
    });

    it('stop() ends the batch being written: rolled back, no message of it applied or acknowledged', async () => {
      t = await testApp({ storage: { url: v.url() } });
      const { db, ingest } = t.app.hashfleet;
      const durable: number[] = [];
      ingest.onDurable?.((_agent, _boot, seq) => durable.push(seq));
      // The batch's transaction is the first tx(); each message's apply joins it with one of its
      // own: the stop comes while the first message is being applied.
      const tx = db.tx.bind(db);
      let calls = 0;
      vi.spyOn(db, 'tx').mockImplementation((fn) => {
        if (++calls === 2) ingest.stop();
        return tx(fn);
      });
      const topic = topics.telemetry(exampleTelemetry.agentId);
      const outcomes = await Promise.all([1, 2, 3].map((seq) => ingest.handle(topic, enc(telemetry(seq)))));
      expect(outcomes).toEqual(['failed', 'failed', 'failed']);
      expect(durable).toEqual([]);
      expect(await db.all('SELECT seq FROM ingest_seen')).toEqual([]);
      expect(await db.all('SELECT miner_id FROM miner_latest')).toEqual([]);
      const text = (await t.app.inject({ url: '/metrics' })).body;
      expect(metric(text, 'hashfleet_ingest_messages_total{kind="telemetry",result="stopped"}')).toBe(3);
    });
  });
}
