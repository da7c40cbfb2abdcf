/**
 * Ingest through a real Mosquitto: miner-samples per second applied durably by one controller
 * process (one JS thread), and p50/p99 from publish to the hourly aggregate being committed at
 * issue 15's rate (100,000 miners at a 10 s poll), beside the raw broker delivery rate of the same
 * payloads measured in the same run. Each database runs twice: unbatched (one message per
 * transaction, the link taking one at a time: the path before batching) and batched
 * (controller/src/fleet/ingest/batch.ts), so the gain is measured against its baseline in the same
 * run. BENCH_PROFILE=1 adds where the throughput phase's time went. The load comes from a separate process (ingest-load.ts), so CPU figures are the
 * controller's own. `npm run bench ingest` runs SQLite, then PostgreSQL (127.0.0.1:5432, or
 * HASHFLEET_TEST_PG) when it answers, and says so when it does not; BENCH_PG=0 leaves it out, BENCH_SQLITE=0 leaves SQLite out.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { topics } from '@hashfleet/contracts';
import mqtt from 'mqtt';
import { buildApp } from '../src/core/app.js';
import { createToken } from '../src/core/auth/tokens.js';
import { loadControllerConfig } from '../src/core/config.js';
import { connectLink } from '../src/core/mqtt/link.js';
import { redactUrl } from '../src/core/storage/db.js';
import { PG_URL, pgReachable, pgSchemaUrl } from '../test/helpers.js';
import { startMosquitto } from '../test/servers.js';
import { profiled } from './ingest-profile.js';
import { bench } from './report.js';

const CONTAINERS = 10;
const MINERS_PER_CONTAINER = 100;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
// BENCH_PROFILE=1: where the throughput phase's time goes (ingest-profile.ts); off by default so
// the profiler's own cost stays out of the figures.
const PROFILE = Boolean(process.env.BENCH_PROFILE);
const agentId = (c: number) => `bench-c${c}`;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

function loadProcess(url: string, tokens: Record<string, string>) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('./ingest-load.ts', import.meta.url)),
      url,
      String(CONTAINERS),
      String(MINERS_PER_CONTAINER),
      JSON.stringify(tokens),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => (await lines.next()).value as string;
  return {
    ready: next,
    async round(r: number, seq: number) {
      child.stdin!.write(`round ${r} ${seq}\n`);
      await next();
    },
    end() {
      child.stdin!.write('end\n');
    },
  };
}

/** Ingest transactions so far: the count of the batch-size histogram (controller/src/fleet/ingest/ingest.ts). */
async function transactions(app: Awaited<ReturnType<typeof buildApp>>): Promise<number> {
  const metric = await app.hashfleet.metrics.registry
    .getSingleMetric('hashfleet_ingest_batch_messages')
    ?.get();
  const count = metric?.values.find(
    (v) => (v as { metricName?: string }).metricName === 'hashfleet_ingest_batch_messages_count',
  );
  return count?.value ?? 0;
}

const SENT_AT = Buffer.from('"sentAt":');

/**
 * The payload's sentAt, read where it is written instead of parsing the whole payload again: the
 * bench's own bookkeeping stays out of the controller's CPU seconds.
 */
function sentAt(payload: Uint8Array): number {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const at = buf.indexOf(SENT_AT);
  if (at < 0) throw new Error('bench: a payload without sentAt');
  return Number.parseInt(buf.toString('latin1', at + SENT_AT.length, at + SENT_AT.length + 20), 10);
}

/** How the controller takes messages: one at a time (the path before issue 15) or batched. */
type Mode = 'unbatched' | 'batched';

type Figures = {
  baseRate: number;
  perCpu: number;
  wallRate: number;
  coreShare: number;
  p50: number;
  p99: number;
  stored: number;
  expected: number;
  batches: number;
  /** Self time by part of the path over the throughput phase (BENCH_PROFILE=1). */
  profile: [string, number][] | null;
  /** The ten functions with the most self time over the throughput phase (BENCH_PROFILE=1). */
  frames: [string, number][] | null;
};

// Issue 15: 100,000 miners polled every 10 s.
const FLEET_RATE = 100_000 / 10;

/**
 * Long because it is one measurement told in order: broker baseline, warm-up, throughput, then
 * latency at the issue's goal rate, each step reading the previous one's figures.
 */
