/**
 * The scale rehearsal (issue 15 item 6): 100,000 miners' telemetry at a 10 s poll (10,000
 * miner-samples/s) from SCALE_AGENTS (200) simulated agents of SCALE_MINERS (500) miners, each
 * sending its poll as messages of 250 samples (the agent's default batch.maxSamples,
 * agent/src/config-schema.ts), spread over SCALE_PUBLISHERS (4) publisher processes, through a
 * private Mosquitto into 2 controller replicas run from the compiled output (scale/replicas.ts)
 * on PostgreSQL (127.0.0.1:5432 db test, a schema of its own, dropped afterwards) with the MQTT 5
 * shared subscription of deploy/compose.yaml, for SCALE_S seconds (300), while the replicas' alert
 * tick runs (alerts.evaluateEveryS, 10 s) and a payout close of SCALE_STAKERS (1,000,000) stakers
 * runs from the controller CLI SCALE_CLOSE_AT_S (30) seconds into the run.
 *
 * Prints: the sustained durable rate beside the raw broker rate of the same run (the same
 * publishers flat out into a plain subscriber), publish -> durable p50/p99 (durable: the
 * controller's end-to-end ack on hashfleet/v1/agents/<id>/acks arrived, docs/architecture.md §3.3)
 * beside the broker's own publish -> delivery at the same pace, event-loop delay p99 and RSS per
 * replica beside the same replica idle, CPU seconds of every process, and the lost and doubled
 * counts from the database (scale/check.ts). `npm run bench scale`; SCALE_S=60 for development.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/core/app.js';
import { createToken } from '../src/core/auth/tokens.js';
import { loadControllerConfig } from '../src/core/config.js';
import { openDb } from '../src/core/storage/db.js';
import { PG_URL, pgReachable } from '../test/helpers.js';
import { type Mosquitto, startMosquitto } from '../test/servers.js';
import { agentId } from './ingest-load.js';
import { bench } from './report.js';
import { exactness } from './scale/check.js';
import { type Fleet, plainSubscriber, startFleet } from './scale/fleet.js';
import type { Delivery } from './scale/publisher.js';
import {
  buildController,
  CONTROLLER_CLI,
  metricSum,
  pgWaits,
  procStats,
  type Replica,
  scrape,
  startReplica,
} from './scale/replicas.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const RUN_S = env('SCALE_S', 300);
const AGENTS = env('SCALE_AGENTS', 200);
const MINERS = env('SCALE_MINERS', 500);
const PUBLISHERS = env('SCALE_PUBLISHERS', 4);
const STAKERS = env('SCALE_STAKERS', 1_000_000);
const CLOSE_AT_S = env('SCALE_CLOSE_AT_S', 30);
const RAW_S = env('SCALE_RAW_S', 20);
const RAW_ROUNDS = env('SCALE_RAW_ROUNDS', 5);
const DRAIN_S = env('SCALE_DRAIN_S', 180);
const WARM_S = env('SCALE_WARM_S', 1200);
const REPLICAS = 2;
const PER_MESSAGE = 250;
const POLL_MS = 10_000;
const SITE = 'bench-site';
/** The day accounting-close-db.bench.ts seeds (its PERIOD). */
const CLOSE_PERIOD = '2026-11-23';
const OFFERED = (AGENTS * MINERS) / (POLL_MS / 1000);
/** The issue 15 goals are for 100,000 miners at 10 s: a smaller run reports its figures, never `met`. */
const GOAL_RATE = 10_000;
const AT_SCALE = OFFERED >= GOAL_RATE;

const load1 = () => Number(loadavg()[0]!.toFixed(2));
const n0 = (x: number) => Math.round(x).toLocaleString('en');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const say = (text: string) =>
  console.log(`[${new Date().toISOString().slice(11, 19)} load ${load1()}] ${text}`);

/** Seeds the close's inputs (stakers, energy, credit) with accounting-close-db.bench.ts's own seed step. */
function seedClose(url: string): Promise<void> {
  const file = fileURLToPath(new URL('./accounting-close-db.bench.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file, 'child', 'seed', url], {
    env: { ...process.env, STAKERS: String(STAKERS) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`close seed exited with ${code}`)),
    ),
  );
}

