/**
 * Polling 1,000 and 5,000 simulated miners (Antminer stock and Whatsminer v2 profiles) with the
 * whole agent, built to JavaScript as it ships: scan, poll cycles, spool (fsync), publish to a broker. The simulator and broker run
 * in a child process, so CPU and RSS below are the agent's. The baseline, in this same process, does
 * the same exchanges bare: per miner and step a plain socket, one write, read to close,
 * JSON.parse (and a connect for each HTTP step, as the agent's optional CGI steps get refused).
 * Overhead = agent / baseline.
 *
 * At 5,000 miners the agent is also launched as a process of its own on its timers (fixed-rate
 * cycles every 10 s), as it runs in a container: built to JavaScript as tools/build.mjs builds it
 * (no TypeScript loader), started as its systemd unit starts it; launch to its first sample at the broker, then
 * after a first pass over the fleet (and its scan) two passes' CPU, RSS and cycle time, each beside a bare Node process doing the same exchange
 * (launch, one miner's reply parsed, RSS) in the same run. Each goal of issue 15 is printed as one
 * `BENCH {json}` line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { topics } from '@hashfleet/contracts';
import { getProfile } from '@hashfleet/firmware-profiles/registry';
import { build } from 'esbuild';
import mqtt from 'mqtt';
import pino from 'pino';
import type { startAgent as StartAgent } from '../src/agent.js';
import type { loadAgentConfig as LoadAgentConfig } from '../src/config.js';
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

// The agent measured in this process is the JavaScript that ships, as the launched one is.
const { startAgent, loadAgentConfig } = (await import(
  await bundle(
    'agent',
    "export { startAgent } from '../src/agent.ts'; export { loadAgentConfig } from '../src/config.ts';",
  )
)) as { startAgent: typeof StartAgent; loadAgentConfig: typeof LoadAgentConfig };

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
  if (n === 5000) {
    const cycleBase = avg(baseRuns, 'ms');
    report(
      'agent_poll_cycle_5000',
      avg(agentRuns, 'ms'),
      'ms',
      cycleBase,
      '<= 10000 ms (fits a 10 s fixed-rate cycle)',
      (v) => v <= 10_000,
    );
    report(
      'agent_cpu_per_1k_polls_5000',
      cpuPer1kAgent,
      'CPU s',
      cpuPer1kBase,
      '<= 1.5 x baseline',
      (_v, r) => r <= 1.5,
    );
    await launched(fleet, cpuPer1kBase, cycleBase);
  }
  stop();
}
process.exit(0);

function report(
  name: string,
  value: number,
  unit: string,
  baseline: number,
  goal: string,
  met: (value: number, ratio: number) => boolean,
): void {
  const ratio = value / baseline;
  const line = { name, value: round(value), unit, baseline: round(baseline), ratio: round(ratio), goal };
  console.log(`BENCH ${JSON.stringify({ ...line, met: met(value, ratio), load: loadavg()[0] })}`);
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/**
 * CPU seconds (user + system) and RSS in MB of a process, from /proc, with the RSS split into
 * file-backed pages (Node's and the libraries' code) and anonymous memory (heaps, stacks).
 */
function procStats(pid: number): { cpuS: number; rssMb: number; fileMb: number; anonMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  return {
    cpuS: ticks / 100,
    rssMb: mb('VmRSS'),
    fileMb: mb('RssFile') + mb('RssShmem'),
    anonMb: mb('RssAnon'),
  };
}

type ChildMemory = {
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  spaces: Record<string, number>;
};

/** Where the launched agent's RSS is: code pages, V8's heap by space, buffers, the rest. */
function memoryBreakdown(p: ReturnType<typeof procStats>, m: ChildMemory | null): string {
  if (!m) return `RSS ${p.rssMb.toFixed(1)} MB: no memory report from the agent`;
  const mb = (b: number) => (b / 1048576).toFixed(1);
  const heap = Object.values(m.spaces).reduce((a, b) => a + b, 0);
  const spaces = Object.entries(m.spaces)
    .filter(([, b]) => b >= 1048576 / 10)
    .map(([name, b]) => `${name} ${mb(b)}`)
    .join(', ');
  const rest = p.anonMb - (heap + m.external) / 1048576;
  return [
    `RSS ${p.rssMb.toFixed(1)} MB = file-backed (code of node and its libraries) ${p.fileMb.toFixed(1)}`,
    `+ anonymous ${p.anonMb.toFixed(1)}: V8 heap committed ${mb(heap)} (${spaces}; live ${mb(m.heapUsed)}),`,
    `external ${mb(m.external)} (array buffers ${mb(m.arrayBuffers)}), other (malloc, stacks) ${rest.toFixed(1)}`,
  ].join(' ');
}

/** A bare Node process: launch, one miner's summary over a socket, parsed; prints its RSS. */
async function bareLaunch(m: { ip: string; port: number }): Promise<{ ms: number; rssMb: number }> {
  const started = performance.now();
  const script = `const s=require('net').connect(${m.port},'${m.ip}',()=>s.write('{"command":"summary"}'));const c=[];s.on('data',d=>c.push(d));s.on('close',()=>{JSON.parse(Buffer.concat(c).toString().replace(/\\0+$/,''));console.log(process.memoryUsage().rss)})`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((r) => createInterface({ input: child.stdout! }).once('line', r));
  const ms = performance.now() - started;
  await new Promise((r) => child.once('exit', r));
  return { ms, rssMb: Number(line) / 1024 / 1024 };
}

