import { exampleSample, exampleTelemetry, type Telemetry, topics } from '@hashfleet/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bindAgentPlaces } from '../src/core/auth/agent-places.js';
import { PG_URL, pgAvailable, pgSchemaUrl, testApp } from './helpers.js';

/**
 * A batch reads where the miners its messages name sit, and its containers' metered slots, once
 * for the whole batch (fleet/ingest/place.ts HeldPlaces, telemetry.ts readMeteredSlots, issue 15
 * item 1), and reads again per message once a message of the batch may have moved a miner.
 */
const pgUp = await pgAvailable(PG_URL);
const variants = [
  { name: 'SQLite', url: () => 'sqlite::memory:', run: true },
  { name: 'PostgreSQL', url: () => pgSchemaUrl(PG_URL), run: pgUp },
];
const T0 = exampleSample.at;
const enc = (m: Telemetry) => new TextEncoder().encode(JSON.stringify(m));

/** Telemetry of `agent` in `container`, naming the miners of `serials`. */
function telemetry(agent: string, container: string, seq: number, serials: string[]): Telemetry {
  const samples = serials.map((serial, i) => ({
    ...exampleSample,
    minerKey: `${agent}-${serial}`,
    serial,
    mac: null,
    slot: null,
    ip: `10.7.${agent.charCodeAt(agent.length - 1)}.${i + 1}`,
    at: T0 + seq,
  }));
  return {
    ...exampleTelemetry,
    agentId: agent,
    bootId: `${agent}-boot`,
    seq,
    containerId: container,
    samples,
    unreachable: [],
    agent: null,
  };
}

for (const v of variants) {
  describe.skipIf(!v.run)(`ingest batch-wide reads (${v.name})`, () => {
    let t: Awaited<ReturnType<typeof testApp>> | undefined;
    afterEach(async () => {
      vi.restoreAllMocks();
      await t?.close();
      t = undefined;
    });

    async function start() {
      t = await testApp({ storage: { url: v.url() } });
      const { db } = t.app.hashfleet;
      for (let a = 0; a < 10; a++)
        await bindAgentPlaces(
          db,
          `br-${a}`,
          [{ siteId: exampleTelemetry.siteId, containerId: `br-c${a}` }],
          T0,
        );
      return t.app.hashfleet;
    }

    it("reads where a batch's named miners sit with one statement, not one per message", async () => {
      const { db, ingest } = await start();
      const msgs = (seq: number) =>
        Array.from({ length: 10 }, (_, a) =>
          telemetry(`br-${a}`, `br-c${a}`, seq, [`BR-${a}-1`, `BR-${a}-2`]),
        );
      // First sight: the miners are created (the reconciler writes), then a steady batch.
      expect(
        new Set(await Promise.all(msgs(1).map((m) => ingest.handle(topics.telemetry(m.agentId), enc(m))))),
      ).toEqual(new Set(['applied']));
      const all = vi.spyOn(db, 'all');
      const outcomes = await Promise.all(
        msgs(2).map((m) => ingest.handle(topics.telemetry(m.agentId), enc(m))),
      );
      expect(new Set(outcomes)).toEqual(new Set(['applied']));
      const texts = all.mock.calls.map(([sql]) => sql.replace(/\s+/g, ' ').trim());
      expect(texts.filter((s) => /FROM miners m/.test(s) && /serial/.test(s))).toHaveLength(1);
      expect(texts.filter((s) => /FROM pdu_outlets o JOIN slots s/.test(s))).toHaveLength(1);
      const rows = await db.get<{ n: number }>('SELECT SUM(samples) AS n FROM container_hourly');
      expect(Number(rows?.n)).toBe(40);
    });

    it("reads again after a message of the batch placed a miner: another agent's later claim on it is left out", async () => {
      const { db, ingest } = await start();
      // Warm both agents' own miners so the batch below is steady apart from the new one.
      for (const m of [telemetry('br-0', 'br-c0', 1, ['OWN-0']), telemetry('br-1', 'br-c1', 1, ['OWN-1'])])
        expect(await ingest.handle(topics.telemetry(m.agentId), enc(m))).toBe('applied');
      // One batch: br-0 sees NEW-1 first (the reconciler puts it in br-c0), then br-1 names it too.
      const outcomes = await Promise.all(
        [
          telemetry('br-0', 'br-c0', 2, ['OWN-0', 'NEW-1']),
          telemetry('br-1', 'br-c1', 2, ['OWN-1', 'NEW-1']),
        ].map((m) => ingest.handle(topics.telemetry(m.agentId), enc(m))),
      );
      expect(outcomes).toEqual(['applied', 'applied']);
      const placed = await db.get<{ container_id: string }>(
        "SELECT container_id FROM miners WHERE serial = 'NEW-1'",
      );
      expect(placed?.container_id).toBe('br-c0');
      const text = await t!.app.hashfleet.metrics.registry.metrics();
      expect(text).toMatch(/hashfleet_ingest_rejected_total\{reason="foreign_miner",agent="br-1"\} 1/);
    });
  });
}
