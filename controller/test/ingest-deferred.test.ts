import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { exampleSample, exampleStatus, exampleTelemetry, type Telemetry, topics } from '@hashfleet/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { bindAgentPlaces } from '../src/core/auth/agent-places.js';
import { layers } from '../src/fleet/ingest/deferred.js';
import { PG_URL, pgAvailable, pgSchemaUrl, testApp } from './helpers.js';

/**
 * A batch's bulk rows (miner_latest, miner_history, the hourly roll-ups, agents) are held and
 * written once per batch (controller/src/fleet/ingest/deferred.ts, issue 15 item 1). These prove
 * that changes nothing a message-per-transaction ingest would have stored, and that a failure in
 * the held write still leaves out only the message it belongs to.
 */
const pgUp = await pgAvailable(PG_URL);
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const T0 = exampleSample.at;
const TOPIC = topics.telemetry(exampleTelemetry.agentId);

const message = (seq: number, at: number, over: Partial<Telemetry> = {}, powerW = 3250): Telemetry => ({
  ...exampleTelemetry,
  seq,
  samples: Array.from({ length: 4 }, (_, i) => ({
    ...exampleSample,
    minerKey: `d-${i}`,
    serial: `DEFER-${i}`,
    mac: null,
    ip: `10.9.0.${i + 1}`,
    slot: { rack: 'R01', slot: String(i + 1) },
    at,
    hashrate5sThs: 100 + seq + i,
    powerW,
    work: { diff1Shares: 10 + seq, sinceAt: at - 30_000, counterReset: false },
  })),
  unreachable: [],
  agent: null,
  ...over,
});

/** The message with one more miner, d-9, sampled like its first. */
const withD9 = (m: Telemetry): Telemetry => ({
  ...m,
  samples: [
    ...m.samples,
    {
      ...m.samples[0]!,
      minerKey: 'd-9',
      serial: 'DEFER-9',
      ip: '10.9.0.9',
      slot: { rack: 'R01', slot: '9' },
    },
  ],
});

/**
 * Same miners again and again: an older sample after a newer one (must not replace it), two
 * samples in one minute (history keeps the first), a tie in time (the later message wins), a
 * miner reported unreachable between two samples (the update must see the samples before it),
 * a status message between telemetry, seqs 0, 2, 3 and 6 skipped and 2 and 3 arriving late, a message
 * refused for its place, and a redelivery. One message per transaction takes ingest's
 * message-by-message path (the one before batching), so the batched path is held to it.
 */
const stream = (): unknown[] => [
  withD9(message(1, T0 + 60_000)),
  withD9(message(4, T0 + 61_000)),
  // Older than both before it, in the same batch: must not replace what seq 4 left (d-9 is
  // reported by these three only, so what they leave is what stays).
  withD9(message(2, T0 + 30_000)),
  message(5, T0 + 120_000, {
    unreachable: ['d-2', 'd-3'].map((minerKey, i) => ({
      minerKey,
      ip: `10.9.0.${i + 3}`,
      at: T0 + 125_000,
      error: 'connect ETIMEDOUT',
      since: T0,
    })),
  }),
  // d-2 again at the same time (the later message wins, back online); d-3 stays unreachable.
  message(7, T0 + 120_000, { samples: message(7, T0 + 120_000, {}, 3300).samples.slice(0, 3) }),
  { ...exampleStatus, seq: exampleStatus.seq },
  // Only d-0 and d-1, so d-2 and d-3 keep what the messages with seqs 5 and 7 left.
  message(3, T0 + 180_000, { samples: message(3, T0 + 180_000).samples.slice(0, 2) }),
  // A container bound to another agent: refused, nothing of it stored, its seq not counted.
  message(8, T0 + 190_000, { containerId: 'sc-c02' }),
  message(1, T0 + 60_000),
];

type Dump = Record<'latest' | 'history' | 'hourly' | 'energy' | 'agents' | 'seen' | 'seq', string[]>;

