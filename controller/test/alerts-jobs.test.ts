import type { FastifyBaseLogger } from 'fastify';
import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { yieldToLoop } from '../src/alerts/pace.js';
import { type Job, lockKey, startJobs } from '../src/core/jobs.js';
import { metric, PG_URL, pgAvailable, pgSchemaUrl, testApp } from './helpers.js';

const pgUp = await pgAvailable(PG_URL);

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

  // What the scale rehearsal (bench/scale.bench.ts) reads to say how long the alert tick took on
  // the replica that ran it; failed runs are timed too (a tick that times out is the slow one).
  it('times every run it makes, ok or failed, in hashfleet_job_seconds by job', async () => {
    const registry = new Registry();
    const runs = { fine: 0, broken: 0 };
    const jobs = await startJobs({
      jobs: [
        { name: 'fine', everyMs: 2, singleton: false, run: async () => void runs.fine++ },
        {
          name: 'broken',
          everyMs: 2,
          singleton: false,
          run: async () => {
            runs.broken++;
            throw new Error('down');
          },
        },
      ],
      storageUrl: 'sqlite::memory:',
      logger: recordingLogger().logger,
      registry,
      now: Date.now,
    });
    await vi.waitFor(() => expect(Math.min(runs.fine, runs.broken)).toBeGreaterThanOrEqual(2));
    await jobs.stop();
    const text = await registry.metrics();
    for (const job of ['fine', 'broken'] as const) {
      expect(metric(text, `hashfleet_job_seconds_count{job="${job}"} `)).toBe(runs[job]);
    }
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

  it('stop() ends a paced run at its next turn instead of waiting for all of it (the alert tick at scale)', async () => {
    // A run as long as the alert tick's read of a fleet under backlog: it only ever yields
    // (alerts/pace.ts). Before, stop() waited for it to finish and a replica outlived its SIGTERM.
    let turns = 0;
    let ended: unknown = null;
    const registry = new Registry();
    const { lines, logger } = recordingLogger();
    const jobs = await startJobs({
      jobs: [
        {
          name: 'endless',
          everyMs: 2,
          singleton: true,
          async run() {
            try {
              for (;;) {
                turns++;
                await yieldToLoop();
              }
            } catch (err) {
              ended = err;
              throw err;
            }
          },
        },
      ],
      storageUrl: 'sqlite::memory:',
      logger,
      registry,
      now: Date.now,
    });
    await vi.waitFor(() => expect(turns).toBeGreaterThan(100));
    await jobs.stop();
    expect(String(ended)).toContain('jobs stopping');
    expect(await registry.metrics()).toMatch(/hashfleet_job_runs_total\{job="endless",result="stopped"\} 1/);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(lines.map((l) => l.msg)).toContain('job endless: stopped mid-run by the shutdown');
    // Outside a job's run the same yield never throws.
    await yieldToLoop();
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

  /** alerts then remediation (after: 'alerts') as the features declare them, recording each run. */
  const pair = (replica: string, runs: string[], failAlerts = false): Job[] => [
    {
      name: 'alerts',
      everyMs: 5,
      singleton: true,
      async run(now) {
        runs.push(`${replica} alerts ${now}`);
        if (failAlerts) throw new Error('evaluation failed');
      },
    },
    {
      name: 'remediation',
      after: 'alerts',
      everyMs: 5,
      singleton: true,
      run: async (now) => void runs.push(`${replica} remediation ${now}`),
    },
  ];
  const counter = () => {
    let n = 0;
    return () => ++n;
  };

  it('a job with after runs right after each run of its leader, with the same now, never on a timer of its own', async () => {
    const runs: string[] = [];
    const jobs = await startJobs({
      jobs: pair('a', runs),
      storageUrl: 'sqlite::memory:',
      logger: recordingLogger().logger,
      registry: new Registry(),
      now: counter(),
    });
    await vi.waitFor(() => expect(runs.length).toBeGreaterThanOrEqual(6));
    await jobs.stop();
    const pairs = Math.floor(runs.length / 2);
    expect(runs.slice(0, pairs * 2)).toEqual(
      Array.from({ length: pairs }, (_, i) => [`a alerts ${i + 1}`, `a remediation ${i + 1}`]).flat(),
    );
  });

  it('a failed leader run still runs its follower; a follower whose leader is absent runs on its own timer', async () => {
    const runs: string[] = [];
    const jobs = await startJobs({
      jobs: pair('a', runs, true),
      storageUrl: 'sqlite::memory:',
      logger: recordingLogger().logger,
      registry: new Registry(),
      now: counter(),
    });
    await vi.waitFor(() => expect(runs).toContain('a remediation 2'));
    await jobs.stop();
    expect(runs.slice(0, 4)).toEqual(['a alerts 1', 'a remediation 1', 'a alerts 2', 'a remediation 2']);

    const alone: string[] = [];
    const solo = await startJobs({
      jobs: pair('b', alone).slice(1),
      storageUrl: 'sqlite::memory:',
      logger: recordingLogger().logger,
      registry: new Registry(),
      now: counter(),
    });
    await vi.waitFor(() => expect(alone.length).toBeGreaterThanOrEqual(2));
    await solo.stop();
    expect(alone.slice(0, 2)).toEqual(['b remediation 1', 'b remediation 2']);
  });

  it('rejects jobs that run after each other in a cycle, naming the job', async () => {
    await expect(
      startJobs({
        jobs: [
          { name: 'x', after: 'y', everyMs: 5, singleton: false, run: async () => {} },
          { name: 'y', after: 'x', everyMs: 5, singleton: false, run: async () => {} },
        ],
        storageUrl: 'sqlite::memory:',
        logger: recordingLogger().logger,
        registry: new Registry(),
        now: Date.now,
      }),
    ).rejects.toThrow('job x: after y: a cycle of jobs running after each other');
  });

  it.skipIf(!pgUp)(
    'on PostgreSQL with two replicas, alerts and remediation both run on the lock holder only, in order; the other takes both over when it stops',
    async () => {
      const url = pgSchemaUrl(PG_URL);
      const runs: string[] = [];
      const start = (replica: string) =>
        startJobs({
          jobs: pair(replica, runs),
          storageUrl: url,
          logger: recordingLogger().logger,
          registry: new Registry(),
          now: counter(),
        });
      const a = await start('a');
      await vi.waitFor(() => expect(runs.length).toBeGreaterThanOrEqual(2));
      const b = await start('b');
      await vi.waitFor(() => expect(runs.length).toBeGreaterThanOrEqual(10));
      await a.stop();
      const byA = runs.length;
      await vi.waitFor(() =>
        expect(runs.slice(byA).filter((r) => r.startsWith('b ')).length).toBeGreaterThanOrEqual(4),
      );
      await b.stop();
      const sequence = (replica: string) => runs.filter((r) => r.startsWith(`${replica} `));
      // Every alerts run of a replica is followed at once by its remediation with the same now.
      for (const replica of ['a', 'b']) {
        const mine = sequence(replica);
        const complete = mine.slice(0, mine.length - (mine.length % 2));
        for (let i = 0; i < complete.length; i += 2) {
          expect(complete[i]).toMatch(/ alerts /);
          expect(complete[i + 1]).toBe(complete[i]!.replace(' alerts ', ' remediation '));
        }
      }
      // While a held the locks, b ran nothing: every run of b comes after a's last one.
      const lastA = runs.findLastIndex((r) => r.startsWith('a '));
      expect(runs.findIndex((r) => r.startsWith('b '))).toBeGreaterThan(lastA);
      expect(sequence('b').length).toBeGreaterThanOrEqual(4);
    },
  );

  it('lock keys are stable 32-bit integers that differ by job', () => {
    expect(lockKey('alerts')).toBe(lockKey('alerts'));
    expect(lockKey('alerts')).not.toBe(lockKey('remediation'));
    for (const k of [lockKey('alerts'), lockKey('x'), lockKey('')]) {
      expect(Number.isInteger(k) && k >= -(2 ** 31) && k < 2 ** 31).toBe(true);
    }
  });
});