/** One agent token per simulated container, bound to it (ingest refuses unbound agents). */
async function agentTokens(url: string, dir: string): Promise<string[]> {
  const app = await buildApp(
    loadControllerConfig({ dataDir: join(dir, 'setup'), storage: { url }, log: { level: 'warn' } }, {}),
  );
  try {
    const tokens: string[] = [];
    for (let c = 0; c < AGENTS; c++)
      tokens.push(
        await createToken(app.hashfleet.db, {
          role: 'agent',
          name: agentId(c),
          places: [{ siteId: SITE, containerId: `bench-c${c}` }],
        }),
      );
    return tokens;
  } finally {
    await app.close();
  }
}

type Raw = { rate: number; p50: number; p99: number; pacedMessages: number };

/** The broker alone, before any replica subscribes: the same publishers at the run's pace, then flat out. */
async function rawBroker(broker: Mosquitto, password: string, fleet: Fleet): Promise<Raw> {
  const sub = await plainSubscriber(broker.url, password);
  sub.timed(true);
  const paced = await fleet.all<{ published: number }>(
    `paced ${Date.now() + 1000} ${RAW_S} raw-paced-${RUN_ID}`,
  );
  const pacedMessages = paced.reduce((s, a) => s + a.published, 0);
  if (!(await sub.until(pacedMessages, 60_000))) throw new Error('plain subscriber: paced messages missing');
  sub.timed(false);
  const before = sub.received;
  const t0 = performance.now();
  const flat = await fleet.all<{ published: number }>(`flat ${RAW_ROUNDS} raw-flat-${RUN_ID}`);
  const flatMessages = flat.reduce((s, a) => s + a.published, 0);
  if (!(await sub.until(before + flatMessages, 300_000)))
    throw new Error('plain subscriber: flat messages missing');
  const s = (performance.now() - t0) / 1000;
  await sub.close();
  return {
    rate: (flatMessages * PER_MESSAGE) / s,
    p50: pct(sub.latencies, 50),
    p99: pct(sub.latencies, 99),
    pacedMessages,
  };
}

type Window = { at: number; lagP99Ms: number; lagMaxMs: number; rssMb: number };
type ReplicaWatch = {
  windows: Window[][];
  idleLagP99Ms: number[];
  stop(): Promise<Map<string, number>[]>;
};

/**
 * Reads each replica's /metrics every 10 s. prom-client's event-loop histogram restarts at every
 * read (node_modules/prom-client/lib/metrics/eventLoopLag.js), so each read is one 10-s window.
 */
function watchReplicas(replicas: Replica[]): ReplicaWatch {
  const windows: Window[][] = replicas.map(() => []);
  let running = true;
  const read = async (r: Replica, i: number) => {
    const m = await scrape(r.url);
    windows[i]!.push({
      at: Date.now(),
      lagP99Ms: metricSum(m, 'nodejs_eventloop_lag_p99_seconds') * 1000,
      lagMaxMs: metricSum(m, 'nodejs_eventloop_lag_max_seconds') * 1000,
      rssMb: metricSum(m, 'process_resident_memory_bytes') / 2 ** 20,
    });
    return m;
  };
  const loop = (async () => {
    while (running) {
      await sleep(10_000);
      if (running) await Promise.all(replicas.map(read));
    }
  })();
  return {
    windows,
    idleLagP99Ms: [],
    async stop() {
      running = false;
      await loop;
      return Promise.all(replicas.map(read));
    },
  };
}

type Close = { wallS: number; cpuS: number; peakRssMb: number; code: number | null; out: string };

/** The payout close from the compiled CLI, as an operator runs it, against the replicas' database. */
function runClose(config: string): Promise<Close> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [CONTROLLER_CLI, '--config', config, 'period', 'close', CLOSE_PERIOD, '--override', 'scale rehearsal'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out = (out + d.toString()).slice(-2000);
  });
  child.stderr!.on('data', (d: Buffer) => {
    out = (out + d.toString()).slice(-2000);
  });
  let last = { peakRssMb: 0, cpuS: 0 };
  const timer = setInterval(() => {
    const s = child.pid ? procStats(child.pid) : null;
    if (s) last = { peakRssMb: Math.max(last.peakRssMb, s.peakRssMb), cpuS: s.cpuS };
  }, 500);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearInterval(timer);
      resolve({ wallS: (performance.now() - t0) / 1000, ...last, code, out });
    }),
  );
}

