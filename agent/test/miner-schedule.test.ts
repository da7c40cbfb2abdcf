import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { CycleStats } from '../src/poll/poller.js';
import { MinerSchedule } from '../src/schedule/miner-schedule.js';

/**
 * The schedule alone, with cycles and scans that only record how they were asked for: a cycle
 * asked for while one runs joins it, stop() waits for running ones, timer cycles start at a fixed
 * rate while earlier ones still run, and the scan under the timers polls what it finds at once.
 */
const stats: CycleStats = { polled: 1, failed: 0, skipped: 0, ms: 1 };

function schedule(pollMs = 60_000) {
  const log: string[] = [];
  const pending: (() => void)[] = [];
  const s = new MinerSchedule({
    cycle: async (spread) => {
      log.push(spread ? 'spread cycle' : 'cycle');
      await new Promise<void>((r) => pending.push(r));
      return stats;
    },
    scan: async ({ pollFound }) => {
      log.push(pollFound ? 'scan polling what it finds' : 'scan');
      return [];
    },
    intervals: { pollMs, scanMs: 60_000 },
    logger: pino({ level: 'silent' }),
  });
  const releaseAll = () => {
    for (const release of pending.splice(0)) release();
  };
  return { s, log, releaseAll };
}

describe('miner schedule', () => {
  it('joins a cycle asked for while one runs, and stop() waits for it', async () => {
    const { s, log, releaseAll } = schedule();
    const a = s.pollNow();
    const b = s.pollNow();
    expect(a).toBe(b);
    let stopped = false;
    const stopping = s.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    releaseAll();
    await stopping;
    expect(await a).toBe(stats);
    expect(log).toEqual(['cycle']);
  });

  it('under the timers, starts cycles at a fixed rate while earlier ones still run', async () => {
    const { s, log, releaseAll } = schedule(10);
    s.start();
    // No cycle ever ends here: the next ones start anyway.
    while (log.filter((l) => l === 'spread cycle').length < 3) await new Promise((r) => setTimeout(r, 5));
    expect(log[0]).toBe('scan polling what it finds');
    const stopping = s.stop();
    releaseAll();
    await stopping;
  });

  it('a scan asked for without the timers leaves polling to pollNow', async () => {
    const { s, log } = schedule();
    await s.scanNow();
    expect(log).toEqual(['scan']);
  });
});
