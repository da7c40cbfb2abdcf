/**
 * Ingest through a real Mosquitto: miner-samples per second applied durably by one controller
 * process (one JS thread), and p50/p99 from publish to the hourly aggregate being committed, beside
 * the raw broker delivery rate of the same payloads measured in the same run (baseline).
 * `npm run bench ingest` (BENCH_PG=1 also runs it on PostgreSQL 127.0.0.1:5432).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleSample, exampleTelemetry, type Telemetry, topics } from '@hashfleet/contracts';
import mqtt from 'mqtt';
import { buildApp } from '../src/app.js';
import { createToken } from '../src/auth/tokens.js';
import { loadControllerConfig } from '../src/config.js';
import { connectLink } from '../src/mqtt/link.js';
import { PG_URL, pgSchemaUrl } from '../test/helpers.js';
import { startMosquitto } from '../test/servers.js';

const CONTAINERS = 10;
const MINERS_PER_CONTAINER = 100;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const agentId = (c: number) => `bench-c${c}`;

function batch(c: number, round: number, seq: number): Telemetry {
  const at = Date.now();
  return {
    ...exampleTelemetry,
    agentId: agentId(c),
    bootId: 'bench-boot-0001',
    seq,
    sentAt: at,
    siteId: 'bench-site',
    containerId: `bench-c${c}`,
    samples: Array.from({ length: MINERS_PER_CONTAINER }, (_, m) => ({
      ...exampleSample,
      minerKey: `c${c}-m${m}`,
      serial: `BENCH-${c}-${m}`,
      mac: null,
      ip: `10.${c}.0.${m}`,
      slot: { rack: `R${Math.floor(m / 20) + 1}`, slot: String((m % 20) + 1) },
      at: at - 100 + round,
      work: { diff1Shares: 1000, sinceAt: at - 30_000, counterReset: false },
    })),
    unreachable: [],
    agent: null,
  };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

async function run(storageUrl: string, label: string, dir: string) {
  const tokens: Record<string, string> = {};
  const config = loadControllerConfig(
    { dataDir: join(dir, label), storage: { url: storageUrl }, log: { level: 'warn' } },
    {},
  );
  const app = await buildApp(config);
  for (let c = 0; c < CONTAINERS; c++)
    tokens[agentId(c)] = await createToken(app.hashfleet.db, { role: 'agent', name: agentId(c) });
  const broker = await startMosquitto(join(dir, `mosq-${label}`), { controller: 'secret', ...tokens });
  const publishers = await Promise.all(
    Array.from({ length: CONTAINERS }, (_, c) =>
      mqtt.connectAsync(broker.url, {
        username: agentId(c),
        password: tokens[agentId(c)]!,
        clientId: agentId(c),
      }),
    ),
  );
  const payloads = (round: number, seqBase: number) =>
    Array.from({ length: CONTAINERS }, (_, c) => JSON.stringify(batch(c, round, seqBase + round)));

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
  const baseMsgs = CONTAINERS * ROUNDS;
  let t0 = performance.now();
  for (let r = 0; r < ROUNDS; r++)
    await Promise.all(
      payloads(r, 0).map((p, c) => publishers[c]!.publishAsync(topics.telemetry(agentId(c)), p, { qos: 1 })),
    );
  while (received < baseMsgs) await new Promise((r) => setTimeout(r, 5));
  const baseS = (performance.now() - t0) / 1000;
  await counter.unsubscribeAsync(topics.allOf('telemetry'));
  await counter.endAsync();

  // The controller: ack-after-commit link on a shared subscription, latency per message.
  const done = new Map<string, number>();
  let busyMs = 0;
  const ingest = {
    async handle(topic: string, payload: Uint8Array) {
      const h0 = performance.now();
      const outcome = await app.hashfleet.ingest.handle(topic, payload);
      busyMs += performance.now() - h0;
      done.set(topic + (JSON.parse(Buffer.from(payload).toString()) as Telemetry).seq, performance.now());
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
  });
  // Warm-up round: creates the 1000 assets (reconciliation); not measured.
  const sentAt = new Map<string, number>();
  const publishRound = async (r: number, seqBase: number) => {
    const ps = payloads(r, seqBase);
    await Promise.all(
      ps.map((p, c) => {
        sentAt.set(topics.telemetry(agentId(c)) + (seqBase + r), performance.now());
        return publishers[c]!.publishAsync(topics.telemetry(agentId(c)), p, { qos: 1 });
      }),
    );
  };
  const waitDone = async (n: number) => {
    while (done.size < n) await new Promise((r) => setTimeout(r, 2));
  };
  await publishRound(0, 1000);
  await waitDone(CONTAINERS);

  // Throughput: all rounds as fast as the broker takes them.
  const cpu0 = process.cpuUsage();
  busyMs = 0;
  t0 = performance.now();
  for (let r = 1; r <= ROUNDS; r++) await publishRound(r, 1000);
  await waitDone(CONTAINERS * (ROUNDS + 1));
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const ingestBusyS = busyMs / 1000;
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const samples = ROUNDS * CONTAINERS * MINERS_PER_CONTAINER;

  // Latency: paced at half the measured rate, so it shows processing, not a backlog.
  done.clear();
  const rate = samples / wallS / 2;
  const gapMs = ((CONTAINERS * MINERS_PER_CONTAINER) / rate) * 1000;
  for (let r = 1; r <= ROUNDS; r++) {
    await publishRound(r, 5000);
    await new Promise((res) => setTimeout(res, gapMs));
  }
  await waitDone(CONTAINERS * ROUNDS);
  const lat = [...done].map(([k, at]) => at - sentAt.get(k)!);

  const check = await app.hashfleet.db.get<{ n: number }>('SELECT SUM(samples) AS n FROM container_hourly');
  const [load1] = (await import('node:os')).loadavg();
  console.log(
    `\n[${label}] ${CONTAINERS} containers x ${MINERS_PER_CONTAINER} miners, ${ROUNDS} rounds (load average ${load1?.toFixed(1)})`,
  );
  console.log('  (publishers run in this process too, so CPU figures include making the load)');
  console.log(
    `  baseline broker delivery: ${(baseMsgs / baseS).toFixed(0)} msg/s = ${((baseMsgs * MINERS_PER_CONTAINER) / baseS).toFixed(0)} miner-samples/s`,
  );
  console.log(
    `  controller ingest:        ${(samples / wallS).toFixed(0)} miner-samples/s wall, ${(samples / cpuS).toFixed(0)} per CPU-second of this process (${((cpuS / wallS) * 100).toFixed(0)} % of a core)`,
  );
  console.log(
    `  time inside ingest (apply + commit): ${ingestBusyS.toFixed(2)} s of ${wallS.toFixed(2)} s wall -> ${(samples / ingestBusyS).toFixed(0)} miner-samples/s while busy`,
  );
  console.log(
    `  vs baseline:              ${((samples / wallS / ((baseMsgs * MINERS_PER_CONTAINER) / baseS)) * 100).toFixed(1)} %`,
  );
  console.log(
    `  publish -> committed aggregate at ${rate.toFixed(0)} samples/s: p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms (per 100-sample batch)`,
  );
  console.log(
    `  aggregate rows count ${check?.n} samples (expected ${(2 * ROUNDS + 1) * CONTAINERS * MINERS_PER_CONTAINER})`,
  );
  await link.close();
  for (const p of publishers) await p.endAsync();
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