async function run(storageUrl: string, label: string, dir: string, mode: Mode): Promise<Figures> {
  const tokens: Record<string, string> = {};
  const app = await buildApp(
    loadControllerConfig(
      { dataDir: join(dir, `${label}-${mode}`), storage: { url: storageUrl }, log: { level: 'warn' } },
      {},
    ),
  );
  if (mode === 'unbatched') app.hashfleet.ingest.batching?.({ maxMessages: 1 });
  for (let c = 0; c < CONTAINERS; c++)
    tokens[agentId(c)] = await createToken(app.hashfleet.db, {
      role: 'agent',
      name: agentId(c),
      places: [{ siteId: 'bench-site', containerId: `bench-c${c}` }],
    });
  const broker = await startMosquitto(join(dir, `mosq-${label}-${mode}`), {
    controller: 'secret',
    ...tokens,
  });
  const load = loadProcess(broker.url, tokens);
  await load.ready();
  const perRound = CONTAINERS * MINERS_PER_CONTAINER;

  // Baseline: the same payloads through the same broker to a subscriber that only counts them.
  const counter = await mqtt.connectAsync(broker.url, {
    username: 'controller',
    password: 'secret',
    clientId: 'baseline',
  });
  await counter.subscribeAsync(topics.allOf('telemetry'), { qos: 1 });
  let received = 0;
  counter.on('message', () => {
    received++;
  });
  let t0 = performance.now();
  for (let r = 0; r < ROUNDS; r++) await load.round(r, r);
  while (received < CONTAINERS * ROUNDS) await new Promise((r) => setTimeout(r, 2));
  const baseS = (performance.now() - t0) / 1000;
  await counter.unsubscribeAsync(topics.allOf('telemetry'));
  await counter.endAsync();

  // The controller: ack-after-commit link on a shared subscription; unbatched takes one message
  // at a time, as the link and ingest did before batching.
  const latencies: number[] = [];
  let applied = 0;
  const ingest = {
    async handle(topic: string, payload: Uint8Array) {
      const outcome = await app.hashfleet.ingest.handle(topic, payload);
      latencies.push(Date.now() - sentAt(payload));
      applied++;
      return outcome;
    },
    stop() {},
  };
  const link = await connectLink({
    url: broker.url,
    username: 'controller',
    password: 'secret',
    clientId: `bench-${label}-${mode}`,
    protocolVersion: 5,
    sharedGroup: 'bench',
    ingest,
    log: app.log,
    now: Date.now,
    ...(mode === 'unbatched' ? { window: 1 } : {}),
  });
  const until = async (n: number) => {
    while (applied < n) await new Promise((r) => setTimeout(r, 2));
  };
  // Warm-up round: creates the 1000 assets (reconciliation); not measured.
  await load.round(0, 1000);
  await until(CONTAINERS);

  // Throughput: every round published back to back.
  const cpu0 = process.cpuUsage();
  const txBefore = await transactions(app);
  t0 = performance.now();
  const throughput = async () => {
    for (let r = 1; r <= ROUNDS; r++) await load.round(r, 1000 + r);
    await until(CONTAINERS * (ROUNDS + 1));
  };
  const profile = PROFILE ? await profiled(throughput) : null;
  if (!PROFILE) await throughput();
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const samples = ROUNDS * perRound;
  const busyBatches = (await transactions(app)) - txBefore;

  // Latency at the issue's goal rate (100,000 miners at a 10 s poll), not at what this path manages:
  // a path slower than the goal shows it as a growing queue.
  latencies.length = 0;
  const gapMs = (perRound / FLEET_RATE) * 1000;
  const before = applied;
  const start = performance.now();
  for (let r = 1; r <= ROUNDS; r++) {
    await load.round(r, 5000 + r);
    const due = start + r * gapMs - performance.now();
    if (due > 0) await new Promise((res) => setTimeout(res, due));
  }
  await until(before + CONTAINERS * ROUNDS);

  const check = await app.hashfleet.db.get<{ n: number }>('SELECT SUM(samples) AS n FROM container_hourly');
  load.end();
  await link.close();
  await broker.stop();
  await app.close();
  return {
    baseRate: (CONTAINERS * ROUNDS * MINERS_PER_CONTAINER) / baseS,
    perCpu: samples / cpuS,
    wallRate: samples / wallS,
    coreShare: cpuS / wallS,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    stored: Number(check?.n ?? 0),
    expected: (2 * ROUNDS + 1) * perRound,
    batches: busyBatches,
    profile: profile?.parts ?? null,
    frames: profile?.frames ?? null,
  };
}

