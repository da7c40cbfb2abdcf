import type { FastifyBaseLogger } from 'fastify';
import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { type Job, lockKey, startJobs } from '../src/jobs.js';
import { testApp } from './helpers.js';

/** A logger that keeps what it was told (the runner's log lines are part of its contract). */
function recordingLogger() {
  const lines: { level: string; msg: string }[] = [];
  const at =
    (level: string) =>
    (a: unknown, b?: unknown): void => {
      lines.push({ level, msg: typeof a === 'string' ? a : String(b) });
    };
  const logger = { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
  return { lines, logger: logger as unknown as FastifyBaseLogger };
}

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

describe('background jobs (Feature.jobs)', () => {
  it('runs each job on its interval with now() from the context, singletons included on SQLite', async () => {
    const seen: number[] = [];
    const { logger } = recordingLogger();
    const jobs = await startJobs({
      jobs: [{ name: 'tick', everyMs: 5, singleton: true, run: async (now) => void seen.push(now) }],
      storageUrl: 'sqlite::memory:',
      logger,
      registry: new Registry(),
      now: () => 42_000,
    });
    await vi.waitFor(() => expect(seen.length).toBeGreaterThanOrEqual(3));
    await jobs.stop();
    expect(new Set(seen)).toEqual(new Set([42_000]));
  });

  it('never overlaps a job with itself: ticks while it runs are skipped and counted', async () => {
    const gate = deferred();
    let started = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const registry = new Registry();
    const job: Job = {
      name: 'slow',
      everyMs: 2,
      singleton: false,
      async run() {
        started++;
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await gate.promise;
        concurrent--;
      },
    };
    const jobs = await startJobs({
      jobs: [job],
      storageUrl: 'sqlite::memory:',
      logger: recordingLogger().logger,
      registry,
      now: Date.now,
    });
    await vi.waitFor(async () =>
      expect(await registry.metrics()).toMatch(
        /hashfleet_job_runs_total\{job="slow",result="skipped_overlap"\} [3-9]/,
      ),
    );
    expect(started).toBe(1);
    gate.resolve();
    await vi.waitFor(() => expect(started).toBeGreaterThanOrEqual(2));
    await jobs.stop();
    expect(maxConcurrent).toBe(1);
  });

  it('a failing job is counted on /metrics every time, logged once per state change, and other jobs keep running', async () => {
    const t = await testApp();
    const ctx = t.app.hashfleet;
    const { lines, logger } = recordingLogger();
    let fail = true;
    let failures = 0;
    let healthy = 0;
    const jobs = await startJobs({
      jobs: [
        {
          name: 'flaky',
          everyMs: 3,
          singleton: true,
          async run() {
            if (fail) {
              failures++;
              throw new Error('storage unreachable');
            }
          },
        },
        { name: 'steady', everyMs: 3, singleton: false, run: async () => void healthy++ },
      ],
      storageUrl: 'sqlite::memory:',
      logger,
      registry: ctx.metrics.registry,
      now: ctx.now,
    });
    await vi.waitFor(() => expect(failures).toBeGreaterThanOrEqual(4));
    const metrics = await t.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(/hashfleet_job_runs_total\{job="flaky",result="failed"\} ([4-9]|\d\d)/);
    expect(metrics.body).toContain('hashfleet_job_failing{job="flaky"} 1');
    fail = false;
    await vi.waitFor(async () =>
      expect((await t.app.inject({ url: '/metrics' })).body).toContain(
        'hashfleet_job_failing{job="flaky"} 0',
      ),
    );
    await jobs.stop();
    const flaky = lines.filter((l) => l.msg.startsWith('job flaky'));
    expect(flaky.map((l) => l.level)).toEqual(['error', 'info']);
    expect(flaky[1]!.msg).toBe('job flaky: recovered');
    expect(healthy).toBeGreaterThan(0);
    await t.close();
  });

  it('stop() waits for the run in flight and nothing runs after it', async () => {
    const gate = deferred();
    let runs = 0;
    let finished = false;
    const jobs = await startJobs({
      jobs: [
        {
          name: 'long',
          everyMs: 2,
          singleton: true,
          async run() {
            runs++;
            await gate.promise;
            finished = true;
          },
        },
      ],
      storageUrl: 'sqlite::memory:',
      logger: recordingLogger().logger,
      registry: new Registry(),
      now: Date.now,
    });
    await vi.waitFor(() => expect(runs).toBe(1));
    const stopping = jobs.stop();
    setTimeout(gate.resolve, 20);
    await stopping;
    expect(finished).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(runs).toBe(1);
  });

  it('rejects a job without a positive interval, naming it', async () => {
    await expect(
      startJobs({
        jobs: [{ name: 'broken', everyMs: 0, singleton: false, run: async () => {} }],
        storageUrl: 'sqlite::memory:',
        logger: recordingLogger().logger,
        registry: new Registry(),
        now: Date.now,
      }),
    ).rejects.toThrow('job broken: everyMs must be > 0 (got 0)');
  });

  it('lock keys are stable 32-bit integers that differ by job', () => {
    expect(lockKey('alerts')).toBe(lockKey('alerts'));
    expect(lockKey('alerts')).not.toBe(lockKey('remediation'));
    for (const k of [lockKey('alerts'), lockKey('x'), lockKey('')]) {
      expect(Number.isInteger(k) && k >= -(2 ** 31) && k < 2 ** 31).toBe(true);
    }
  });
});