/** What ingest stored, with miner ids (random per database) replaced by the miners' serials. */
async function dump(db: Awaited<ReturnType<typeof testApp>>['app']['hashfleet']['db']): Promise<Dump> {
  const serialOf = new Map(
    (await db.all<{ id: string; serial: string }>('SELECT id, serial FROM miners')).map((r) => [
      r.id,
      r.serial,
    ]),
  );
  const named = (rows: Record<string, unknown>[], ...cols: string[]) =>
    rows
      .map((r) => {
        const out = { ...r };
        for (const c of cols) out[c] = serialOf.get(String(r[c])) ?? r[c];
        return JSON.stringify(out);
      })
      .sort();
  return {
    // Without the alert cursor's change_seq: a stamp per write (alerts/migration.ts), not content.
    latest: named(
      await db.all(
        'SELECT miner_id, at, received_at, sample_json, hashrate_ths, expected_ths, power_w, power_provenance, chip_temp_max_c, state, online, error FROM miner_latest',
      ),
      'miner_id',
    ),
    history: named(await db.all('SELECT * FROM miner_history'), 'miner_id'),
    hourly: named(await db.all('SELECT * FROM container_hourly')),
    energy: named(await db.all('SELECT * FROM miner_hourly_energy'), 'unit'),
    agents: named(
      await db.all(
        'SELECT id, site_id, container_id, boot_id, last_seen_at, clock_skew_ms, metrics_json FROM agents',
      ),
    ),
    seen: named(await db.all('SELECT agent_id, boot_id, kind, seq FROM ingest_seen')),
    seq: named(await db.all('SELECT agent_id, boot_id, max_seq, received FROM agent_seq')),
  };
}

async function ingestAll(url: string, maxMessages: number) {
  const t = await testApp({ storage: { url } }, () => T0 + 200_000);
  try {
    const { ingest, db } = t.app.hashfleet;
    ingest.batching?.({ maxMessages });
    await bindAgentPlaces(db, 'agent-b', [{ siteId: 'sichuan', containerId: 'sc-c02' }], T0);
    const msgs = stream();
    const outcomes = await Promise.all(
      msgs.map((m) =>
        ingest.handle(
          (m as { kind: string }).kind === 'status' ? topics.status(exampleStatus.agentId) : TOPIC,
          enc(m),
        ),
      ),
    );
    const metrics = (await t.app.inject({ url: '/metrics' })).body
      .split('\n')
      .filter((l) => l.startsWith('hashfleet_ingest_seq_'));
    return { outcomes, stored: await dump(db), metrics };
  } finally {
    await t.close();
  }
}

const variants = [
  { name: 'SQLite', url: () => 'sqlite::memory:', run: true },
  { name: 'PostgreSQL', url: () => pgSchemaUrl(PG_URL), run: pgUp },
];

describe('held bulk rows', () => {
  it('split into layers with at most one row per key, a key taking successive layers in order', () => {
    const row = (key: string, v: number) => ({ key, values: [key, v] });
    expect(layers([row('a', 1), row('b', 1), row('a', 2), row('a', 3), row('c', 1), row('b', 2)])).toEqual([
      [
        ['a', 1],
        ['b', 1],
        ['c', 1],
      ],
      [
        ['a', 2],
        ['b', 2],
      ],
      [['a', 3]],
    ]);
  });
});

