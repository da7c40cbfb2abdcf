/**
 * Controller replicas of the scale rehearsal as production runs them: the compiled CLI
 * (`controller/dist/cli.mjs run`, tools/build.mjs) with the systemd unit's NODE_OPTIONS and a
 * config of its own per replica, PostgreSQL
 * and the broker's MQTT 5 shared subscription as in deploy/compose.yaml's HA pair. Their figures
 * come from where an operator reads them: `/metrics` (prom-client's default process metrics and
 * the controller's own, controller/src/core/metrics.ts) and /proc.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from '../../src/core/storage/db.js';
import { freePort } from '../../test/servers.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
export const CONTROLLER_CLI = join(root, 'controller/dist/cli.mjs');

/** Builds controller/dist/cli.mjs from the working tree (tools/build.mjs rewrites it only when it changed). */
export function buildController(): void {
  const r = spawnSync(process.execPath, [join(root, 'tools/build.mjs'), 'controller'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`tools/build.mjs controller: exited with ${r.status}`);
}

export type ReplicaSetup = { storageUrl: string; mqttUrl: string; password: string; dir: string };

/** The environment without HASHFLEET_* variables, so only the bench's config file speaks. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HASHFLEET_')));
}

/** The NODE_OPTIONS the systemd unit gives the controller (deploy/hashfleet-controller.service). */
export function unitNodeOptions(): string {
  const unit = readFileSync(join(root, 'deploy/hashfleet-controller.service'), 'utf8');
  return /^Environment=NODE_OPTIONS=(.*)$/m.exec(unit)?.[1] ?? '';
}

/** Writes a replica's config file (one per replica: data dir, HTTP port, MQTT client id). */
export function replicaConfig(s: ReplicaSetup, index: number, httpPort: number): string {
  const dataDir = join(s.dir, `replica-${index}`);
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'controller.json');
  const config = {
    dataDir,
    http: { host: '127.0.0.1', port: httpPort },
    storage: { url: s.storageUrl },
    mqtt: {
      url: s.mqttUrl,
      username: 'controller',
      password: s.password,
      clientId: `hashfleet-controller-${index}`,
      sharedGroup: 'hashfleet-controller',
      protocolVersion: 5,
    },
    log: { level: 'warn' },
  };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export const appName = (index: number) => `hashfleet-scale-replica-${index}`;

/**
 * Samples what each replica's PostgreSQL connections are doing, once a second: running a
 * statement, waiting on a lock, or holding a transaction open while the replica does something
 * else (idle in transaction). Says where a replica's time goes when it is neither busy nor fed.
 */
export function pgWaits(db: Db, replicas: number) {
  const tally = Array.from({ length: replicas }, () => ({ samples: 0, active: 0, lock: 0, idleInTx: 0 }));
  let running = true;
  const loop = (async () => {
    while (running) {
      const rows = await db.all<{ app: string; state: string | null; wait: string | null }>(
        `SELECT application_name AS app, state, wait_event_type AS wait FROM pg_stat_activity
          WHERE application_name LIKE 'hashfleet-scale-replica-%'`,
      );
      for (const [i, t] of tally.entries()) {
        const mine = rows.filter((r) => r.app === appName(i + 1));
        t.samples++;
        t.active += mine.filter((r) => r.state === 'active' && r.wait !== 'Lock').length;
        t.lock += mine.filter((r) => r.wait === 'Lock').length;
        t.idleInTx += mine.filter((r) => r.state === 'idle in transaction').length;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return {
    /** Per replica: mean connections running, waiting on a lock, idle in a transaction. */
    async stop() {
      running = false;
      await loop;
      return tally.map((t) => ({
        active: t.active / t.samples,
        lock: t.lock / t.samples,
        idleInTx: t.idleInTx / t.samples,
      }));
    },
  };
}

export type Replica = {
  index: number;
  url: string;
  proc: ChildProcess;
  log: string;
  stop(): Promise<void>;
};

export async function startReplica(s: ReplicaSetup, index: number): Promise<Replica> {
  const port = await freePort();
  const config = replicaConfig(s, index, port);
  const log = join(s.dir, `replica-${index}.log`);
  const out = openSync(log, 'a');
  // SCALE_CPU_PROF=dir: each replica writes a V8 CPU profile there when it exits (node --cpu-prof);
  // SCALE_NODE_FLAGS: more node flags for the replicas (--trace-gc, --max-semi-space-size=...).
  const prof = process.env['SCALE_CPU_PROF'];
  const flags = [
    ...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof, '--cpu-prof-name', `replica-${index}.cpuprofile`] : []),
    ...(process.env['SCALE_NODE_FLAGS']?.split(' ').filter(Boolean) ?? []),
  ];
  const proc = spawn(process.execPath, [...flags, CONTROLLER_CLI, '--config', config, 'run'], {
    // node-postgres names its connections from PGAPPNAME: pgWaits tells the replicas apart by it.
    env: { ...cleanEnv(), NODE_OPTIONS: unitNodeOptions(), PGAPPNAME: appName(index) },
    stdio: ['ignore', out, out],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (proc.exitCode !== null)
      throw new Error(
        `replica ${index} exited with ${proc.exitCode}: ${readFileSync(log, 'utf8').slice(-2000)}`,
      );
    const ready = await fetch(`${url}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`replica ${index} not ready after 180 s (log ${log})`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    index,
    url,
    proc,
    log,
    /** SIGTERM, and SIGKILL after 30 s: says so, as a replica that does not stop is a finding. */
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => {
        console.log(`replica ${index}: still running 30 s after SIGTERM; killed (log ${log})`);
        proc.kill('SIGKILL');
      }, 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** `name{labels}` -> value of a Prometheus text exposition. */
export async function scrape(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

/** Sum of every series of a metric, or of those whose labels hold each of `labels` (`job="alerts"`). */
export function metricSum(m: Map<string, number>, name: string, ...labels: string[]): number {
  let sum = 0;
  for (const [k, v] of m)
    if ((k === name || k.startsWith(`${name}{`)) && labels.every((l) => k.includes(l))) sum += v;
  return sum;
}

const CLK_TCK = 100;

/** A process's resident and peak resident memory (MB) and CPU seconds so far, from /proc. */
export function procStats(pid: number): { rssMb: number; peakRssMb: number; cpuS: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    // Fields after the command name (which may hold spaces) start at ") ": utime, stime are 14, 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      rssMb: kb('VmRSS') / 1024,
      peakRssMb: kb('VmHWM') / 1024,
      cpuS: (Number(f[11]) + Number(f[12])) / CLK_TCK,
    };
  } catch {
    return null;
  }
}
