import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyBaseLogger } from 'fastify';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** A background duty a feature runs on a timer (see `Feature.jobs`). */
export type Job = {
  name: string;
  everyMs: number;
  /** Runs on one replica only: the one holding this job's PostgreSQL advisory lock. */
  singleton: boolean;
  /**
   * Runs right after each run of the named job on the replica that ran it (same `now`), instead
   * of on its own timer: remediation acts on the alerts of the same evaluation. It still takes
   * its own lock when a singleton. When the named job is not among the jobs, it runs on its own
   * `everyMs` timer.
   */
  after?: string;
  run(now: number): Promise<void>;
};

/**
 * Who may run singleton jobs. On SQLite there is one controller per file, so always this one;
 * on PostgreSQL, the replica whose lock session holds `pg_try_advisory_lock` for the job.
 */
export type LockSession = {
  /** Holds (or already held) the job's lock; false when another replica holds it. */
  hold(job: string): Promise<boolean>;
  close(): Promise<void>;
};

export type JobsOptions = {
  jobs: Job[];
  /** Storage URL: `postgres://…` gets a dedicated lock session; anything else runs singletons here. */
  storageUrl: string;
  logger: FastifyBaseLogger;
  registry: Registry;
  now(): number;
};

export type RunningJobs = {
  /**
   * Stops timers, signals runs in flight to stop (throwIfStopping) and waits for them, releases
   * locks. Call before storage closes.
   */
  stop(): Promise<void>;
};

/** The stop signal of the jobs whose run this code is part of (none outside a job's run). */
const runSignal = new AsyncLocalStorage<AbortSignal>();

/**
 * Throws once the jobs are stopping, when called inside a job's run: a long run (the alert tick at
 * 100,000 miners) calls it between its pieces (alerts/pace.ts), so a shutdown does not wait for the
 * rest of it. Its writes are transactions, rolled back when it throws; the next leader's run redoes
 * the work. Outside a job's run it does nothing.
 */
export function throwIfStopping(): void {
  runSignal.getStore()?.throwIfAborted();
}

/**
 * A turn of the event loop, then `throwIfStopping`: a run that works through the whole fleet
 * (100,000 miners) calls it between bounded pieces, so timers, I/O and other transactions go on
 * meanwhile. Awaiting a query alone does not give that turn on SQLite (better-sqlite3 answers
 * synchronously and the await resolves as a microtask).
 */
export const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve)).then(throwIfStopping);

/** Two 32-bit keys from a string (FNV-1a), as `pg_try_advisory_lock(int, int)` takes. */
export function lockKey(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

const alwaysHeld: LockSession = { hold: async () => true, close: async () => {} };

/**
 * A dedicated PostgreSQL connection (not the query pool: an advisory lock belongs to the session
 * that took it). The lock's first key is the schema, so deployments or test runs sharing a
 * server in separate schemas never block each other; if the connection drops, PostgreSQL frees
 * the locks and another replica takes the jobs over on its next tick.
 */
export async function pgLockSession(url: string, logger: FastifyBaseLogger): Promise<LockSession> {
  const { default: pg } = await import('pg');
  const parsed = new URL(url);
  const scope = lockKey(`hashfleet-jobs:${parsed.searchParams.get('schema') ?? 'public'}`);
  parsed.searchParams.delete('schema');
  let client: InstanceType<typeof pg.Client> | null = null;
  const held = new Set<string>();
  let closed = false;
  const connect = async () => {
    const c = new pg.Client({ connectionString: parsed.toString() });
    c.on('error', (err) => {
      logger.warn({ err }, 'jobs: lock session lost; singleton jobs pause until it is back');
      held.clear();
      if (client === c) client = null;
    });
    await c.connect();
    if (closed) {
      // close() came while this session was opening: it must not outlive the shutdown.
      await c.end().catch(() => {});
      throw new Error('jobs: lock session closed');
    }
    client = c;
    return c;
  };
  const tryHold = async (job: string): Promise<boolean> => {
    if (closed) return false;
    if (held.has(job) && client) return true;
    const c = client ?? (await connect());
    const r = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [
      scope,
      lockKey(job),
    ]);
    if (r.rows[0]?.ok) {
      held.add(job);
      logger.info(`jobs: ${job}: this replica runs it (advisory lock held)`);
      return true;
    }
    return false;
  };
  // One question at a time: jobs whose timers fire in the same turn would otherwise each open a
  // session of their own (only the last kept, the others holding their locks until the process
  // ends) and send queries on one client while another is running.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    hold(job) {
      const answer = queue.then(() => tryHold(job));
      queue = answer.catch(() => {});
      return answer;
    },
    async close() {
      closed = true;
      held.clear();
      const c = client;
      client = null;
      // Ending the session releases every advisory lock it held.
      await c?.end().catch(() => {});
    },
  };
}