for (const v of variants) {
  describe.skipIf(!v.run)(`ingest with held bulk rows (${v.name})`, () => {
    let t: Awaited<ReturnType<typeof testApp>> | undefined;
    afterEach(async () => {
      await t?.close();
      t = undefined;
    });

    it('stores exactly what one message per transaction stores, for the same messages', async () => {
      const one = await ingestAll(v.url(), 1);
      const batched = await ingestAll(v.url(), 64);
      expect(one.outcomes).toEqual([...Array(7).fill('applied'), 'rejected', 'duplicate']);
      expect(batched.outcomes).toEqual(one.outcomes);
      expect(batched.stored).toEqual(one.stored);
      expect(batched.metrics).toEqual(one.metrics);
      expect(one.metrics).toContain('hashfleet_ingest_seq_gaps_total{agent="sc-c01"} 4');
      expect(one.metrics).toContain('hashfleet_ingest_seq_late_total{agent="sc-c01"} 2');
      // The cases that need the held rows written before the unreachable entries' update: d-2 is
      // marked offline by seq 5 and back online by seq 7's sample of the same time; d-3
      // stays offline.
      const d2 = one.stored.latest.find((r) => String(r).includes('"miner_id":"DEFER-2"'));
      expect(d2).toContain('"online":1');
      expect(d2).toContain('"power_w":3300');
      const d3 = one.stored.latest.find((r) => String(r).includes('"miner_id":"DEFER-3"'));
      expect(d3).toContain('"online":0');
      expect(d3).toContain('"error":"connect ETIMEDOUT"');
    });

    it('leaves out only the message whose held rows the database refuses; the others are stored once', async () => {
      t = await testApp({ storage: { url: v.url() } });
      const { db, ingest } = t.app.hashfleet;
      // A real refusal at the held write: miner_latest refuses the second message's rows (3333 W),
      // the newest of the batch (an older row of a miner is not written when a newer one is held).
      if (db.dialect === 'sqlite')
        await db.run(
          `CREATE TRIGGER refuse_latest BEFORE INSERT ON miner_latest WHEN NEW.power_w = 3333
           BEGIN SELECT RAISE(ABORT, 'refused row for the test'); END`,
        );
      else {
        await db.run(
          `CREATE FUNCTION refuse_latest() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN IF NEW.power_w = 3333 THEN RAISE EXCEPTION 'refused row for the test'; END IF; RETURN NEW; END $$`,
        );
        await db.run(
          'CREATE TRIGGER refuse_latest BEFORE INSERT ON miner_latest FOR EACH ROW EXECUTE FUNCTION refuse_latest()',
        );
      }
      const outcomes = await Promise.all(
        [message(1, T0 + 1000), message(2, T0 + 3000, {}, 3333), message(3, T0 + 2000)].map((m) =>
          ingest.handle(TOPIC, enc(m)),
        ),
      );
      expect(outcomes).toEqual(['applied', 'failed', 'applied']);
      const seen = await db.all<{ seq: number }>('SELECT seq FROM ingest_seen ORDER BY seq');
      expect(seen.map((r) => Number(r.seq))).toEqual([1, 3]);
      const hourly = await db.get<{ samples: number; shares: number }>(
        'SELECT SUM(samples) AS samples, SUM(diff1_shares) AS shares FROM container_hourly',
      );
      expect({ samples: Number(hourly?.samples), shares: Number(hourly?.shares) }).toEqual({
        samples: 8,
        shares: 4 * 11 + 4 * 13,
      });
    });
  });
}

describe('ingest and the time-series sink', () => {
  it('builds the miner and board points only when a sink is configured, and writes them then', async () => {
    // A real HTTP endpoint for the controller's own writer (core/influx/writer.ts): what it receives.
    const lines: string[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const text =
          req.headers['content-encoding'] === 'gzip' ? gunzipSync(body).toString() : body.toString();
        lines.push(...text.split('\n').filter(Boolean));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const withSink = await testApp({ influx: { url: `http://127.0.0.1:${port}`, flushIntervalMs: 50 } });
    const without = await testApp();
    try {
      for (const t of [withSink, without])
        expect(await t.app.hashfleet.ingest.handle(TOPIC, enc(message(1, T0 + 1000)))).toBe('applied');
      for (let i = 0; i < 200 && !lines.some((l) => l.startsWith('board,')); i++)
        await new Promise((r) => setTimeout(r, 25));
      expect(lines.filter((l) => l.startsWith('miner,'))).toHaveLength(4);
      expect(lines.filter((l) => l.startsWith('board,'))).toHaveLength(4);
    } finally {
      await withSink.close();
      await without.close();
      server.close();
    }
  });
});
