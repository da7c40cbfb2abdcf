import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { describe } from 'vitest';

/** A real Mosquitto running the shipped deploy/mosquitto files, for the deploy-* interop tests. */

export const MOSQUITTO = '/usr/sbin/mosquitto';
export const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';
export const deployDir = new URL('../../deploy/mosquitto/', import.meta.url);
export const missingMosquitto = [MOSQUITTO, MOSQUITTO_PASSWD].filter((bin) => !existsSync(bin));
/** In CI a missing binary is a failure (beforeAll throws), never a skip. */
export const describeWithMosquitto: typeof describe.skip =
  missingMosquitto.length > 0 && !process.env.CI ? describe.skip : describe;

export function requireMosquitto(): void {
  if (missingMosquitto.length > 0)
    throw new Error(`missing ${missingMosquitto.join(', ')} (install the mosquitto package)`);
}

/** Writes a password for `user` into `file` with deploy's add-user.sh and returns it. */
export function addUser(file: string, user: string): string {
  return execFileSync('sh', [fileURLToPath(new URL('add-user.sh', deployDir)), file, user])
    .toString()
    .trim();
}

/** A shipped config with the directives in `replace` rewritten and those in `drop` removed. */
export function rewrite(name: string, replace: Record<string, string>, drop: string[] = []): string {
  const lines = readFileSync(new URL(name, deployDir), 'utf8')
    .split('\n')
    .filter((line) => !drop.includes(line.trim().split(/\s+/)[0] ?? ''))
    .map((line) => {
      const [key] = line.trim().split(/\s+/);
      return key && key in replace ? `${key} ${replace[key]}` : line;
    });
  // Running as root, Mosquitto would switch to the "mosquitto" user and lose access to the temp dir.
  if (process.getuid?.() === 0) lines.push('user root');
  return lines.join('\n');
}

/**
 * The central broker's mosquitto.conf in `dir`, with only paths, port and log destination
 * replaced; conf.d (the TLS listener, which needs certificates) left empty. The password file and
 * acl are `dir/passwd` and `dir/acl`; the acl is the shipped one unless `acl` is given.
 */
export function centreBrokerIn(dir: string, port: number, acl?: string): Broker {
  mkdirSync(join(dir, 'conf.d'), { recursive: true });
  writeFileSync(join(dir, 'acl'), acl ?? readFileSync(new URL('acl', deployDir)));
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(
    config,
    rewrite('mosquitto.conf', {
      listener: `${port} 127.0.0.1`,
      password_file: join(dir, 'passwd'),
      acl_file: join(dir, 'acl'),
      persistence_location: `${dir}/`,
      include_dir: join(dir, 'conf.d'),
      log_dest: 'stderr',
    }),
  );
  return new Broker('centre', config, port);
}

export class Broker {
  process: ChildProcess | null = null;
  log = '';
  constructor(
    readonly name: string,
    readonly config: string,
    readonly port: number,
  ) {}

  async start(): Promise<void> {
    const broker = spawn(MOSQUITTO, ['-c', this.config], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = broker;
    broker.stderr?.on('data', (c: Buffer) => {
      this.log = (this.log + c.toString()).slice(-8000);
    });
    for (let attempt = 0; attempt < 100; attempt++) {
      if (broker.exitCode !== null)
        throw new Error(`${this.name} mosquitto exited ${broker.exitCode}: ${this.log}`);
      const open = await new Promise<boolean>((resolve) => {
        const socket = createConnection({ port: this.port, host: '127.0.0.1' });
        socket.once('connect', () => {
          socket.end();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (open) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${this.name} mosquitto 127.0.0.1:${this.port}: not listening after 5 s: ${this.log}`);
  }

  /** A clean stop: Mosquitto saves its persistence file (sessions and queues) on SIGTERM. */
  async stop(): Promise<void> {
    const broker = this.process;
    if (!broker || broker.exitCode !== null) return;
    const exited = new Promise((r) => broker.once('exit', r));
    broker.kill('SIGTERM');
    await exited;
  }
}

/** An MQTT 5 client logged in to the broker on 127.0.0.1:port, no reconnects (a refusal throws). */
export function connectMqtt(
  port: number,
  username: string,
  password: string,
  extra: IClientOptions = {},
): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    username,
    password,
    clientId: `${username}-${Math.random().toString(36).slice(2, 8)}`,
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...extra,
  });
}