function jobMetrics(registry: Registry) {
  const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
  return {
    runs:
      existing<Counter<'job' | 'result'>>('hashfleet_job_runs_total') ??
      new Counter({
        name: 'hashfleet_job_runs_total',
        help: 'Background job runs by job and result (ok, failed, skipped_overlap, not_leader)',
        labelNames: ['job', 'result'],
        registers: [registry],
      }),
    failing:
      existing<Gauge<'job'>>('hashfleet_job_failing') ??
      new Gauge({
        name: 'hashfleet_job_failing',
        help: '1 while the last run of a job failed',
        labelNames: ['job'],
        registers: [registry],
      }),
    seconds:
      existing<Histogram<'job'>>('hashfleet_job_seconds') ??
      new Histogram({
        name: 'hashfleet_job_seconds',
        help: 'Wall time of the job runs this replica ran (ok or failed), by job',
        labelNames: ['job'],
        buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
        registers: [registry],
      }),
  };
}

/**
 * Starts every job on its interval, and each `after` job right after the job it follows. A job
 * never overlaps itself (a tick while it still runs is skipped and counted); a failure is counted
 * every time and logged once per change of state (failing, recovered), and never stops the
 * controller or the other jobs (a failed leader's followers still run).
 */
export async function startJobs(opts: JobsOptions): Promise<RunningJobs> {
  const { jobs, logger } = opts;
  for (const job of jobs) {
    if (!(job.everyMs > 0)) throw new Error(`job ${job.name}: everyMs must be > 0 (got ${job.everyMs})`);
  }
  for (const job of jobs) {
    // A cycle of `after`s would have no timer to start it.
    const seen = new Set([job.name]);
    for (let a = job.after; a; a = jobs.find((j) => j.name === a)?.after) {
      if (seen.has(a))
        throw new Error(`job ${job.name}: after ${job.after}: a cycle of jobs running after each other`);
      seen.add(a);
    }
  }
  const metrics = jobMetrics(opts.registry);
  const needLock = jobs.some((j) => j.singleton);
  const locks =
    needLock && /^postgres(ql)?:\/\//.test(opts.storageUrl)
      ? await pgLockSession(opts.storageUrl, logger)
      : alwaysHeld;
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  const stopping = new AbortController();

  const names = new Set(jobs.map((j) => j.name));
  const followers = (name: string) => jobs.filter((j) => j.after === name);
  const ticks = new Map<string, (now: number) => Promise<'ran' | 'skipped'>>();
  for (const job of jobs) {
    let running = false;
    let failing = false;
    // 'ran' (ok or failed) when this replica ran it; its followers run only then.
    ticks.set(job.name, async (now) => {
      if (stopped) return 'skipped';
      if (running) {
        metrics.runs.inc({ job: job.name, result: 'skipped_overlap' });
        return 'skipped';
      }
      running = true;
      try {
        if (job.singleton && !(await locks.hold(job.name))) {
          metrics.runs.inc({ job: job.name, result: 'not_leader' });
          return 'skipped';
        }
        if (stopped) return 'skipped';
        const end = metrics.seconds.startTimer({ job: job.name });
        await runSignal.run(stopping.signal, () => job.run(now)).finally(() => end());
        metrics.runs.inc({ job: job.name, result: 'ok' });
        if (failing) logger.info(`job ${job.name}: recovered`);
        failing = false;
      } catch (err) {
        if (stopped && stopping.signal.aborted && err === stopping.signal.reason) {
          metrics.runs.inc({ job: job.name, result: 'stopped' });
          logger.info(`job ${job.name}: stopped mid-run by the shutdown`);
          return 'skipped';
        }
        metrics.runs.inc({ job: job.name, result: 'failed' });
        if (!failing) logger.error({ err }, `job ${job.name}: failed (logged again only after it recovers)`);
        failing = true;
      } finally {
        metrics.failing.set({ job: job.name }, failing ? 1 : 0);
        running = false;
      }
      return 'ran';
    });
  }
  /** A job and then, if it ran here, its followers in order (a follower's failure stops none). */
  const chain = async (job: Job, now: number): Promise<void> => {
    if ((await ticks.get(job.name)!(now)) !== 'ran') return;
    for (const f of followers(job.name)) await chain(f, now);
  };

  for (const job of jobs) {
    if (job.after && names.has(job.after)) continue;
    // The whole chain is one tick: a leader never starts again while its followers still run.
    let chainRunning = false;
    const tick = async () => {
      if (chainRunning) {
        if (!stopped) metrics.runs.inc({ job: job.name, result: 'skipped_overlap' });
        return;
      }
      chainRunning = true;
      try {
        await chain(job, opts.now());
      } finally {
        chainRunning = false;
      }
    };
    const timer = setInterval(() => {
      const p = tick();
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }, job.everyMs);
    timer.unref();
    timers.push(timer);
  }

  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearInterval(t);
      // Runs that check (throwIfStopping) end at their next piece; the others are waited for.
      stopping.abort(new Error('jobs stopping'));
      await Promise.allSettled([...inFlight]);
      await locks.close();
    },
  };
}