/** Waits until every message of the tracked boot sent so far is acked, or the time is up. */
async function acked(fleet: Fleet, timeoutMs: number): Promise<Delivery[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { deliveries } = await fleet.deliveries();
    const open = deliveries.filter((d) => d.ackAt === null).length;
    if (open === 0 || Date.now() > end) return deliveries;
    await sleep(1000);
  }
}

const RUN_ID = randomBytes(4).toString('hex');
const BOOT = `scale-${RUN_ID}`;

async function main() {
  if (!(await pgReachable(PG_URL)))
    throw new Error(`PostgreSQL at ${PG_URL} does not answer (.ci/postgres.sh starts it)`);
  const dir = mkdtempSync(join(tmpdir(), 'hashfleet-scale-'));
  const u = new URL(PG_URL);
  const schema = `bench_scale_${RUN_ID}`;
  u.searchParams.set('schema', schema);
  const storageUrl = u.toString();
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    say(
      `scale rehearsal: ${n0(AGENTS * MINERS)} miners (${AGENTS} agents x ${MINERS}), ${PER_MESSAGE} samples a message, poll ${POLL_MS / 1000} s = ${n0(OFFERED)} samples/s offered for ${RUN_S} s; ${REPLICAS} replicas, ${PUBLISHERS} publisher processes, close of ${n0(STAKERS)} stakers`,
    );
    buildController();
    let t = performance.now();
    await seedClose(storageUrl);
    say(`close inputs seeded (${n0(STAKERS)} stakers) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const tokens = await agentTokens(storageUrl, dir);
    const password = randomBytes(12).toString('hex');
    const broker = await startMosquitto(join(dir, 'mosquitto'), {
      controller: password,
      ...Object.fromEntries(tokens.map((tk, c) => [agentId(c), tk])),
    });
    cleanups.push(() => broker.stop());
    const fleet = await startFleet(
      {
        url: broker.url,
        totalAgents: AGENTS,
        minersPerAgent: MINERS,
        perMessage: PER_MESSAGE,
        pollMs: POLL_MS,
        ackedBoot: BOOT,
      },
      tokens,
      PUBLISHERS,
    );
    cleanups.push(async () => fleet.end());
    const raw = await rawBroker(broker, password, fleet);
    say(
      `raw broker: ${n0(raw.rate)} samples/s flat out into a plain subscriber; publish -> delivered at ${n0(OFFERED)} samples/s: p50 ${raw.p50} ms, p99 ${raw.p99} ms`,
    );

    const setup = { storageUrl, mqttUrl: broker.url, password, dir };
    const replicas = await Promise.all(
      Array.from({ length: REPLICAS }, (_, i) => startReplica(setup, i + 1)),
    );
    cleanups.push(() => Promise.all(replicas.map((r) => r.stop())));
    // Idle baseline: each replica's event loop and memory with no telemetry, its jobs running.
    await Promise.all(replicas.map((r) => scrape(r.url)));
    await sleep(10_000);
    const idle = await Promise.all(replicas.map((r) => scrape(r.url)));
    const idleRss = replicas.map((r) => procStats(r.proc.pid!)?.rssMb ?? 0);
    say(
      `replicas ready; idle event-loop p99 ${idle.map((m) => (metricSum(m, 'nodejs_eventloop_lag_p99_seconds') * 1000).toFixed(1)).join(' / ')} ms`,
    );

    // Warm-up: one poll of the whole fleet, every miner seen for the first time (assets created).
    t = performance.now();
    await fleet.all(`paced ${Date.now() + 500} ${POLL_MS / 1000} ${BOOT}`);
    const warm = await acked(fleet, WARM_S * 1000);
    const warmS = (performance.now() - t) / 1000;
    say(
      `warm-up: first sight of ${n0(AGENTS * MINERS)} miners durable in ${warmS.toFixed(1)} s (${warm.filter((d) => d.ackAt === null).length} unacked)`,
    );
    const warmCount = warm.length;

    const cpu0 = replicas.map((r) => procStats(r.proc.pid!)?.cpuS ?? 0);
    const cpuFrom = performance.now();
    const atStart = await Promise.all(replicas.map((r) => scrape(r.url)));
    const watch = watchReplicas(replicas);
    const waitsDb = await openDb(PG_URL);
    const waits = pgWaits(waitsDb, REPLICAS);
    const runStart = Date.now() + 2000;
    const loadSeen: number[] = [];
    const loadTimer = setInterval(() => loadSeen.push(load1()), 10_000);
    const closeDone = sleep(runStart - Date.now() + CLOSE_AT_S * 1000).then(() => {
      say('payout close started (controller CLI)');
      return runClose(join(dir, 'replica-1', 'controller.json'));
    });
    await fleet.all(`paced ${runStart} ${RUN_S} ${BOOT}`);
    say('run: every message published and PUBACKed; waiting for the last end-to-end acks');
    const all = await acked(fleet, DRAIN_S * 1000);
    const waitedUntil = Date.now();
    const lastAck = Math.max(...all.map((d) => d.ackAt ?? 0));
    const final = await watch.stop();
    const pg = await waits.stop();
    await waitsDb.close();
    clearInterval(loadTimer);
    const cpuRun = replicas.map((r, i) => (procStats(r.proc.pid!)?.cpuS ?? 0) - cpu0[i]!);
    const cpuWallS = (performance.now() - cpuFrom) / 1000;
    const stats = replicas.map((r) => procStats(r.proc.pid!));
    say('waiting for the close to end');
    const close = await closeDone;

    const { doubleAcks } = await fleet.deliveries();
    const run = all.slice().filter((d) => d.sentAt >= runStart);
    const runAcked = run.filter((d) => d.ackAt !== null);
    // A message still unacked counts with the time it waited so far: its latency is at least that.
    const lat = run.map((d) => (d.ackAt ?? waitedUntil) - d.sentAt);
    const runSamples = runAcked.reduce((s, d) => s + d.samples, 0);
    const spanS = Math.max(RUN_S, (lastAck - runStart) / 1000);
    const sustained = runSamples / spanS;
    const db = await openDb(storageUrl);
    const exact = await exactness(db, BOOT, SITE, all, agentId);
    await db.close();
    report({
      raw,
      sustained,
      runMessages: run.length,
      unacked: run.length - runAcked.length,
      warmS,
      warmCount,
      p50: pct(lat, 50),
      p99: pct(lat, 99),
      replicas,
      windows: watch.windows,
      idle,
      idleRss,
      atStart,
      final,
      stats,
      cpuRun,
      cpuWallS,
      pg,
      close,
      exact,
      doubleAcks,
      loadSeen,
    });
  } finally {
    for (const c of cleanups.reverse()) await c().catch((e: Error) => console.error(`cleanup: ${e.message}`));
    const db = await openDb(PG_URL);
    await db
      .run(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      .catch((e: Error) => console.error(`drop schema ${schema}: ${e.message}`));
    await db.close();
    keepLogs(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The replicas' logs outlive the run's folder (they hold why a replica was slow or did not stop). */
function keepLogs(dir: string): void {
  const logs = readdirSync(dir).filter((f) => f.endsWith('.log'));
  if (!logs.length) return;
  const kept = mkdtempSync(join(tmpdir(), 'hashfleet-scale-logs-'));
  for (const f of logs) copyFileSync(join(dir, f), join(kept, f));
  console.log(`replica logs kept in ${kept}`);
}

type Figures = {
  raw: Raw;
  sustained: number;
  runMessages: number;
  unacked: number;
  warmS: number;
  warmCount: number;
  p50: number;
  p99: number;
  replicas: Replica[];
  windows: Window[][];
  idle: Map<string, number>[];
  idleRss: number[];
  atStart: Map<string, number>[];
  final: Map<string, number>[];
  stats: (ReturnType<typeof procStats> | null)[];
  cpuRun: number[];
  /** Wall time over which cpuRun was taken: the run and the wait for its last acks. */
  cpuWallS: number;
  pg: { active: number; lock: number; idleInTx: number }[];
  close: Close;
  exact: Awaited<ReturnType<typeof exactness>>;
  doubleAcks: number;
  loadSeen: number[];
};

/** What one replica did in the run: its event loop, memory, CPU, share of the ingest, alert ticks. */
function replicaFigures(f: Figures, r: Replica, i: number) {
  const w = f.windows[i]!;
  const end = f.final[i]!;
  const start = f.atStart[i]!;
  const delta = (name: string, ...labels: string[]) =>
    metricSum(end, name, ...labels) - metricSum(start, name, ...labels);
  const p99s = w.map((x) => x.lagP99Ms);
  const ticks = delta('hashfleet_job_seconds_count', 'job="alerts"');
  const fig = {
    lagWorstP99: Math.max(...p99s),
    lagMedianP99: pct(p99s, 50),
    lagMax: Math.max(...w.map((x) => x.lagMaxMs)),
    idleP99: metricSum(f.idle[i]!, 'nodejs_eventloop_lag_p99_seconds') * 1000,
    rssMb: f.stats[i]?.rssMb ?? 0,
    peakRssMb: f.stats[i]?.peakRssMb ?? 0,
    idleRssMb: f.idleRss[i]!,
    cpuS: f.cpuRun[i]!,
    samples: delta('hashfleet_ingest_samples_total'),
    duplicates: delta('hashfleet_ingest_duplicates_total'),
    alertTicks: ticks,
    alertTickMeanS: ticks ? delta('hashfleet_job_seconds_sum', 'job="alerts"') / ticks : 0,
    alertTicksOver1s: ticks - delta('hashfleet_job_seconds_bucket', 'job="alerts"', 'le="1"'),
    alertOverlaps: delta('hashfleet_job_runs_total', 'job="alerts"', 'result="skipped_overlap"'),
    reconnects: readFileSync(r.log, 'utf8').split('offline, reconnecting').length - 1,
  };
  console.log(
    `  replica ${r.index}: event-loop delay p99 ${fig.lagWorstP99.toFixed(0)} ms in its worst 10-s window, ${fig.lagMedianP99.toFixed(0)} ms in the median one (idle ${fig.idleP99.toFixed(1)} ms), max ${fig.lagMax.toFixed(0)} ms; RSS ${fig.rssMb.toFixed(0)} MB at the end, peak ${fig.peakRssMb.toFixed(0)} MB (idle ${fig.idleRssMb.toFixed(0)} MB); ${fig.cpuS.toFixed(1)} CPU-s in ${f.cpuWallS.toFixed(0)} s (${((fig.cpuS / f.cpuWallS) * 100).toFixed(0)} % of a core); ingested ${n0(fig.samples)} samples (${n0(fig.samples / fig.cpuS)} per CPU-second), ${fig.duplicates} duplicate messages; alert ticks run here ${fig.alertTicks} (mean ${fig.alertTickMeanS.toFixed(2)} s, ${fig.alertTicksOver1s} over 1 s, ${fig.alertOverlaps} ticks skipped while one ran); broker link reconnects since start ${fig.reconnects}`,
  );
  const pg = f.pg[i]!;
  console.log(
    `    its PostgreSQL connections, sampled each second: ${pg.active.toFixed(2)} running a statement, ${pg.lock.toFixed(2)} waiting on a lock, ${pg.idleInTx.toFixed(2)} holding a transaction open while the replica does something else (mean connections)`,
  );
  return fig;
}

/** Long because it prints every figure of the run in one place, then one BENCH line per goal. */
function report(f: Figures) {
  const loads = f.loadSeen.length ? `${Math.min(...f.loadSeen)}-${Math.max(...f.loadSeen)}` : String(load1());
  console.log(
    `\nscale rehearsal, ${RUN_S} s at ${n0(OFFERED)} samples/s offered (load average ${loads} during the run, 2 shared cores)`,
  );
  console.log(
    `  raw broker (plain subscriber, same publishers, same run): ${n0(f.raw.rate)} samples/s flat out; p50 ${f.raw.p50} ms, p99 ${f.raw.p99} ms at ${n0(OFFERED)} samples/s`,
  );
  console.log(
    `  sustained durable rate: ${n0(f.sustained)} samples/s (${((f.sustained / f.raw.rate) * 100).toFixed(0)} % of the raw broker rate); ${f.runMessages} messages, ${f.unacked} without an end-to-end ack after ${DRAIN_S} s`,
  );
  console.log(
    `  publish -> durable (end-to-end ack received): p50 ${f.p50} ms, p99 ${f.p99} ms${f.unacked ? ' (at least: unacked messages count with their wait so far)' : ''}`,
  );
  console.log(`  warm-up (first sight of every miner): ${f.warmS.toFixed(1)} s for ${f.warmCount} messages`);
  const repl = f.replicas.map((r, i) => replicaFigures(f, r, i));
  console.log(
    `  payout close (${n0(STAKERS)} stakers, CLI, from ${CLOSE_AT_S} s into the run): exit ${f.close.code}, ${f.close.wallS.toFixed(1)} s wall, ${f.close.cpuS.toFixed(1)} CPU-s, peak RSS ${f.close.peakRssMb.toFixed(0)} MB`,
  );
  if (f.close.code !== 0) console.log(`    ${f.close.out.trim().split('\n').slice(-5).join('\n    ')}`);
  const e = f.exact;
  console.log(
    `  database: ${e.published} messages published (warm-up and run), ${e.applied} applied, ${e.ackedNotApplied} acked but not applied (lost), ${e.backlog} neither applied nor acked when the bench stopped waiting (backlog); ${n0(e.appliedSamples)} samples in the applied messages, ${n0(e.storedSamples)} in container_hourly: ${e.doubledSamples} doubled, ${e.lostSamples} lost; ${f.doubleAcks} acks repeated (redeliveries recognised as duplicates)`,
  );
  const common = { runS: RUN_S, miners: AGENTS * MINERS, replicas: REPLICAS, stakers: STAKERS };
  bench({
    name: 'scale.sustained_rate',
    value: Math.round(f.sustained),
    unit: 'samples/s',
    baseline: Math.round(f.raw.rate),
    goal: `>= ${GOAL_RATE} samples/s durable (100,000 miners at 10 s), nothing left unacked`,
    met: AT_SCALE && f.sustained >= 0.99 * OFFERED && f.unacked === 0,
    offered: OFFERED,
    ...common,
    baselineIs: 'raw broker rate, publishers flat out into a plain subscriber, same run',
  });
  bench({
    name: 'scale.publish_to_durable_p99',
    value: f.p99,
    unit: 'ms',
    baseline: f.raw.p99,
    goal: '< 1000 ms at 10,000 samples/s sustained',
    met: AT_SCALE && f.p99 < 1000 && f.unacked === 0,
    offered: OFFERED,
    p50Ms: f.p50,
    baselineP50Ms: f.raw.p50,
    ...common,
    baselineIs: 'broker publish -> plain subscriber at the same pace, same run',
  });
  for (const [i, r] of repl.entries()) {
    bench({
      name: `scale.eventloop_p99.replica${i + 1}`,
      value: Math.round(r.lagWorstP99),
      unit: 'ms',
      baseline: Number(r.idleP99.toFixed(1)),
      goal: '< 100 ms while ingesting, alert tick and close running',
      met: AT_SCALE && r.lagWorstP99 < 100,
      medianWindowMs: Math.round(r.lagMedianP99),
      pgConnsLockWait: Number(f.pg[i]!.lock.toFixed(2)),
      pgConnsIdleInTx: Number(f.pg[i]!.idleInTx.toFixed(2)),
      ...common,
      baselineIs: 'the same replica idle, same run; value is the worst 10-s window',
    });
    bench({
      name: `scale.rss.replica${i + 1}`,
      value: Math.round(r.peakRssMb),
      unit: 'MB',
      baseline: Math.round(r.idleRssMb),
      goal: '< 1024 MB peak per replica (sizing, docs/operations.md)',
      met: r.peakRssMb < 1024,
      endRssMb: Math.round(r.rssMb),
      cpuS: Number(r.cpuS.toFixed(1)),
      samples: r.samples,
      samplesPerCpuS: Math.round(r.samples / r.cpuS),
      alertTicks: r.alertTicks,
      alertTickMeanS: Number(r.alertTickMeanS.toFixed(2)),
      ...common,
      baselineIs: 'the same replica idle, same run',
    });
  }
  bench({
    name: 'scale.lost',
    value: e.ackedNotApplied + e.lostSamples,
    unit: 'messages + samples',
    baseline: 0,
    goal: '0: every acked seq applied, with all its samples',
    met: e.ackedNotApplied === 0 && e.lostSamples === 0 && e.backlog === 0,
    backlog: e.backlog,
    ...common,
  });
  bench({
    name: 'scale.doubled',
    value: e.doubledSamples,
    unit: 'samples',
    baseline: 0,
    goal: '0: every published seq applied once',
    met: e.doubledSamples === 0 && e.applied <= e.published,
    ...common,
  });
  bench({
    name: 'scale.close_under_load',
    value: Math.round(f.close.wallS * 1000),
    unit: 'ms',
    baseline: 0,
    goal: '< 20000 ms for 1,000,000 stakers on PostgreSQL (issue 15), here beside the ingest',
    met: f.close.code === 0 && STAKERS >= 1_000_000 && f.close.wallS < 20,
    cpuS: Number(f.close.cpuS.toFixed(1)),
    peakRssMb: Math.round(f.close.peakRssMb),
    ...common,
  });
}

await main();
process.exit(0);
