import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { CycleStats } from '../src/poll/poller.js';
import { MinerSchedule } from '../src/schedule/miner-schedule.js';

/**
 * The schedule alone, with cycles and scans that only record when they run: a cycle asked for
 * while one runs joins it, and stop() waits for the running one.
 */
const stats: CycleStats = { polled: 1, failed: 0, skipped: 0, ms: 1 };

function schedule() {
  const log: string[] = [];
  let release = () => {};
  const s = new MinerSchedule({
    cycle: async () => {
      log.push('cycle');
      await new Promise<void>((r) => {
        release = r;
      });
      return stats;
    },
    scan: async () => {
      log.push('scan');
      return [];
    },
    intervals: { pollMs: 60_000, jitterMs: 0, scanMs: 60_000 },
    random: () => 0,
    logger: pino({ level: 'silent' }),
  });
  return { s, log, release: () => release() };
}

describe('miner schedule', () => {
  it('joins a cycle asked for while one runs, and stop() waits for it', async () => {
    const { s, log, release } = schedule();
    const a = s.pollNow();
    const b = s.pollNow();
    expect(a).toBe(b);
    let stopped = false;
    const stopping = s.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(await a).toBe(stats);
    expect(log).toEqual(['cycle']);
  });
});
