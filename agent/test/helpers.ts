import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AgentTopicKind,
  type Command,
  type CommandAction,
  commandSigningBytes,
  decodeMessage,
  type MessageByKind,
  PROTOCOL_VERSION,
  parseAgentTopic,
  topics,
} from '@hashfleet/contracts';
import { loadScenario, type Simulation, startSimulation } from '@hashfleet/simulator';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { type RunningAgent, startAgent } from '../src/agent.js';
import { type AgentConfig, type AgentConfigInput, loadAgentConfig } from '../src/config.js';

/** An in-process MQTT broker (aedes) on a loopback port that can be killed and restarted on that port. */
export class TestBroker {
  #broker: Aedes | null = null;
  #server: Server | null = null;
  readonly #sockets = new Set<Socket>();
  port = 0;
  /** Client ids refused at CONNECT, to hold agents back until the consumer has subscribed. */
  readonly refused = new Set<string>();

  async start(): Promise<void> {
    const broker = await Aedes.createBroker({
      authenticate: (client, _u, _p, done) => done(null, !this.refused.has(client.id)),
    });
    const server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      broker.handle(socket);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.#broker = broker;
    this.#server = server;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Drops one client's connection without a goodbye (the broker then publishes its will). */
  dropClient(clientId: string): boolean {
    const clients = (this.#broker as unknown as { clients: Record<string, { conn: { destroy(): void } }> })
      .clients;
    const client = clients[clientId];
    client?.conn.destroy();
    return client !== undefined;
  }

  /** Kills it: every connection dropped without a goodbye, all broker state gone. */
  async kill(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => (this.#server ? this.#server.close(() => r()) : r()));
    await new Promise<void>((r) => (this.#broker ? this.#broker.close(() => r()) : r()));
    this.#server = null;
    this.#broker = null;
  }
}

type Received = { topic: string; kind: AgentTopicKind; raw: string };

/**
 * The consumer side: subscribes to every agent topic, validates every payload with the contract
 * schemas (invalid ones are collected, not thrown), and dedupes on (agentId, bootId, seq) as the
 * controller does. Like the controller, it acks every valid message it receives (new or duplicate)
 * on the agent's `acks` topic, unless `ack` is off (a controller without end-to-end acks).
 */
export class Consumer {
  readonly client: MqttClient;
  readonly received: Received[] = [];
  readonly invalid: string[] = [];
  readonly #seen = new Set<string>();
  readonly unique: { kind: AgentTopicKind; message: MessageByKind[AgentTopicKind] }[] = [];
  duplicates = 0;
  /** Whether it sends end-to-end acks; a test may switch it off to play a controller that never acks. */
  ack = true;

  private constructor(client: MqttClient) {
    this.client = client;
    client.on('message', (topic, payload) => this.#onMessage(topic, payload));
  }

  /** `clean: false` with a fixed clientId is a persistent session, as a controller keeps. */
  static async connect(url: string, opts: { clientId?: string; clean?: boolean } = {}): Promise<Consumer> {
    const client = mqtt.connect(url, {
      clientId: opts.clientId ?? `consumer-${Math.random().toString(16).slice(2)}`,
      clean: opts.clean ?? true,
      reconnectPeriod: 100,
    });
    const c = new Consumer(client);
    await c.subscribed();
    return c;
  }

  /** Resolves once connected and subscribed (again, after a broker restart). */
  async subscribed(): Promise<void> {
    if (!this.client.connected) await new Promise((r) => this.client.once('connect', r));
    await this.client.subscribeAsync('hashfleet/v1/agents/+/+', { qos: 1 });
  }

  #onMessage(topic: string, payload: Buffer): void {
    const parsed = parseAgentTopic(topic);
    if (!parsed || parsed.kind === 'commands') return;
    const raw = payload.toString('utf8');
    this.received.push({ topic, kind: parsed.kind, raw });
    const decoded = decodeMessage(parsed.kind, raw, parsed.agentId);
    if (!decoded.ok) {
      this.invalid.push(`${topic}: ${decoded.error}`);
      return;
    }
    const m = decoded.value as { agentId: string; bootId: string; seq: number };
    if (this.ack) {
      const acks = {
        v: PROTOCOL_VERSION,
        kind: 'acks',
        agentId: m.agentId,
        sentAt: Date.now(),
        boots: [{ bootId: m.bootId, ranges: [[m.seq, m.seq]] }],
      };
      this.client.publish(topics.acks(m.agentId), JSON.stringify(acks), { qos: 1 });
    }
    const key = `${m.agentId}/${m.bootId}/${m.seq}`;
    if (this.#seen.has(key)) {
      this.duplicates++;
      return;
    }
    this.#seen.add(key);
    this.unique.push({ kind: parsed.kind, message: decoded.value });
  }

  of<K extends AgentTopicKind>(kind: K): MessageByKind[K][] {
    return this.unique.filter((u) => u.kind === kind).map((u) => u.message as MessageByKind[K]);
  }

  async waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > until) throw new Error('consumer: timed out waiting');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async end(): Promise<void> {
    await this.client.endAsync(true);
  }
}

/** Signs commands as the controller does (Ed25519 over commandSigningBytes). */
export class Signer {
  readonly #keys = generateKeyPairSync('ed25519');
  readonly publicKeyBase64 = this.#keys.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  #seq = 0;

  command(
    agentId: string,
    action: CommandAction,
    opts: { now?: number; ttlMs?: number; seq?: number } = {},
  ): Command {
    const issuedAt = opts.now ?? Date.now();
    const unsigned = {
      v: 1 as const,
      kind: 'command' as const,
      id: crypto.randomUUID(),
      agentId,
      issuer: 'user:test',
      issuedAt,
      expiresAt: issuedAt + (opts.ttlMs ?? 60_000),
      seq: opts.seq ?? ++this.#seq,
      action,
    };
    const sig = sign(null, commandSigningBytes(unsigned), this.#keys.privateKey).toString('base64');
    return { ...unsigned, signature: { alg: 'ed25519', keyId: 'test', sig } };
  }
}

export async function publishCommand(
  client: MqttClient,
  command: Command | Record<string, unknown>,
): Promise<void> {
  await client.publishAsync(topics.commands(String(command['agentId'])), JSON.stringify(command), { qos: 1 });
}

/**
 * Starts an agent on the simulation's manual clock, lets it find the miners and poll once, and
 * waits until the consumer has a telemetry message with `samples` miners in it.
 */
export async function startPolledAgent(
  sim: Simulation,
  config: AgentConfig,
  consumer: Consumer,
  samples: number,
): Promise<RunningAgent> {
  const agent = await startAgent(config, {
    schedule: 'manual',
    now: () => sim.clock.now(),
    logger: memoryLogger().logger,
  });
  await agent.scanNow();
  await sim.tick(30_000);
  await agent.pollNow();
  await agent.drained();
  await consumer.waitFor(() => consumer.of('telemetry').some((t) => t.samples.length === samples));
  return agent;
}

/** Agent config for a simulation: its miners' addresses, its PDUs, short deadlines, no fsync. */
export function simAgentConfig(
  sim: Simulation,
  brokerUrl: string,
  extra: Partial<AgentConfigInput> = {},
): AgentConfig {
  process.env['TEST_SNMP_COMMUNITY'] = sim.pdus[0]?.community ?? 'public';
  process.env['TEST_SNMP_WRITE'] = sim.pdus[0]?.writeCommunity ?? 'private';
  const first = sim.miners[0]!;
  const wm = sim.miners.find((m) => m.ports.wmV3);
  const [a, b] = first.ip.split('.');
  return loadAgentConfig({
    agentId: 'lab-c1',
    siteId: 'lab',
    containerId: 'c1',
    miners: {
      ranges: [`${a}.${b}.0.0/22`],
      ports: { rpc: first.ports.rpc, wmV3: wm?.ports.wmV3 ?? 4433 },
      slots: sim.miners.map((m) => ({ ip: m.ip, rack: m.rack, slot: m.slot })),
    },
    pdus: sim.pdus.map((p) => ({
      id: p.id,
      vendor: p.vendor,
      host: p.host,
      port: p.port,
      timeoutMs: 1000,
      snmp: {
        version: '2c',
        community: { env: 'TEST_SNMP_COMMUNITY' },
        writeCommunity: { env: 'TEST_SNMP_WRITE' },
      },
      outlets: Object.entries(p.outletMiner)
        .filter(([, id]) => id)
        .map(([outlet, id]) => ({
          outlet: Number(outlet),
          rack: sim.info(id!).rack,
          slot: sim.info(id!).slot,
        })),
    })),
    polling: { requestTimeoutMs: 2000, intervalMs: 30_000, concurrency: 64, backoffInitialMs: 30_000 },
    discovery: { timeoutMs: 3000, concurrency: 64 },
    spool: { dir: mkdtempSync(join(tmpdir(), 'agent-spool-')), fsync: 'never' },
    mqtt: { url: brokerUrl, reconnectMs: 100 },
    ...extra,
  } as Record<string, unknown>);
}

/** A logger that keeps lines in memory, so tests can check what was (and was not) logged. */
export function memoryLogger(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  return { logger, lines };
}

/**
 * A miner's SSH daemon for tests (ssh2's server): password login, and each exec'd command line is
 * handed to `run`, whose answer is the exit status, or `drop` to close without one (as `reboot`
 * does). Returns the OpenSSH public key line for known_hosts.
 */
export async function startMinerSsh(
  host: string,
  port: number,
  password: string,
  run: (command: string) => Promise<number | 'drop'>,
): Promise<{ knownHostsLine: string; close: () => Promise<void>; commands: string[] }> {
  const { Server, utils } = await import('ssh2');
  const keys = utils.generateKeyPairSync('ed25519');
  const commands: string[] = [];
  const server = new Server({ hostKeys: [keys.private] }, (client) => {
    client.on('error', () => {});
    client.on('authentication', (ctx) => {
      if (ctx.method === 'password' && ctx.password === password) ctx.accept();
      else ctx.reject(['password']);
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec, _reject, info) => {
          const stream = acceptExec();
          commands.push(info.command);
          run(info.command).then((status) => {
            if (status === 'drop') client.end();
            else {
              stream.exit(status);
              stream.end();
            }
          });
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, () => resolve()));
  return {
    knownHostsLine: `${host} ${keys.public.split(' ').slice(0, 2).join(' ')}`,
    close: () => new Promise((r) => server.close(() => r())),
    commands,
  };
}

/**
 * A real-clock fleet of `miners` simulated Antminers on free loopback addresses, a broker and a
 * consumer, for tests of the agent on its own timers; `stop()` ends all three.
 */
export async function realClockFleet(
  miners: number,
): Promise<{ sim: Simulation; broker: TestBroker; consumer: Consumer; stop: () => Promise<void> }> {
  const sim = await startSimulation(
    loadScenario('bench', { miners, profiles: ['antminer-stock'], freeBlock: true }),
    { clock: 'real', pdus: false },
  );
  const broker = new TestBroker();
  await broker.start();
  const consumer = await Consumer.connect(broker.url);
  const stop = async () => {
    await consumer.end();
    await broker.kill();
    await sim.stop();
  };
  return { sim, broker, consumer, stop };
}
