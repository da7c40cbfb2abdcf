/**
 * What shipping JavaScript buys (issue 15 item 5): the agent, the controller and `npm start` each
 * launched as production launches them (`node agent/dist/cli.mjs`, built by tools/build.mjs) beside
 * the same launch through the tsx loader (`node --import tsx agent/src/cli.ts`), in this run:
 *
 * - agent at SHIPPED_BENCH_MINERS simulated miners (default 5,000; the agent bench's fleet, simulator
 *   and broker in a child process, agent/bench/sim-child.ts) on 10 s fixed-rate cycles: launch to its
 *   first log line and to its first sample at the broker; RSS at the first log line, its median over
 *   the second pass over the fleet, and its peak;
 * - controller on SQLite with its embedded broker: launch to listening, RSS 2 s later;
 * - the demo (400 miners): launch to 90 % and to all of the answering miners live in their
 *   container grids (bounded by SHIPPED_BENCH_DEMO_BOUND_S, default 300), the built one with its
 *   build (`prestart`) counted in.
 *
 * SHIPPED_BENCH_PARTS=agent,controller,demo chooses the parts. Each goal prints one `BENCH {json}`
 * line: value = built, baseline = loader, the loader run first.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { topics } from '@hashfleet/contracts';
import { loadScenario } from '@hashfleet/simulator';
import mqtt from 'mqtt';
import { bench } from '../../controller/bench/report.js';
import { freePort } from '../src/ports.js';
import { waitForFleet } from '../src/wait.js';

const root = join(import.meta.dirname, '../..');
const MINERS = Number(process.env['SHIPPED_BENCH_MINERS'] ?? 5000);
type Variant = 'loader' | 'built';
const work = mkdtempSync(join(tmpdir(), 'hashfleet-bench-shipped-'));

/** `node --import tsx <ts>` or `node <built>`, from the repository root. */
function launch(variant: Variant, ts: string, built: string, args: string[]): ChildProcess {
  const argv = variant === 'loader' ? ['--import', 'tsx', ts, ...args] : [built, ...args];
  const { NODE_OPTIONS: _no, ...env } = process.env;
  return spawn(process.execPath, argv, { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** RSS (or with `VmHWM` its peak) of a process in MB, from /proc. */
function rssMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** Resolves with the first line of the child's stdout matching `re` (its match), or rejects on exit. */
function lineOf(child: ChildProcess, re: RegExp): Promise<RegExpExecArray> {
  let err = '';
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const m = re.exec(l);
      if (m) resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before ${re}: ${err.slice(-2000)}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `node tools/build.mjs [target]`, timed. */
function timeBuild(target: string | null): number {
  const t = performance.now();
  const args = target ? ['tools/build.mjs', target] : ['tools/build.mjs'];
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`tools/build.mjs ${target ?? ''}: exited ${r.status}`);
  return performance.now() - t;
}

type AgentRun = {
  firstLogMs: number;
  firstSampleMs: number;
  /** At its first log line: modules loaded, the agent started. */
  startRssMb: number;
  /** Median over the second pass over the fleet, sampled every 200 ms. */
  rssMb: number;
  peakRssMb: number;
  passes: number;
};

/**
 * One agent launched on its own timers against the fleet: first log line, first sample, RSS at start
 * and over its second pass (bounded at 300 s).
 */
async function agentRun(
  variant: Variant,
  brokerPort: number,
  ips: string[],
  rpcPort: number,
): Promise<AgentRun> {
  const agentId = `shipped-${variant}`;
  const url = `mqtt://127.0.0.1:${brokerPort}`;
  const file = join(work, `${agentId}.yaml`);
  writeFileSync(
    file,
    JSON.stringify({
      agentId,
      siteId: 'bench',
      containerId: agentId,
      miners: { ranges: ips, ports: { rpc: rpcPort } },
      polling: { concurrency: 128, requestTimeoutMs: 3000, intervalMs: 10_000 },
      discovery: { concurrency: 256, timeoutMs: 3000 },
      spool: { dir: join(work, agentId), fsync: 'never' },
      mqtt: { url, delivery: 'brokerAck' },
      log: { level: 'info' },
    }),
  );
  const watcher = await mqtt.connectAsync(url, { clientId: `watch-${agentId}` });
  let samples = 0;
  let firstSample = Number.NaN;
  watcher.on('message', (_t, payload) => {
    const n = (JSON.parse(payload.toString()) as { samples: unknown[] }).samples.length;
    if (n > 0 && samples === 0) firstSample = performance.now();
    samples += n;
  });
  await watcher.subscribeAsync(topics.telemetry(agentId), { qos: 1 });
  const started = performance.now();
  const child = launch(variant, 'agent/src/cli.ts', 'agent/dist/cli.mjs', ['run', file]);
  await lineOf(child, /./);
  const firstLogMs = performance.now() - started;
  const startRssMb = rssMb(child.pid!);
  const until = started + 300_000;
  const second: number[] = [];
  while (samples < 2 * ips.length && performance.now() < until && child.exitCode === null) {
    if (samples >= ips.length) second.push(rssMb(child.pid!));
    await sleep(200);
  }
  if (second.length === 0) second.push(rssMb(child.pid!));
  const peakRssMb = rssMb(child.pid!, 'VmHWM');
  await stop(child);
  await watcher.endAsync();
  const passes = samples / ips.length;
  return {
    firstLogMs,
    firstSampleMs: firstSample - started,
    startRssMb,
    rssMb: median(second),
    peakRssMb,
    passes,
  };
}

async function controllerRun(variant: Variant): Promise<{ startMs: number; rssMb: number }> {
  const dir = join(work, `controller-${variant}`);
  const file = `${dir}.yaml`;
  writeFileSync(
    file,
    `dataDir: ${dir}\nhttp: { host: 127.0.0.1, port: 0 }\nmqtt: { embeddedPort: 0 }\nlog: { level: info }\n`,
  );
  const started = performance.now();
  const child = launch(variant, 'controller/src/core/cli/main.ts', 'controller/dist/cli.mjs', [
    '--config',
    file,
    'run',
  ]);
  await lineOf(child, /hashfleet controller: API/);
  const startMs = performance.now() - started;
  await sleep(2000);
  const rss = rssMb(child.pid!);
  await stop(child);
  return { startMs, rssMb: rss };
}

type DemoRun = { buildMs: number; ninetyMs: number; wholeMs: number };
const DEMO_BOUND_MS = Number(process.env['SHIPPED_BENCH_DEMO_BOUND_S'] ?? 300) * 1000;

/**
 * `npm start`'s job, launched on free ports and its own address block: time until 90 % and until
 * all of the miners that answer are live in their container grids (NaN when not within the bound).
 */
async function demoRun(variant: Variant, block: number): Promise<DemoRun> {
  const port = await freePort();
  const started = performance.now();
  const buildMs = variant === 'built' ? timeBuild('demo') : 0;
  const child = launch(variant, 'demo/src/main.ts', 'demo/dist/main.mjs', [
    '--port',
    String(port),
    '--mqtt-port',
    String(await freePort()),
    '--data-dir',
    join(work, `demo-${variant}`),
    '--fresh',
    '--miners-ip-block',
    `127.${block}`,
  ]);
  try {
    const admin = (await lineOf(child, /^\s+admin \(demo-admin\)\s+(\S+)/))[1]!;
    const view = {
      controller: { url: `http://127.0.0.1:${port}` },
      tokens: { admin },
      scenario: loadScenario('demo'),
    };
    const left = () => Math.max(1000, started + DEMO_BOUND_MS - performance.now());
    const until = (share: number) =>
      waitForFleet(view, left(), share).then(
        () => performance.now() - started,
        () => Number.NaN,
      );
    const ninetyMs = await until(0.9);
    const wholeMs = Number.isNaN(ninetyMs) ? Number.NaN : await until(1);
    return { buildMs, ninetyMs, wholeMs };
  } finally {
    await stop(child);
  }
}

const round = (v: number) => Math.round(v * 10) / 10;

/** SHIPPED_BENCH_PARTS=agent,controller,demo (the default: all three) chooses what runs. */
const parts = new Set((process.env['SHIPPED_BENCH_PARTS'] ?? 'agent,controller,demo').split(','));

async function agentPart(): Promise<void> {
  // The fleet and the broker in a child (agent/bench/sim-child.ts), one agent at a time.
  const sim = spawn(process.execPath, ['--import', 'tsx', 'agent/bench/sim-child.ts', String(MINERS)], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const fleet = JSON.parse((await lineOf(sim, /^\{.*\}$/))[0]) as {
    brokerPort: number;
    miners: { ip: string; port: number }[];
  };
  const ips = fleet.miners.map((m) => m.ip);
  const runs: Partial<Record<Variant, AgentRun>> = {};
  for (const v of ['loader', 'built'] as const) {
    const r = await agentRun(v, fleet.brokerPort, ips, fleet.miners[0]!.port);
    runs[v] = r;
    console.log(
      `agent (${v}), ${MINERS} miners: first log line ${Math.round(r.firstLogMs)} ms, first sample ${Math.round(r.firstSampleMs)} ms after launch; RSS ${round(r.startRssMb)} MB at the first log line, ${round(r.rssMb)} MB (median) over the second pass, peak ${round(r.peakRssMb)} MB; ${round(r.passes)} passes in the bound`,
    );
  }
  sim.stdin!.end();
  await new Promise((r) => sim.once('exit', r));
  const { loader, built } = runs as Record<Variant, AgentRun>;
  const at = { miners: MINERS, passes: round(built.passes), loaderPasses: round(loader.passes) };
  bench({
    name: 'agent_rss_built',
    value: round(built.rssMb),
    unit: 'MB',
    baseline: round(loader.rssMb),
    goal: '< 150 MB',
    met: built.rssMb < 150,
    peakMb: round(built.peakRssMb),
    loaderPeakMb: round(loader.peakRssMb),
    ...at,
  });
  bench({
    name: 'agent_rss_at_start_built',
    value: round(built.startRssMb),
    unit: 'MB',
    baseline: round(loader.startRssMb),
    goal: '< loader',
    met: built.startRssMb < loader.startRssMb,
    ...at,
  });
  bench({
    name: 'agent_launch_to_first_log_built',
    value: Math.round(built.firstLogMs),
    unit: 'ms',
    baseline: Math.round(loader.firstLogMs),
    goal: '< 2000 ms',
    met: built.firstLogMs < 2000,
    ...at,
  });
  bench({
    name: 'agent_launch_to_first_sample_built',
    value: Math.round(built.firstSampleMs),
    unit: 'ms',
    baseline: Math.round(loader.firstSampleMs),
    goal: '< 2000 ms',
    met: built.firstSampleMs < 2000,
    ...at,
  });
}

async function controllerPart(): Promise<void> {
  const runs: Partial<Record<Variant, { startMs: number; rssMb: number }>> = {};
  for (const v of ['loader', 'built'] as const) {
    const r = await controllerRun(v);
    runs[v] = r;
    console.log(
      `controller (${v}), SQLite: listening ${Math.round(r.startMs)} ms after launch, RSS ${round(r.rssMb)} MB`,
    );
  }
  const { loader, built } = runs as Record<Variant, { startMs: number; rssMb: number }>;
  bench({
    name: 'controller_rss_built',
    value: round(built.rssMb),
    unit: 'MB',
    baseline: round(loader.rssMb),
    goal: '< loader',
    met: built.rssMb < loader.rssMb,
  });
  bench({
    name: 'controller_launch_to_listening_built',
    value: Math.round(built.startMs),
    unit: 'ms',
    baseline: Math.round(loader.startMs),
    goal: '< loader',
    met: built.startMs < loader.startMs,
  });
}

async function demoPart(): Promise<void> {
  const runs: Partial<Record<Variant, DemoRun>> = {};
  for (const [i, v] of (['loader', 'built'] as const).entries()) {
    const r = await demoRun(v, 84 + i);
    runs[v] = r;
    console.log(
      `demo (${v}): 90 % of the answering fleet live ${round(r.ninetyMs / 1000)} s, all of it ${Number.isNaN(r.wholeMs) ? `not within ${DEMO_BOUND_MS / 1000} s` : `${round(r.wholeMs / 1000)} s`} after launch${v === 'built' ? `, its build ${round(r.buildMs / 1000)} s included` : ''}`,
    );
  }
  const { loader, built } = runs as Record<Variant, DemoRun>;
  bench({
    name: 'npm_start_fleet_live_built',
    value: round(built.wholeMs / 1000),
    unit: 's',
    baseline: round(loader.wholeMs / 1000),
    goal: '< 30 s, build included',
    met: built.wholeMs < 30_000,
    ninetyPercentS: round(built.ninetyMs / 1000),
    ninetyPercentLoaderS: round(loader.ninetyMs / 1000),
    buildS: round(built.buildMs / 1000),
  });
}

try {
  const buildMs = timeBuild(null);
  console.log(`tools/build.mjs, all three targets: ${(buildMs / 1000).toFixed(1)} s`);
  if (parts.has('agent')) await agentPart();
  if (parts.has('controller')) await controllerPart();
  if (parts.has('demo')) await demoPart();
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
