import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { join } from 'node:path';

/** Real server binaries for the interop suite: started on free loopback ports, stopped by the test. */

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function waitForPort(host: string, port: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
      s.connect(port, host);
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${host}:${port}: nothing listening after ${timeoutMs} ms`);
}

export const MOSQUITTO = '/usr/sbin/mosquitto';

/**
 * Mosquitto with persistence in `dir`, so a consumer's persistent session (and the messages queued
 * for it) survive the broker being stopped and started again on the same port.
 */
export class Mosquitto {
  #child: ChildProcess | null = null;
  constructor(
    readonly dir: string,
    readonly port: number,
  ) {
    mkdirSync(dir, { recursive: true });
    // Started as root, Mosquitto drops to its own user: it must be able to write its database here.
    chmodSync(dir, 0o777);
    writeFileSync(
      join(dir, 'mosquitto.conf'),
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        'persistence true',
        `persistence_location ${dir}/`,
        'autosave_interval 1',
        'log_dest none',
      ].join('\n'),
    );
  }

  async start(): Promise<void> {
    if (!existsSync(MOSQUITTO)) throw new Error(`${MOSQUITTO} missing (apt-get install mosquitto)`);
    this.#child = spawn(MOSQUITTO, ['-c', join(this.dir, 'mosquitto.conf')], { stdio: 'ignore' });
    await waitForPort('127.0.0.1', this.port);
  }

  /** Stops it with `signal` and waits for the process to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
    this.#child = null;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }
}
