import { readFileSync } from 'node:fs';
import { type AgentTopicKind, topics } from '@hashfleet/contracts';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config.js';
import type { AgentMetrics } from '../metrics.js';
import type { EnvelopeFields, Envelopes } from './envelope.js';
import type { Spool } from './spool.js';

type Body = Record<string, unknown> & { kind: string };

export type PublisherDeps = {
  config: AgentConfig;
  spool: Spool;
  envelopes: Envelopes;
  logger: Logger;
  metrics: AgentMetrics;
  now: () => number;
  /** The birth body, built fresh on every connect (what the agent polls right now). */
  birth: () => Body;
  onCommand: (payload: Buffer) => void;
  /** The controller's signed local safety rule set (retained on the agent's `safety` topic). */
  onSafety?: (payload: Buffer) => void;
};

/**
 * MQTT session of the agent: fixed client id, retained online status plus a last will that marks
 * it offline, birth on every connect, QoS 1. Data goes through the spool: `send` writes the message
 * to disk and the drain publishes the oldest spooled messages, at most `maxInflight` unacknowledged,
 * deleting each on PUBACK. Messages spooled before the current connection are sent with
 * `historical: true`. Nothing is handed to MQTT.js while disconnected, so its in-memory queue
 * never grows.
 */
export class Publisher {
  readonly #d: PublisherDeps;
  #client: MqttClient | null = null;
  readonly #inflight = new Map<number, number>();
  /** Spool ids below this were written before the current connection: they are replays. */
  #liveFrom = Number.POSITIVE_INFINITY;
  #draining = false;
  #stopping = false;
  connects = 0;

  constructor(deps: PublisherDeps) {
    this.#d = deps;
  }

  get connected(): boolean {
    return this.#client?.connected ?? false;
  }

  #status(state: 'online' | 'offline', reason: 'connect' | 'shutdown' | 'lwt'): string {
    return JSON.stringify({ ...this.#d.envelopes.next(), kind: 'status', state, reason });
  }

  start(): void {
    const { config, logger } = this.#d;
    const agentId = config.agentId;
    const tls = config.mqtt.tls;
    const options: IClientOptions = {
      clientId: agentId,
      username: agentId,
      password: config.mqtt.token?.reveal(),
      clean: true,
      protocolVersion: 4,
      keepalive: config.mqtt.keepaliveS,
      reconnectPeriod: config.mqtt.reconnectMs,
      connectTimeout: 10_000,
      queueQoSZero: false,
      // A broker that refuses us (restarting, ACLs not loaded yet) is tried again, never given up on.
      reconnectOnConnackError: true,
      will: {
        topic: topics.status(agentId),
        payload: Buffer.from(this.#status('offline', 'lwt')),
        qos: 1,
        retain: true,
      },
      ...(tls
        ? {
            ca: tls.caFile ? readFileSync(tls.caFile) : undefined,
            cert: tls.certFile ? readFileSync(tls.certFile) : undefined,
            key: tls.keyFile ? readFileSync(tls.keyFile) : undefined,
            rejectUnauthorized: tls.verify === 'strict',
          }
        : {}),
    };
    const client = mqtt.connect(config.mqtt.url, options);
    this.#client = client;
    client.on('connect', () => this.#onConnect());
    client.on('reconnect', () => {
      // A will carries its own seq: a fresh one per connection, so the controller never dedupes it away.
      if (client.options.will) client.options.will.payload = Buffer.from(this.#status('offline', 'lwt'));
    });
    client.on('close', () => {
      if (this.connects > 0 && !this.#stopping)
        logger.warn({ broker: config.mqtt.url }, 'mqtt: disconnected');
    });
    client.on('error', (err) => logger.warn({ broker: config.mqtt.url, err: err.message }, 'mqtt: error'));
    client.on('message', (topic, payload) =>
      topic === topics.safety(agentId) ? this.#d.onSafety?.(payload) : this.#d.onCommand(payload),
    );
  }

  #onConnect(): void {
    const { config, logger, spool } = this.#d;
    const client = this.#client!;
    this.connects++;
    this.#liveFrom = spool.nextId;
    logger.info(
      { broker: config.mqtt.url, backlog: spool.messages, connects: this.connects },
      'mqtt: connected',
    );
    const agentId = config.agentId;
    client.publish(topics.status(agentId), this.#status('online', 'connect'), { qos: 1, retain: true });
    client.publish(
      topics.birth(agentId),
      JSON.stringify({ ...this.#d.envelopes.next(), ...this.#d.birth() }),
      {
        qos: 1,
      },
    );
    client.subscribe(topics.commands(agentId), { qos: 1 }, (err) => {
      if (err) logger.error({ err: err.message }, 'mqtt: cannot subscribe to commands');
    });
    client.subscribe(topics.safety(agentId), { qos: 1 }, (err, granted) => {
      if (err || granted?.[0]?.qos === 128)
        logger.error(
          { err: err?.message },
          `mqtt: cannot subscribe to ${topics.safety(agentId)} (broker ACL: the agent must read it)`,
        );
    });
    this.drain();
  }

  /** Spools a message (on disk before this returns) and starts publishing it when connected. */
  send(kind: AgentTopicKind, body: Body): EnvelopeFields {
    const envelope = this.#d.envelopes.next();
    this.#d.spool.append(topics[kind](this.#d.config.agentId), JSON.stringify({ ...envelope, ...body }));
    this.#d.metrics.spooled(this.#d.spool);
    this.drain();
    return envelope;
  }

  drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    try {
      const client = this.#client;
      const { spool, config, metrics, now } = this.#d;
      while (client?.connected && !this.#stopping && this.#inflight.size < config.mqtt.maxInflight) {
        const batch = spool.oldest(
          config.mqtt.maxInflight - this.#inflight.size,
          new Set(this.#inflight.keys()),
        );
        if (batch.length === 0) break;
        for (const entry of batch) {
          const historical = entry.id < this.#liveFrom;
          const payload = historical ? markHistorical(entry.payload) : entry.payload;
          const started = now();
          this.#inflight.set(entry.id, started);
          client.publish(entry.topic, payload, { qos: 1 }, (err) => {
            this.#inflight.delete(entry.id);
            if (err) return;
            spool.remove(entry.id);
            metrics.published(now() - started, historical);
            metrics.spooled(spool);
            this.drain();
          });
        }
      }
    } finally {
      this.#draining = false;
    }
  }

  /** Publishes a clean offline status and disconnects; unacknowledged messages stay spooled. */
  async stop(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.#stopping = true;
    if (client.connected) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2_000);
        client.publish(
          topics.status(this.#d.config.agentId),
          this.#status('offline', 'shutdown'),
          { qos: 1, retain: true },
          () => {
            clearTimeout(timer);
            resolve();
          },
        );
      });
    }
    // A graceful end sends DISCONNECT so the broker does not fire the will over the clean status;
    // it waits for in-flight acks, so it is bounded and falls back to a forced end.
    const graceful = client.connected;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => client.end(true, {}, () => resolve()), 2_000);
      client.end(!graceful, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.#client = null;
  }
}

function markHistorical(payload: string): string {
  const message = JSON.parse(payload) as Record<string, unknown>;
  message['historical'] = true;
  return JSON.stringify(message);
}