function report(label: string, before: Figures, after: Figures) {
  const n = (x: number) => Math.round(x).toLocaleString('en');
  console.log(
    `\n[${label}] ${CONTAINERS} containers x ${MINERS_PER_CONTAINER} miners, ${ROUNDS} rounds (load average ${loadavg()[0]!.toFixed(1)} on this shared machine)`,
  );
  for (const [mode, f] of [
    ['unbatched (before)', before],
    ['batched (after)', after],
  ] as const) {
    console.log(`  ${mode}:`);
    console.log(`    raw broker delivery (same payloads, counting subscriber): ${n(f.baseRate)} samples/s`);
    console.log(
      `    ingest: ${n(f.perCpu)} samples per CPU-second; ${n(f.wallRate)} samples/s wall (${((f.wallRate / f.baseRate) * 100).toFixed(0)} % of the broker rate, ${(f.coreShare * 100).toFixed(0)} % of one core); ${f.batches} transactions for ${CONTAINERS * ROUNDS} messages`,
    );
    console.log(
      `    publish -> committed, paced at ${n(FLEET_RATE)} samples/s (100,000 miners at 10 s): p50 ${f.p50} ms, p99 ${f.p99} ms`,
    );
    console.log(
      `    100,000 miners at 10 s need ${n(FLEET_RATE)} samples/s: headroom ${(f.perCpu / FLEET_RATE).toFixed(2)}x per CPU-second, ${(f.wallRate / FLEET_RATE).toFixed(2)}x wall`,
    );
    console.log(`    aggregates hold ${f.stored} samples (expected ${f.expected})`);
    if (f.profile) {
      const total = f.profile.reduce((a, [, ms]) => a + ms, 0);
      console.log(`    profile of the throughput phase (${n(total)} ms sampled, self time):`);
      for (const [part, ms] of f.profile)
        console.log(
          `      ${((ms / total) * 100).toFixed(1).padStart(5)} %  ${n(ms).padStart(6)} ms  ${part}`,
        );
      console.log('    top 10 functions by self time:');
      for (const [frame, ms] of f.frames ?? [])
        console.log(
          `      ${((ms / total) * 100).toFixed(1).padStart(5)} %  ${n(ms).padStart(6)} ms  ${frame}`,
        );
    }
  }
  // Issue 15's goals: 50,000 samples per CPU-second on SQLite (25,000 on PostgreSQL), and at least
  // half of the raw broker delivery rate measured in the same run.
  const perCpuGoal = label === 'postgres' ? 25_000 : 50_000;
  bench({
    name: `ingest.${label}.samples_per_cpu_s`,
    value: Math.round(after.perCpu),
    unit: 'samples/CPU-s',
    baseline: Math.round(before.perCpu),
    goal: `>= ${perCpuGoal} samples per CPU-second`,
    met: after.perCpu >= perCpuGoal,
    baselineIs: 'the unbatched path in the same run',
    brokerRate: Math.round(after.baseRate),
  });
  bench({
    name: `ingest.${label}.rate_vs_broker`,
    value: Math.round(after.wallRate),
    unit: 'samples/s',
    baseline: Math.round(after.baseRate),
    goal: '>= 0.5 of the raw broker delivery rate',
    met: after.wallRate >= 0.5 * after.baseRate,
    unbatched: Math.round(before.wallRate),
  });
  bench({
    name: `ingest.${label}.headroom_100k_miners`,
    value: Number((after.perCpu / FLEET_RATE).toFixed(2)),
    unit: 'x of 10,000 samples/s per CPU-second',
    baseline: Number((before.perCpu / FLEET_RATE).toFixed(2)),
    goal: `>= ${perCpuGoal / FLEET_RATE}x (issue 15)`,
    met: after.perCpu >= perCpuGoal,
    wallHeadroom: Number((after.wallRate / FLEET_RATE).toFixed(2)),
  });
  bench({
    name: `ingest.${label}.p99_at_goal_rate`,
    value: after.p99,
    unit: 'ms',
    baseline: before.p99,
    goal: 'publish -> committed p99 < 1000 ms at 10,000 samples/s',
    met: after.p99 < 1000,
    p50Ms: after.p50,
  });
}

const dir = mkdtempSync(join(tmpdir(), 'hashfleet-bench-ingest-'));
try {
  const dbs: [string, () => string][] = [];
  if (process.env.BENCH_SQLITE !== '0')
    dbs.push(['sqlite', () => `sqlite:${join(dir, `bench-${Math.random()}.db`)}`]);
  if (process.env.BENCH_PG !== '0') {
    if (await pgReachable(PG_URL)) dbs.push(['postgres', () => pgSchemaUrl(PG_URL)]);
    else
      console.log(
        `PostgreSQL at ${redactUrl(PG_URL)} does not answer: its figures are not measured in this run`,
      );
  }
  for (const [label, url] of dbs) {
    const before = await run(url(), label, dir, 'unbatched');
    const after = await run(url(), label, dir, 'batched');
    report(label, before, after);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