/**
 * `source` (TypeScript, resolved from this folder) as one JavaScript file in bench/dist, bundled as
 * tools/build.mjs bundles the agent: this repository's workspaces inside, every other package
 * imported from node_modules.
 */
async function bundle(name: string, source: string): Promise<string> {
  const outfile = join(import.meta.dirname, 'dist', `${name}.mjs`);
  await build({
    stdin: {
      contents: source,
      resolveDir: import.meta.dirname,
      sourcefile: `${name}.entry.ts`,
      loader: 'ts',
    },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    logLevel: 'silent',
    plugins: [
      {
        name: 'external-packages',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@hashfleet/') ? undefined : { external: true },
          );
        },
      },
    ],
  });
  return outfile;
}

/** The agent launched on its own timers against the same fleet: first sample, then two passes. */
async function launched(fleet: Fleet, cpuPer1kBase: number, cycleBase: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'agent-bench-launch-'));
  const url = `mqtt://127.0.0.1:${fleet.brokerPort}`;
  const watcher = await mqtt.connectAsync(url, { clientId: 'bench-watcher' });
  let firstSample: number | null = null;
  watcher.on('message', (_t, payload) => {
    if (firstSample === null && (JSON.parse(payload.toString()) as { samples: unknown[] }).samples.length > 0)
      firstSample = performance.now();
  });
  await watcher.subscribeAsync(topics.telemetry('bench-launch'), { qos: 1 });
  const input = {
    agentId: 'bench-launch',
    siteId: 'bench',
    containerId: 'bench',
    miners: { ranges: fleet.miners.map((m) => m.ip), ports: { rpc: fleet.miners[0]!.port } },
    polling: { concurrency: CONCURRENCY, requestTimeoutMs: 3000, intervalMs: 10_000 },
    discovery: { concurrency: 256, timeoutMs: 3000 },
    spool: { dir },
    mqtt: { url, delivery: 'brokerAck' },
  };
  const script = await bundle('agent-child', "import './agent-child.ts';");
  const started = performance.now();
  const { NODE_OPTIONS: _loader, ...env } = process.env;
  const child = spawn(process.execPath, [script, JSON.stringify(input)], {
    env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const cycles: number[] = [];
  let polled = 0;
  let skippedBusy = 0;
  let startedMs = Number.NaN;
  let memory: ChildMemory | null = null;
  lines.on('line', (l) => {
    const m = JSON.parse(l) as {
      polled: number;
      skippedBusy: number;
      cycleS: number | null;
      started?: true;
      memory: ChildMemory;
    };
    if (m.started) {
      startedMs = performance.now() - started;
      return;
    }
    memory = m.memory;
    polled = m.polled;
    skippedBusy = m.skippedBusy;
    if (m.cycleS !== null && m.cycleS !== cycles.at(-1)) cycles.push(m.cycleS);
  });
  while (firstSample === null && performance.now() - started < 120_000)
    await new Promise((r) => setTimeout(r, 20));
  const launchMs = (firstSample ?? Number.NaN) - started;
  // After the first pass over the fleet (the first scan is over by then): two passes' worth of polls.
  const until = performance.now() + 240_000;
  while (polled < fleet.miners.length && performance.now() < until)
    await new Promise((r) => setTimeout(r, 200));
  if (child.exitCode !== null)
    throw new Error(`the launched agent exited (${child.exitCode}) in its first pass`);
  const from = { ...procStats(child.pid!), polled };
  while (polled - from.polled < 2 * fleet.miners.length && performance.now() < until)
    await new Promise((r) => setTimeout(r, 200));
  const to = procStats(child.pid!);
  const breakdown = memoryBreakdown(to, memory);
  const cpuPer1k = ((to.cpuS - from.cpuS) / Math.max(1, polled - from.polled)) * 1000;
  child.stdin!.end();
  await new Promise((r) => child.once('exit', r));
  await watcher.endAsync();
  rmSync(dir, { recursive: true, force: true });
  const bare = await bareLaunch(fleet.miners[0]!);
  const cycleMs = cycles.length ? (cycles.reduce((a, b) => a + b, 0) / cycles.length) * 1000 : Number.NaN;
  console.log(
    `\nlaunched agent (built), fixed-rate 10 s cycles: started (modules loaded, startAgent resolved) ${Math.round(startedMs)} ms and first sample ${Math.round(launchMs)} ms after launch, ${polled - from.polled} polls measured, ${skippedBusy} skipped busy, cycles ${cycles.map((c) => c.toFixed(1)).join(' ')} s`,
  );
  console.log(`after two passes: ${breakdown}`);
  report('agent_launch_to_first_sample', launchMs, 'ms', bare.ms, '< 2000 ms', (v) => v < 2000);
  report('agent_rss_5000', to.rssMb, 'MB', bare.rssMb, '< 150 MB', (v) => v < 150);
  report(
    'agent_cpu_per_1k_polls_fixed_rate_5000',
    cpuPer1k,
    'CPU s',
    cpuPer1kBase,
    '<= 1.5 x baseline',
    (_v, r) => r <= 1.5,
  );
  report(
    'agent_fixed_rate_cycle_5000',
    cycleMs,
    'ms',
    cycleBase,
    '<= 10000 ms (the interval)',
    (v) => v <= 10_000,
  );
}
