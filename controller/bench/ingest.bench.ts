/**
 * Ingest through a real Mosquitto: miner-samples per second applied durably by one controller
 * process (one JS thread), and p50/p99 from publish to the hourly aggregate being committed, beside
 * the raw broker delivery rate of the same payloads measured in the same run (baseline). The load
 * comes from a separate process (ingest-load.ts), so CPU figures are the controller's own.
 * `npm run bench ingest` (BENCH_PG=1 also runs it on PostgreSQL 127.0.0.1:5432).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Telemetry, topics } from '@hashfleet/contracts';
import mqtt from 'mqtt';
import { buildApp } from '../src/core/app.js';
import { createToken } from '../src/core/auth/tokens.js';
import { loadControllerConfig } from '../src/core/config.js';
import { connectLink } from '../src/core/mqtt/link.js';
import { PG_URL, pgSchemaUrl } from '../test/helpers.js';
import { startMosquitto } from '../test/servers.js';
import { bench } from './report.js';

const CONTAINERS = 10;
const MINERS_PER_CONTAINER = 100;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
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

async function run(storageUrl: string, label: string, dir: string) {
  const tokens: Record<string, string> = {};
  const app = await buildApp(
    loadControllerConfig(
      { dataDir: join(dir, label), storage: { url: storageUrl }, log: { level: 'warn' } },
      {},
    ),
  );
  for (let c = 0; c < CONTAINERS; c++)
    tokens[agentId(c)] = await createToken(app.hashfleet.db, { role: 'agent', name: agentId(c) });
  const broker = await startMosquitto(join(dir, `mosq-${label}`), { controller: 'secret', ...tokens });
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

  // The controller: ack-after-commit link on a shared subscription.
  const latencies: number[] = [];
  let applied = 0;
  const ingest = {
    async handle(topic: string, payload: Uint8Array) {
      const outcome = await app.hashfleet.ingest.handle(topic, payload);
      latencies.push(Date.now() - (JSON.parse(Buffer.from(payload).toString()) as Telemetry).sentAt);
      applied++;
      return outcome;
    },
    stop() {},
  };
  const link = await connectLink({
    url: broker.url,
    username: 'controller',
    password: 'secret',
    clientId: `bench-${label}`,
    protocolVersion: 5,
    sharedGroup: 'bench',
    ingest,
    log: app.log,
    now: Date.now,
  });
  const until = async (n: number) => {
    while (applied < n) await new Promise((r) => setTimeout(r, 2));
  };
  // Warm-up round: creates the 1000 assets (reconciliation); not measured.
  await load.round(0, 1000);
  await until(CONTAINERS);

  // Throughput: every round published back to back.
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  for (let r = 1; r <= ROUNDS; r++) await load.round(r, 1000 + r);
  await until(CONTAINERS * (ROUNDS + 1));
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const samples = ROUNDS * perRound;

  // Latency: paced at half the measured rate, so it shows processing, not a backlog.
  latencies.length = 0;
  const gapMs = (perRound / (samples / wallS / 2)) * 1000;
  const before = applied;
  for (let r = 1; r <= ROUNDS; r++) {
    await load.round(r, 5000 + r);
    await new Promise((res) => setTimeout(res, gapMs));
  }
  await until(before + CONTAINERS * ROUNDS);

  const check = await app.hashfleet.db.get<{ n: number }>('SELECT SUM(samples) AS n FROM container_hourly');
  const baseRate = (CONTAINERS * ROUNDS * MINERS_PER_CONTAINER) / baseS;
  console.log(
    `\n[${label}] ${CONTAINERS} containers x ${MINERS_PER_CONTAINER} miners, ${ROUNDS} rounds (load average ${loadavg()[0]!.toFixed(1)} on this shared machine)`,
  );
  console.log(
    `  baseline broker delivery (same payloads, counting subscriber): ${baseRate.toFixed(0)} miner-samples/s (${(baseRate / MINERS_PER_CONTAINER).toFixed(0)} msg/s)`,
  );
  console.log(
    `  controller ingest: ${(samples / wallS).toFixed(0)} miner-samples/s wall (${((samples / wallS / baseRate) * 100).toFixed(0)} % of baseline)`,
  );
  console.log(
    `  controller CPU: ${(samples / cpuS).toFixed(0)} miner-samples per CPU-second (${((cpuS / wallS) * 100).toFixed(0)} % of one core used)`,
  );
  console.log(
    `  publish -> committed aggregate, paced at ${(samples / wallS / 2).toFixed(0)} samples/s: p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms (100-sample batches)`,
  );
  console.log(`  aggregates hold ${check?.n} samples (expected ${(2 * ROUNDS + 1) * perRound})`);
  // Issue 15's goals: 50,000 samples per CPU-second on SQLite (25,000 on PostgreSQL), and at least
  // half of the raw broker delivery rate measured in the same run.
  const perCpuGoal = label.toLowerCase().includes('postgres') ? 25_000 : 50_000;
  bench({
    name: `ingest.${label}.samples_per_cpu_s`,
    value: Math.round(samples / cpuS),
    unit: 'samples/CPU-s',
    baseline: Math.round(baseRate),
    goal: `>= ${perCpuGoal} samples per CPU-second`,
    met: samples / cpuS >= perCpuGoal,
  });
  bench({
    name: `ingest.${label}.rate_vs_broker`,
    value: Math.round(samples / wallS),
    unit: 'samples/s',
    baseline: Math.round(baseRate),
    goal: '>= 0.5 of the raw broker delivery rate',
    met: samples / wallS >= 0.5 * baseRate,
    p99Ms: Number(pct(latencies, 99)),
  });
  load.end();
  await link.close();
  await broker.stop();
  await app.close();
}

const dir = mkdtempSync(join(tmpdir(), 'hashfleet-bench-ingest-'));
try {
  await run(`sqlite:${join(dir, 'bench.db')}`, 'sqlite', dir);
  if (process.env.BENCH_PG) await run(pgSchemaUrl(PG_URL), 'postgres', dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
