import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleSample, exampleTelemetry, type Telemetry, topics } from '@hashfleet/contracts';
import { buildApp } from '@hashfleet/controller/core/app';
import { loadControllerConfig } from '@hashfleet/controller/core/config';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportSeries, VICTORIA, type Victoria, victoriaMetrics } from '../controller/test/servers.js';

/**
 * InfluxDB down, then back: the time-series server (VictoriaMetrics on the InfluxDB v2 write API)
 * is stopped while 5 minutes of telemetry (10 miners, one sample per second of data time) are
 * ingested; the client's retries give up, batches spill to disk, and after the restart every
 * point arrives exactly once. The outage lasts OUTAGE_WALL_S of wall time (default 15 s, set it to
 * 300 for a real 5-minute outage); data time is what the client and spill see either way.
 */
const OUTAGE_DATA_S = 300;
const OUTAGE_WALL_S = Number(process.env.OUTAGE_WALL_S ?? 15);
const MINERS = 10;
const runOrSkip = !existsSync(VICTORIA) && !process.env.CI ? describe.skip : describe;

runOrSkip('Influx writer through an outage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashfleet-outage-'));
  let vm: Victoria;
  let app: FastifyInstance;
  let seq = 0;
  const expected = new Map<string, number>();
  const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;

  beforeAll(async () => {
    vm = await victoriaMetrics(dir);
    await vm.start();
    app = await buildApp(
      loadControllerConfig(
        {
          dataDir: join(dir, 'controller'),
          storage: { url: 'sqlite::memory:' },
          influx: { url: vm.url, flushIntervalMs: 100, batchSize: 500, maxRetries: 1 },
          log: { level: 'silent' },
          // Its agent is not bound to a container (controller/test/agent-places.test.ts tests binding).
          ingest: { unboundAgents: 'accept' },
        },
        {},
      ),
    );
  });
  afterAll(async () => {
    await app?.close();
    await vm?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One batch: every miner's sample at data second `s`; records the point each should produce. */
  async function ingestSecond(s: number) {
    const at = T0 + s * 1000;
    const samples = Array.from({ length: MINERS }, (_, m) => ({
      ...exampleSample,
      minerKey: `key-${m}`,
      serial: `SER-${m}`,
      mac: null,
      ip: `10.0.0.${m + 1}`,
      slot: { rack: 'R01', slot: String(m + 1).padStart(2, '0') },
      at,
      hashrate5sThs: 100 + m + s / 1000,
      work: { diff1Shares: 10, sinceAt: at - 1000, counterReset: false },
    }));
    const msg: Telemetry = {
      ...exampleTelemetry,
      bootId: 'outage-boot-1',
      seq: seq++,
      sentAt: at,
      samples,
      unreachable: [],
      agent: null,
    };
    expect(
      await app.hashfleet.ingest.handle(
        topics.telemetry('sc-c01'),
        new TextEncoder().encode(JSON.stringify(msg)),
      ),
    ).toBe('applied');
    for (const sample of samples) expected.set(`${sample.serial}@${at}`, sample.hashrate5sThs);
  }

  it('delivers every point once after 5 minutes (data time) of the server being down', async () => {
    for (let s = 0; s < 30; s++) await ingestSecond(s);
    await app.hashfleet.influx!.flush();
    await vm.stop();
    const wallPerSecond = (OUTAGE_WALL_S * 1000) / OUTAGE_DATA_S;
    for (let s = 30; s < 30 + OUTAGE_DATA_S; s++) {
      await ingestSecond(s);
      await new Promise((r) => setTimeout(r, wallPerSecond));
    }
    // Let the client's own retries give up so the spill is what carries the outage.
    for (let i = 0; i < 100 && app.hashfleet.influx!.stats().linesSpilled === 0; i++) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(app.hashfleet.influx!.stats().linesSpilled).toBeGreaterThan(0);
    await vm.start();
    for (let s = 30 + OUTAGE_DATA_S; s < 60 + OUTAGE_DATA_S; s++) await ingestSecond(s);
    for (let i = 0; i < 150; i++) {
      await app.hashfleet.influx!.flush();
      if (app.hashfleet.influx!.stats().spillBytes === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const stats = app.hashfleet.influx!.stats();
    expect(stats.spillBytes).toBe(0);
    expect(stats.linesDropped).toBe(0);

    // Miner ids are assets; map them back to the serials the points were made from.
    const ids = await app.hashfleet.db.all<{ id: string; serial: string }>('SELECT id, serial FROM miners');
    const serialOf = new Map(ids.map((r) => [r.id, r.serial]));
    let got = new Map<string, number>();
    let count = 0;
    for (let i = 0; i < 60; i++) {
      got = new Map();
      count = 0;
      for (const series of await exportSeries(vm.url, 'miner_hashrate_ths')) {
        series.timestamps.forEach((ts, j) => {
          got.set(`${serialOf.get(series.metric.miner!)}@${ts}`, series.values[j]!);
          count++;
        });
      }
      if (count >= expected.size) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(count).toBe(expected.size); // once: no point twice
    expect(got).toEqual(expected); // every point, with its value
  });
});
