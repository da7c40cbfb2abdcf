import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleSample, exampleTelemetry, type Telemetry } from '@hashfleet/contracts';
import { loadControllerConfig } from '@hashfleet/controller/core/config';
import { toLine } from '@hashfleet/controller/core/influx/line';
import { sharePoints } from '@hashfleet/controller/core/influx/points-miner';
import { createInfluxWriter } from '@hashfleet/controller/core/influx/writer';
import { telemetryPoints } from '@hashfleet/controller/fleet/ingest/telemetry';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { exportSeries, VICTORIA, victoriaMetrics } from '../controller/test/servers.js';

/**
 * The small version of `npm run bench influx-outage` (issue 17): the writer is fed, as fast as it
 * takes them, one minute of data time (6 polls) of 2,000 miners' points (the ingest's own point
 * functions, 3 boards a miner) while a real VictoriaMetrics is stopped. Proves: every line went to
 * the spill (none written, none dropped), the spill on disk is gzip-compressed (smaller than the
 * line protocol it holds), and after the restart the replay delivers every miner's every sample
 * exactly once. A second writer with a spill bound below one poll's size proves the bound drops
 * and counts lines instead of growing the disk.
 */
const MINERS = 2000;
const CYCLES = 6;
const T0 = Date.UTC(2026, 11, 1, 0, 0, 0);
const runOrSkip = !existsSync(VICTORIA) && !process.env.CI ? describe.skip : describe;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pointsOf(cycle: number) {
  const at = T0 + cycle * 10_000;
  const ids = Array.from({ length: MINERS }, (_, m) => `miner-${m}`);
  const msg: Telemetry = {
    ...exampleTelemetry,
    seq: cycle,
    sentAt: at,
    samples: ids.map((_, m) => ({
      ...exampleSample,
      minerKey: `key-${m}`,
      at,
      hashrate5sThs: 100 + m / 1000,
      boards: [0, 1, 2].map((index) => ({ ...exampleSample.boards[0]!, index })),
    })),
  };
  return [...telemetryPoints(msg, ids), ...sharePoints(msg, ids)];
}

runOrSkip('Influx writer spill at fleet rate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashfleet-spill-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const writerFor = (url: string, sub: string, spillMaxBytes: number) => {
    const cfg = loadControllerConfig(
      {
        dataDir: join(dir, sub),
        storage: { url: 'sqlite::memory:' },
        influx: { url, spillMaxBytes, flushIntervalMs: 100, maxRetries: 1 },
        log: { level: 'silent' },
      },
      {},
    );
    return createInfluxWriter(cfg.influx!, cfg.dataDir, pino({ level: 'silent' }));
  };

  it('spills a minute of 2,000 miners compressed and replays every sample once', async () => {
    const vm = await victoriaMetrics(join(dir, 'vm1'));
    await vm.start();
    const writer = writerFor(vm.url, 'c1', 512 * 1024 * 1024);
    try {
      await vm.stop();
      let lineBytes = 0;
      for (let c = 0; c < CYCLES; c++) {
        const points = pointsOf(c);
        for (const p of points) lineBytes += Buffer.byteLength(toLine(p)!) + 1;
        writer.write(points);
      }
      for (let i = 0; i < 200 && writer.stats().linesSpilled < writer.stats().linesQueued; i++)
        await sleep(200);
      const down = writer.stats();
      expect(down.linesQueued).toBe(MINERS * CYCLES * 5 + CYCLES); // + one agent point per message
      expect(down.linesSpilled).toBe(down.linesQueued);
      expect(down.linesWritten).toBe(0);
      expect(down.spillBytes).toBeGreaterThan(0);
      expect(down.spillBytes).toBeLessThan(lineBytes / 4);

      await vm.start();
      for (let i = 0; i < 300 && writer.stats().spillBytes > 0; i++) {
        await writer.flush();
        await sleep(200);
      }
      const after = writer.stats();
      expect(after.spillBytes).toBe(0);
      expect(after.linesDropped).toBe(0);
      expect(after.linesReplayed).toBe(after.linesQueued);

      const want = Array.from({ length: CYCLES }, (_, k) => T0 + k * 10_000);
      let series: Awaited<ReturnType<typeof exportSeries>> = [];
      for (let i = 0; i < 40; i++) {
        series = await exportSeries(vm.url, 'miner_hashrate_ths');
        if (series.reduce((a, s) => a + s.timestamps.length, 0) >= MINERS * CYCLES) break;
        await sleep(500);
      }
      expect(series).toHaveLength(MINERS);
      for (const s of series) expect([...s.timestamps].sort((a, b) => a - b)).toEqual(want);
    } finally {
      await writer.close();
      await vm.stop();
    }
  });

  it('drops and counts lines past the spill bound instead of growing the disk', async () => {
    const vm = await victoriaMetrics(join(dir, 'vm2'));
    const writer = writerFor(vm.url, 'c2', 20_000); // server never started: every write fails
    try {
      for (let c = 0; c < 2; c++) writer.write(pointsOf(c));
      for (let i = 0; i < 200; i++) {
        const s = writer.stats();
        if (s.linesSpilled + s.linesDropped >= s.linesQueued) break;
        await sleep(200);
      }
      const s = writer.stats();
      expect(s.linesDropped).toBeGreaterThan(0);
      expect(s.linesSpilled + s.linesDropped).toBe(s.linesQueued);
      // The bound is checked before each appended batch: at most one batch beyond it.
      expect(s.spillBytes).toBeLessThan(20_000 + 5000 * 300);
    } finally {
      await writer.close();
    }
  });
});
