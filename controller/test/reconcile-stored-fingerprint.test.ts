import { exampleSample, exampleTelemetry, type Telemetry, topics } from '@hashfleet/contracts';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createIngest } from '../src/fleet/ingest/ingest.js';
import { PG_URL, pgAvailable, pgSchemaUrl, testApp } from './helpers.js';

/**
 * A replica whose reconciler cache is cold (restarted, or taking an agent over from the other
 * replica) used to reconcile every miner of the agent's next message again: some twelve
 * statements per miner, 1.2 million for a 100,000-miner fleet, while the replica fell behind. The
 * fingerprint of each miner's last reconciled observation is stored with its agent mapping
 * (agent_miners.fp, fp_at; fleet/inventory/reconcile.ts); a cold reconciler reads the agent's
 * rows once and reconciles only the miners whose observation changed.
 */
const pgUp = await pgAvailable(PG_URL);
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const MINERS = 30;
const T0 = exampleSample.at;

const message = (seq: number, ipOf: (i: number) => string): Telemetry => ({
  ...exampleTelemetry,
  seq,
  samples: Array.from({ length: MINERS }, (_, i) => ({
    ...exampleSample,
    minerKey: `k-${i}`,
    serial: `FP-${i}`,
    mac: null,
    ip: ipOf(i),
    slot: { rack: 'R01', slot: String(i + 1) },
    at: T0 + seq * 10_000,
    work: { diff1Shares: 10, sinceAt: T0 + seq * 10_000 - 10_000, counterReset: false },
  })),
  unreachable: [],
  agent: null,
});

const variants = [
  { name: 'SQLite', url: () => 'sqlite::memory:', run: true },
  { name: 'PostgreSQL', url: () => pgSchemaUrl(PG_URL), run: pgUp },
];

for (const v of variants) {
  describe.skipIf(!v.run)(`reconcile with a cold cache (${v.name})`, () => {
    let t: Awaited<ReturnType<typeof testApp>>;
    afterEach(async () => {
      vi.restoreAllMocks();
      await t?.close();
    });

    it("a restarted ingest reconciles only the miner whose observation changed, in a few statements, not every miner's", async () => {
      t = await testApp({ storage: { url: v.url() } });
      const ctx = t.app.hashfleet;
      const topic = topics.telemetry(exampleTelemetry.agentId);
      const ip = (i: number) => `10.1.0.${i + 1}`;
      expect(await ctx.ingest.handle(topic, enc(message(1, ip)))).toBe('applied');

      // The same agent's next message, to a new ingest (its reconciler cache empty, as after a
      // restart); miner 7 changed its IP, the others are as before.
      // (its own metrics registry: the app's already holds the ingest metrics)
      const restarted = createIngest({ ...ctx, metrics: { ...ctx.metrics, registry: new Registry() } });
      const db = ctx.db;
      let statements = 0;
      for (const m of ['run', 'get', 'all'] as const) {
        const orig = db[m].bind(db) as (...a: unknown[]) => Promise<unknown>;
        vi.spyOn(db, m).mockImplementation(((...a: unknown[]) => {
          statements++;
          return orig(...a);
        }) as never);
      }
      const moved = (i: number) => (i === 7 ? '10.1.9.9' : ip(i));
      expect(await restarted.handle(topic, enc(message(2, moved)))).toBe('applied');
      vi.restoreAllMocks();
      // One reconcile (miner 7) and the message's own writes; every miner reconciled is ~12 each.
      expect(statements, `${statements} statements`).toBeLessThan(MINERS);

      const ipEvents = await db.all<{ miner_id: string }>(
        `SELECT miner_id FROM events WHERE kind = 'miner.ip_changed'`,
      );
      const seven = await db.get<{ miner_id: string }>(
        'SELECT miner_id FROM agent_miners WHERE agent_id = ? AND miner_key = ?',
        [exampleTelemetry.agentId, 'k-7'],
      );
      expect(ipEvents.map((e) => e.miner_id)).toEqual([seven!.miner_id]);
      const latest = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM miner_latest');
      expect(Number(latest!.n)).toBe(MINERS);
    });
  });
}
