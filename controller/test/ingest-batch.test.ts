import { exampleSample, exampleTelemetry, type Telemetry, topics } from '@hashfleet/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { metric, PG_URL, pgAvailable, pgSchemaUrl, testApp } from './helpers.js';

/**
 * Ingest's group commit (controller/src/fleet/ingest/batch.ts, issue 15 item 1): messages handed
 * to ingest together are applied in one transaction, and one whose apply fails harms none of the
 * others in its batch. The failure is real: a database trigger refuses the message's dedupe row.
 */
const pgUp = await pgAvailable(PG_URL);
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const POISON = 666;

const message = (seq: number, miners: number): Telemetry => ({
  ...exampleTelemetry,
  seq,
  samples: Array.from({ length: miners }, (_, i) => ({
    ...exampleSample,
    minerKey: `b-${i}`,
    serial: `BATCH-${i}`,
    mac: null,
    slot: { rack: 'R01', slot: String(i + 1) },
    at: exampleSample.at + seq * 1000,
    work: { diff1Shares: 10, sinceAt: exampleSample.at + seq * 1000 - 30_000, counterReset: false },
  })),
  unreachable: [],
  agent: null,
});

async function poison(db: Awaited<ReturnType<typeof testApp>>['app']['hashfleet']['db']) {
  if (db.dialect === 'sqlite') {
    await db.run(
      `CREATE TRIGGER poison BEFORE INSERT ON ingest_seen WHEN NEW.seq = ${POISON}
       BEGIN SELECT RAISE(ABORT, 'poisoned message for the test'); END`,
    );
    return;
  }
  await db.run(
    `CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN IF NEW.seq = ${POISON} THEN RAISE EXCEPTION 'poisoned message for the test'; END IF; RETURN NEW; END $$`,
  );
  await db.run('CREATE TRIGGER poison BEFORE INSERT ON ingest_seen FOR EACH ROW EXECUTE FUNCTION poison()');
}

const variants = [
  { name: 'SQLite', url: () => 'sqlite::memory:', run: true },
  { name: 'PostgreSQL', url: () => pgSchemaUrl(PG_URL), run: pgUp },
];

for (const v of variants) {
  describe.skipIf(!v.run)(`ingest batches (${v.name})`, () => {
    let t: Awaited<ReturnType<typeof testApp>>;
    afterEach(async () => t?.close());

    it('applies messages handed over together in one transaction; a bad one in the middle is counted and failed, the others stored once', async () => {
      t = await testApp({ storage: { url: v.url() } });
      const { db, ingest } = t.app.hashfleet;
      await poison(db);
      const topic = topics.telemetry(exampleTelemetry.agentId);
      const outcomes = await Promise.all(
        [message(1, 3), message(POISON, 3), message(2, 3), message(3, 3)].map((m) =>
          ingest.handle(topic, enc(m)),
        ),
      );
      expect(outcomes).toEqual(['applied', 'failed', 'applied', 'applied']);
      const seen = await db.all<{ seq: number }>('SELECT seq FROM ingest_seen ORDER BY seq');
      expect(seen.map((r) => Number(r.seq))).toEqual([1, 2, 3]);
      const hourly = await db.get<{ samples: number; shares: number }>(
        'SELECT SUM(samples) AS samples, SUM(diff1_shares) AS shares FROM container_hourly',
      );
      expect({ samples: Number(hourly?.samples), shares: Number(hourly?.shares) }).toEqual({
        samples: 9,
        shares: 90,
      });
      const text = (await t.app.inject({ url: '/metrics' })).body;
      expect(metric(text, 'hashfleet_ingest_messages_total{kind="telemetry",result="failed"}')).toBe(1);
      expect(metric(text, 'hashfleet_ingest_messages_total{kind="telemetry",result="applied"}')).toBe(3);
      expect(metric(text, 'hashfleet_ingest_errors_total{kind="telemetry"}')).toBe(1);
      // All four went into one batch (the bad one was left out of its second attempt).
      expect(metric(text, 'hashfleet_ingest_batch_messages_count')).toBe(1);
      expect(metric(text, 'hashfleet_ingest_batch_messages_sum')).toBe(4);

      // A redelivery of the whole batch, bad one included: the good ones are duplicates, acked again.
      const again = await Promise.all(
        [message(1, 3), message(POISON, 3), message(2, 3), message(3, 3)].map((m) =>
          ingest.handle(topic, enc(m)),
        ),
      );
      expect(again).toEqual(['duplicate', 'failed', 'duplicate', 'duplicate']);
      const after = await db.get<{ samples: number }>('SELECT SUM(samples) AS samples FROM container_hourly');
      expect(Number(after?.samples)).toBe(9);
    });

    it('keeps one message per transaction when batching is set to 1 (the unbatched path the bench compares with)', async () => {
      t = await testApp({ storage: { url: v.url() } });
      const { ingest } = t.app.hashfleet;
      ingest.batching?.({ maxMessages: 1 });
      const topic = topics.telemetry(exampleTelemetry.agentId);
      const outcomes = await Promise.all([1, 2, 3].map((s) => ingest.handle(topic, enc(message(s, 2)))));
      expect(outcomes).toEqual(['applied', 'applied', 'applied']);
      const text = (await t.app.inject({ url: '/metrics' })).body;
      expect(metric(text, 'hashfleet_ingest_batch_messages_count')).toBe(3);
    });
  });
}
