/**
 * Polling 1,000 and 5,000 simulated miners (Antminer stock and Whatsminer v2 profiles) with the
 * whole agent: scan, poll cycles, spool (fsync), publish to a broker. The simulator and broker run
 * in a child process, so CPU and RSS below are the agent's. The baseline, in this same process, does
 * the same exchanges bare: per miner and step a plain socket, one write, read to close,
 * JSON.parse (and a connect for each HTTP step, as the agent's optional CGI steps get refused).
 * Overhead = agent / baseline.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { getProfile } from '@hashfleet/firmware-profiles/registry';
import pino from 'pino';
import { startAgent } from '../src/agent.js';
import { loadAgentConfig } from '../src/config.js';
import { forEachBounded } from '../src/poll/pool.js';
import { rpcBody } from '../src/transport/request.js';

type Fleet = { brokerPort: number; miners: { ip: string; port: number; profile: string }[] };
const CONCURRENCY = 128;
const CYCLES = 3;

async function startChild(n: number): Promise<{ fleet: Fleet; stop: () => void }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'sim-child.ts'), String(n)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const line = await new Promise<string>((resolve) =>
    createInterface({ input: child.stdout! }).once('line', resolve),
  );
  return { fleet: JSON.parse(line) as Fleet, stop: () => child.stdin!.end() };
}

function bare(host: string, port: number, body: string | null): Promise<void> {
  return new Promise((resolve) => {
    const s = new Socket();
    const chunks: Buffer[] = [];
    const done = () => {
      s.destroy();
      if (body !== null && chunks.length) {
        try {
          JSON.parse(Buffer.concat(chunks).toString('utf8').replace(/\0+$/, ''));
        } catch {}
      }
      resolve();
    };
    s.setTimeout(3000, done);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', done);
    s.on('error', done);
    s.connect({ host, port }, () => (body === null ? done() : s.write(body)));
  });
}

async function baselineCycle(fleet: Fleet): Promise<void> {
  await forEachBounded(fleet.miners, CONCURRENCY, async (m) => {
    for (const step of getProfile(m.profile)!.poll) {
      if (step.request.transport === 'rpc') await bare(m.ip, m.port, rpcBody(step.request));
      else await bare(m.ip, 80, null);
    }
  });
}

function measure() {
  const cpu = process.cpuUsage();
  const t = performance.now();
  return () => {
    const d = process.cpuUsage(cpu);
    return { ms: performance.now() - t, cpuS: (d.user + d.system) / 1e6 };
  };
}

const fmt = (n: number, d = 1) => n.toFixed(d).padStart(8);

for (const n of [1000, 5000]) {
  const { fleet, stop } = await startChild(n);
  const dir = mkdtempSync(join(tmpdir(), 'agent-bench-'));
  const config = loadAgentConfig({
    agentId: 'bench',
    siteId: 'bench',
    containerId: 'bench',
    miners: { ranges: fleet.miners.map((m) => m.ip), ports: { rpc: fleet.miners[0]!.port } },
    polling: { concurrency: CONCURRENCY, requestTimeoutMs: 3000 },
    discovery: { concurrency: 256, timeoutMs: 3000 },
    spool: { dir },
    // No controller here to send end-to-end acks: the broker's PUBACK ends a message's trip.
    mqtt: { url: `mqtt://127.0.0.1:${fleet.brokerPort}`, delivery: 'brokerAck' },
  });
  const agent = await startAgent(config, { schedule: 'manual', logger: pino({ level: 'error' }) });
  const scanEnd = measure();
  const found = (await agent.scanNow()).filter((r) => r.status === 'found').length;
  const scan = scanEnd();

  // Warm-up cycle for both, then CYCLES measured cycles each, interleaved.
  await agent.pollNow();
  await baselineCycle(fleet);
  const agentRuns: { ms: number; cpuS: number }[] = [];
  const baseRuns: { ms: number; cpuS: number }[] = [];
  let polled = 0;
  for (let i = 0; i < CYCLES; i++) {
    const a = measure();
    const stats = await agent.pollNow();
    await agent.drained(60_000);
    agentRuns.push(a());
    polled += stats.polled;
    const b = measure();
    await baselineCycle(fleet);
    baseRuns.push(b());
  }
  global.gc?.();
  const rssMb = process.memoryUsage().rss / 1024 / 1024;
  const avg = (runs: { ms: number; cpuS: number }[], k: 'ms' | 'cpuS') =>
    runs.reduce((s, r) => s + r[k], 0) / runs.length;
  const cpuPer1kAgent = (avg(agentRuns, 'cpuS') / (polled / CYCLES)) * 1000;
  const cpuPer1kBase = (avg(baseRuns, 'cpuS') / n) * 1000;
  console.log(
    `\n${n} miners (found ${found} in ${(scan.ms / 1000).toFixed(1)} s, ${scan.cpuS.toFixed(2)} CPU s), ${CYCLES} cycles, concurrency ${CONCURRENCY}`,
  );
  console.log('                 cycle ms   CPU s/1k polls');
  console.log(`agent          ${fmt(avg(agentRuns, 'ms'), 0)}   ${fmt(cpuPer1kAgent, 3)}`);
  console.log(`bare baseline  ${fmt(avg(baseRuns, 'ms'), 0)}   ${fmt(cpuPer1kBase, 3)}`);
  console.log(
    `overhead ratio ${fmt(avg(agentRuns, 'ms') / avg(baseRuns, 'ms'), 2)}   ${fmt(cpuPer1kAgent / cpuPer1kBase, 2)}   (agent polled ${polled / CYCLES}/cycle, published ${agent.metrics().totals.published} messages)`,
  );
  console.log(`RSS after run  ${fmt(rssMb, 0)} MB (agent process, includes baseline buffers)`);
  await agent.stop();
  rmSync(dir, { recursive: true, force: true });
  stop();
}
process.exit(0);
