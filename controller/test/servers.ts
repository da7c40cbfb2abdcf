import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Real servers for the interop suite, each on a free loopback port, stopped by the test. */

export const MOSQUITTO = '/usr/sbin/mosquitto';
export const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';
export const VICTORIA = '/usr/bin/victoria-metrics';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitForPort(port: number, proc: ChildProcess, what: string, log: () => string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (proc.exitCode !== null) throw new Error(`${what} exited ${proc.exitCode}: ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} 127.0.0.1:${port}: not listening after 10 s: ${log()}`);
}

export type Mosquitto = { url: string; port: number; pid: number; stop(): Promise<void> };

/**
 * Mosquitto with the project's ACL (deploy/mosquitto/acl, the model the embedded broker copies)
 * and a password file of `users` (username -> password).
 */
export async function startMosquitto(dir: string, users: Record<string, string>): Promise<Mosquitto> {
  for (const bin of [MOSQUITTO, MOSQUITTO_PASSWD])
    if (!existsSync(bin)) throw new Error(`${bin} missing (install mosquitto)`);
  mkdirSync(dir, { recursive: true });
  const passwd = join(dir, 'passwd');
  writeFileSync(passwd, '');
  for (const [user, password] of Object.entries(users))
    execFileSync(MOSQUITTO_PASSWD, ['-b', passwd, user, password]);
  const acl = join(dir, 'acl');
  copyFileSync(fileURLToPath(new URL('../../deploy/mosquitto/acl', import.meta.url)), acl);
  const port = await freePort();
  const conf = [
    'per_listener_settings false',
    'allow_anonymous false',
    `password_file ${passwd}`,
    `acl_file ${acl}`,
    `listener ${port} 127.0.0.1`,
    'persistence false',
    'max_inflight_messages 100',
    'max_queued_messages 1000000',
    'log_dest stderr',
    'log_type error',
    ...(process.getuid?.() === 0 ? ['user root'] : []),
  ].join('\n');
  writeFileSync(join(dir, 'mosquitto.conf'), `${conf}\n`);
  let log = '';
  const proc = spawn(MOSQUITTO, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  });
  await waitForPort(port, proc, 'mosquitto', () => log);
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    pid: proc.pid!,
    async stop() {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

export type Victoria = { url: string; start(): Promise<void>; stop(): Promise<void> };

/** VictoriaMetrics (accepts InfluxDB v2 line-protocol writes at /api/v2/write); restartable on its port and data. */
export async function victoriaMetrics(dir: string): Promise<Victoria> {
  if (!existsSync(VICTORIA)) throw new Error(`${VICTORIA} missing (install victoria-metrics)`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let proc: ChildProcess | null = null;
  return {
    url,
    async start() {
      let log = '';
      proc = spawn(
        VICTORIA,
        [
          `-httpListenAddr=127.0.0.1:${port}`,
          `-storageDataPath=${join(dir, 'vm')}`,
          '-search.latencyOffset=0s',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      proc.stderr?.on('data', (d: Buffer) => {
        log = (log + d.toString()).slice(-4000);
      });
      await waitForPort(port, proc, 'victoria-metrics', () => log);
    },
    async stop() {
      const p = proc;
      if (!p || p.exitCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    },
  };
}

/** Every sample of series matching `match` as `metric{labels} -> [timestamp, value][]` (VictoriaMetrics export API). */
export async function exportSeries(
  vmUrl: string,
  match: string,
): Promise<{ metric: Record<string, string>; values: number[]; timestamps: number[] }[]> {
  await fetch(`${vmUrl}/internal/force_flush`).catch(() => undefined);
  const res = await fetch(`${vmUrl}/api/v1/export?match[]=${encodeURIComponent(match)}`);
  if (!res.ok) throw new Error(`victoria-metrics export ${match}: ${res.status} ${await res.text()}`);
  return (await res.text())
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}
