import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadControllerConfig } from '../src/core/config.js';
import { Spill } from '../src/core/influx/spill.js';
import { createInfluxWriter } from '../src/core/influx/writer.js';
import { tempDir } from './helpers.js';
import { freePort } from './servers.js';

/**
 * A batch whose retry time runs out before its retries (issue 17): the InfluxDB client then hands
 * it to writeFailed with its retries not yet spent, and drops it unless the writer keeps it. The
 * 10-minute outage bench lost 40,000 lines that way on a loaded machine. Here the server's port
 * refuses connections, the retries are many and the retry time short: every line must reach the
 * spill, each once.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('influx writer, retry time exceeded', () => {
  it('spills a batch whose retry time ran out before its retries', async () => {
    const { dir, cleanup } = tempDir();
    const url = `http://127.0.0.1:${await freePort()}`; // nothing listens there
    const cfg = loadControllerConfig(
      {
        dataDir: dir,
        storage: { url: 'sqlite::memory:' },
        influx: { url, flushIntervalMs: 50, batchSize: 100, maxRetries: 1000 },
        log: { level: 'silent' },
      },
      {},
    );
    const writer = createInfluxWriter(cfg.influx!, cfg.dataDir, pino({ level: 'silent' }), 1500);
    try {
      const at = 1_764_547_200_000;
      const points = Array.from({ length: 300 }, (_, i) => ({
        measurement: 'miner',
        tags: { miner: `m${i}` },
        fields: { hashrate_ths: 100 + i },
        at,
      }));
      writer.write(points);
      for (let i = 0; i < 100 && writer.stats().linesSpilled < 300; i++) await sleep(200);
      const s = writer.stats();
      expect(s.linesQueued).toBe(300);
      expect(s.linesSpilled).toBe(300);
      expect(s.linesDropped).toBe(0);
      const spilled: string[] = [];
      const spill = new Spill(join(dir, 'influx-spill'));
      for (const f of spill.segments()) {
        const seg = spill.next()!;
        expect(seg.file).toBe(join(dir, 'influx-spill', f));
        spilled.push(...seg.lines);
        spill.advance(seg.file, seg.lines.length, seg.lines.length);
      }
      const want = points.map(
        (p) => `miner,miner=${p.tags.miner} hashrate_ths=${p.fields.hashrate_ths} ${at}`,
      );
      expect([...spilled].sort()).toEqual([...want].sort());
    } finally {
      await writer.close();
      cleanup();
    }
  });
});
