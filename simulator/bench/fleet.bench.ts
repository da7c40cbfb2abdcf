/**
 * How many simulated miners one process can serve: starts N = 1,000 and 5,000 miners (all eight
 * firmwares, round-robin), then polls every miner once with its profile's own poll steps over
 * real TCP (one connection per request, bounded concurrency, a bare client in this file).
 * Baseline, same run, same client: N bare TCP servers on the same kind of addresses answering a
 * fixed 1.5 KB string and closing. Prints cycle time, replies/s, bind time and RSS.
 */
import { connect, createServer, type Server } from 'node:net';
import { getProfile, type PollStep } from '@hashfleet/firmware-profiles';
import { frame } from '../src/firmware/whatsminer-v3.js';
import { loadScenario, startSimulation } from '../src/index.js';

const SIZES = (process.env.SIM_BENCH_SIZES ?? '1000,5000').split(',').map(Number);
const CONCURRENCY = 256;
const FIXED = Buffer.from(`${'{"STATUS":[{"STATUS":"S"}],"SUMMARY":[{"x":"'.padEnd(1500, 'y')}"}],"id":1}\0`);

type Job = { ip: string; port: number; payload: Buffer; framed: boolean };

function request(job: Job): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    let need = -1;
    const s = connect({ host: job.ip, port: job.port }, () => s.write(job.payload));
    s.setTimeout(20_000, () => {
      s.destroy();
      reject(new Error(`miner ${job.ip}: timeout`));
    });
    s.on('data', (c) => {
      bytes += c.length;
      if (job.framed) {
        if (need < 0 && bytes >= 4) need = 4 + c.readUInt32LE(0);
        if (need >= 0 && bytes >= need) {
          s.destroy();
          resolve(bytes);
        }
      }
    });
    s.on('end', () => resolve(bytes));
    s.on('error', reject);
  });
}

async function pollAll(jobs: Job[]): Promise<{ ms: number; replies: number; bytes: number; errors: number }> {
  let next = 0;
  let replies = 0;
  let bytes = 0;
  let errors = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      try {
        const got = await request(job);
        bytes += got;
        replies++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { ms: performance.now() - started, replies, bytes, errors };
}

function jobsFor(ip: string, steps: PollStep[]): Job[] {
  const out: Job[] = [];
  for (const { request: r } of steps) {
    if (r.transport === 'rpc') {
      const body: Record<string, unknown> = { [r.key ?? 'command']: r.command };
      if (r.parameter !== undefined) body.parameter = r.parameter;
      out.push({ ip, port: r.port, payload: Buffer.from(JSON.stringify(body)), framed: false });
    } else if (r.transport === 'wm-v3') {
      out.push({
        ip,
        port: r.port,
        payload: frame(JSON.stringify({ cmd: r.cmd, param: r.param })),
        framed: true,
      });
    }
  }
  return out;
}

/** N bare servers, one per address, answering a fixed string and closing. */
async function baseline(ips: string[], port: number): Promise<{ bindMs: number; stop: () => Promise<void> }> {
  const t0 = performance.now();
  const servers: Server[] = [];
  for (let i = 0; i < ips.length; i += 256) {
    await Promise.all(
      ips.slice(i, i + 256).map(
        (ip) =>
          new Promise<void>((resolve, reject) => {
            const s = createServer((sock) => {
              sock.once('data', () => sock.end(FIXED));
              sock.on('error', () => sock.destroy());
            });
            servers.push(s);
            s.once('error', reject);
            s.listen({ host: ip, port }, () => resolve());
          }),
      ),
    );
  }
  const bindMs = performance.now() - t0;
  const stop = () =>
    Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => {});
  return { bindMs, stop };
}

const mb = (n: number) => `${(n / 1048576).toFixed(0)} MB`;
const rate = (n: number, ms: number) => `${Math.round((n / ms) * 1000).toLocaleString('en-US')}/s`;

/** Baseline: the same number of requests to bare fixed-string servers on a /16 of their own. */
async function baselineCycle(ips: string[], requests: number) {
  const base = await baseline(ips, 4028);
  const poll = await pollAll(
    Array.from({ length: requests }, (_, i) => ({
      ip: ips[i % ips.length]!,
      port: 4028,
      payload: Buffer.from('{"command":"summary"}'),
      framed: false,
    })),
  );
  await base.stop();
  return { bindMs: base.bindMs, poll };
}

for (const n of SIZES) {
  const scenario = loadScenario('bench', { miners: n });
  scenario.addressing = 'free-block';
  const ips = scenario.miners.map((m) => m.ip.replace(/^127\.\d+\./, '127.19.'));
  const perMiner = scenario.miners.map((m) => jobsFor(m.ip, getProfile(m.profile)!.poll).length);
  const requests = perMiner.reduce((a, b) => a + b, 0);
  // The machine is shared: measure the baseline before and after the simulator, report both.
  const before = await baselineCycle(ips, requests);
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const sim = await startSimulation(scenario, { clock: 'real' });
  const bindMs = performance.now() - t0;
  const rssSim = process.memoryUsage().rss;
  const jobs = sim.miners.flatMap((m) => jobsFor(m.ip, getProfile(m.profile)!.poll));
  const cycle = await pollAll(jobs);
  const second = await pollAll(jobs);
  const rssPoll = process.memoryUsage().rss;
  await sim.stop();
  const after = await baselineCycle(ips, requests);
  const baseMs = (before.poll.ms + after.poll.ms) / 2;
  console.log(
    [
      `miners ${n.toLocaleString('en-US')} (8 firmwares), one process`,
      `  bind: ${Math.round(bindMs)} ms (bare servers ${Math.round(before.bindMs)} ms); RSS ${mb(rss0)} -> ${mb(rssSim)} after start, ${mb(rssPoll)} after 2 cycles`,
      `  full poll cycle (${jobs.length.toLocaleString('en-US')} requests, each firmware's own poll steps, concurrency ${CONCURRENCY}):`,
      `    first ${Math.round(cycle.ms)} ms = ${rate(cycle.replies, cycle.ms)} replies, ${mb(cycle.bytes)} received, ${cycle.errors} errors`,
      `    second ${Math.round(second.ms)} ms = ${rate(second.replies, second.ms)} replies, ${second.errors} errors`,
      `  baseline fixed-string servers, same requests: before ${Math.round(before.poll.ms)} ms (${rate(before.poll.replies, before.poll.ms)}), after ${Math.round(after.poll.ms)} ms (${rate(after.poll.replies, after.poll.ms)})`,
      `  simulator cycle / baseline cycle: ${(second.ms / baseMs).toFixed(2)}x`,
    ].join('\n'),
  );
}
