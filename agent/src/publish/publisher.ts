import { readFileSync } from 'node:fs';
import { type AgentTopicKind, decodeAcks, topics } from '@hashfleet/contracts';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config.js';
import type { AgentMetrics } from '../metrics.js';
import { AckTracker } from './acks.js';
import type { EnvelopeFields, Envelopes } from './envelope.js';
import type { Spool, SpoolEntry } from './spool.js';

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
 * to disk and the drain publishes spooled messages oldest first, at most `maxInflight` awaiting
 * PUBACK. With `delivery: controllerAck` a message leaves the spool only when the controller's
 * end-to-end ack names it (a broker can PUBACK and then lose it, docs/architecture.md §6.2); one the broker
 * PUBACKed but the controller has not acked within `ackTimeoutMs` is published again. With
 * `brokerAck` it leaves at PUBACK. Messages spooled before the current connection, and republished
 * ones, are sent with `historical: true`. Nothing is handed to MQTT.js while disconnected, so its
 * in-memory queue never grows.
 */
export class Publisher {
  readonly #d: PublisherDeps;
  #client: MqttClient | null = null;
  readonly #inflight = new Map<number, number>();
  /** Published and not yet acked by the controller (controllerAck only). */
  readonly #awaiting = new AckTracker();
  /** Next spool id to publish on this connection; earlier ones are out or queued in #retry. */
  #cursor = 0;
  /** Ids whose ack timed out (or whose publish failed), to publish again before newer ones; ascending. */
  #retry: number[] = [];
  #ackTimer: NodeJS.Timeout | null = null;
  /** Spool ids below this were written before the current connection: they are replays. */
  #liveFrom = Number.POSITIVE_INFINITY;
  #draining = false;
  #stopping = false;
  connects = 0;

  constructor(deps: PublisherDeps) {
    this.#d = deps;
  }

  get #endToEnd(): boolean {
    return this.#d.config.mqtt.delivery === 'controllerAck';
  }

  get connected(): boolean {
    return this.#client?.connected ?? false;
  }

  #status(state: 'online' | 'offline', reason: 'connect' | 'shutdown' | 'lwt'): string {
    return JSON.stringify({ ...this.#d.envelopes.session(), kind: 'status', state, reason });
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
      // mqtt-packet otherwise prebuilds a 2-byte Buffer for each of the 65,536 packet ids at the
      // first packet it writes: 6.5 MB of the agent's live heap (a heap snapshot of the agent at
      // 5,000 miners, issue 15) for a client that sends a few dozen packets per poll cycle.
      writeCache: false,
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
      // A will carries its own session seq: a fresh one per connection, so the controller never
      // dedupes it away, and none of the data seqs is spent on a will that never fires.
      if (client.options.will) client.options.will.payload = Buffer.from(this.#status('offline', 'lwt'));
    });
    client.on('close', () => {
      if (this.connects > 0 && !this.#stopping)
        logger.warn({ broker: config.mqtt.url }, 'mqtt: disconnected');
    });
    client.on('error', (err) => logger.warn({ broker: config.mqtt.url, err: err.message }, 'mqtt: error'));
    client.on('message', (topic, payload) => {
      if (topic === topics.acks(agentId)) this.#onAcks(payload);
      else if (topic === topics.safety(agentId)) this.#d.onSafety?.(payload);
      else this.#d.onCommand(payload);
    });
    if (this.#endToEnd) {
      const every = Math.min(1000, config.mqtt.ackTimeoutMs / 4);
      this.#ackTimer = setInterval(() => this.#expire(), every);
      this.#ackTimer.unref();
    }
  }

  #onAcks(payload: Buffer): void {
    const { config, spool, metrics, logger } = this.#d;
    const decoded = decodeAcks(payload, config.agentId);
    if (!decoded.ok) {
      metrics.ackRejected();
      logger.warn(`mqtt ${topics.acks(config.agentId)}: ignored: ${decoded.error}`);
      return;
    }
    const ids = this.#awaiting.ack(decoded.value);
    for (const id of ids) spool.remove(id);
    if (ids.length === 0) return;
    metrics.acked(ids.length);
    metrics.spooled(spool);
    this.#unackedMetrics();
  }

  /** Queues for republishing what the broker PUBACKed but the controller has not acked in time. */
  #expire(): void {
    const { config, metrics, logger, now } = this.#d;
    const ids = this.#awaiting.expired(now(), config.mqtt.ackTimeoutMs);
    this.#unackedMetrics();
    if (ids.length === 0) return;
    metrics.republished(ids.length);
    logger.warn(
      { messages: ids.length, ackTimeoutMs: config.mqtt.ackTimeoutMs },
      'mqtt: no controller ack in time, publishing again',
    );
    this.#retryLater(ids);
    this.drain();
  }

  #retryLater(ids: number[]): void {
    this.#retry = [...new Set([...this.#retry, ...ids])].sort((a, b) => a - b);
  }

  #unackedMetrics(): void {
    const u = this.#awaiting.unacked(this.#d.now());
    this.#d.metrics.unacked(u.count, u.oldestMs);
  }

  #onConnect(): void {
    const { config, logger, spool } = this.#d;
    const client = this.#client!;
    this.connects++;
    this.#liveFrom = spool.nextId;
    // A new connection replays the whole spool: what was out and unacked may have died with the
    // broker. The controller dedupes what it already has and acks it again.
    this.#cursor = 0;
    this.#retry = [];
    this.#awaiting.clear();
    logger.info(
      { broker: config.mqtt.url, backlog: spool.messages, connects: this.connects },
      'mqtt: connected',
    );
    const agentId = config.agentId;
    client.publish(topics.status(agentId), this.#status('online', 'connect'), { qos: 1, retain: true });
    client.publish(
      topics.birth(agentId),
      JSON.stringify({ ...this.#d.envelopes.session(), ...this.#d.birth() }),
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
    if (this.#endToEnd)
      client.subscribe(topics.acks(agentId), { qos: 1 }, (err, granted) => {
        if (err || granted?.[0]?.qos === 128)
          logger.error(
            { err: err?.message },
            `mqtt: cannot subscribe to ${topics.acks(agentId)} (broker ACL: the agent must read it; with mqtt.delivery controllerAck nothing leaves the spool without it)`,
          );
      });
    this.drain();
  }

  /** Spools a message (on disk before this returns) and starts publishing it when connected. */
  send(kind: AgentTopicKind, body: Body, origin?: string): EnvelopeFields {
    const envelope = this.#d.envelopes.next();
    this.#d.spool.append(
      topics[kind](this.#d.config.agentId),
      JSON.stringify({ ...envelope, ...body }),
      origin,
    );
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
        const next = this.#next();
        if (!next) break;
        const { entry, again } = next;
        const historical = again || entry.id < this.#liveFrom;
        const payload = historical ? markHistorical(entry.payload) : entry.payload;
        const started = now();
        this.#inflight.set(entry.id, started);
        const key = this.#endToEnd ? (JSON.parse(entry.payload) as { bootId: string; seq: number }) : null;
        if (key) this.#awaiting.sent(entry.id, key.bootId, key.seq);
        client.publish(entry.topic, payload, { qos: 1 }, (err) => {
          this.#inflight.delete(entry.id);
          if (err) {
            // Not out: publish it again (a reconnect replays the spool anyway).
            this.#awaiting.forget(entry.id);
            if (!this.#stopping) this.#retryLater([entry.id]);
            return;
          }
          metrics.published(now() - started, historical);
          if (key) {
            // A PUBACK from before a reconnect (which cleared the tracking) still starts the clock,
            // unless the controller's ack already came and the message is gone.
            if (!this.#awaiting.has(entry.id) && spool.has(entry.id))
              this.#awaiting.sent(entry.id, key.bootId, key.seq);
            this.#awaiting.pubacked(entry.id, now());
          } else spool.remove(entry.id);
          metrics.spooled(spool);
          this.drain();
        });
      }
    } finally {
      this.#draining = false;
    }
  }

  /** The next message to publish: a retry first (they are older), else the next in the spool. */
  #next(): { entry: SpoolEntry; again: boolean } | null {
    const { spool } = this.#d;
    const out = (id: number) => this.#inflight.has(id) || this.#awaiting.has(id);
    while (this.#retry.length > 0) {
      const id = this.#retry.shift()!;
      if (out(id)) continue;
      const entry = spool.get(id);
      if (entry) return { entry, again: true };
    }
    for (;;) {
      const entry = spool.firstFrom(this.#cursor);
      if (!entry) return null;
      this.#cursor = entry.id + 1;
      if (!out(entry.id)) return { entry, again: false };
    }
  }

  /** Resolves true once the spool is empty and the broker connected, false after `timeoutMs`. */
  async drained(timeoutMs = 10_000): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (this.connected && this.#d.spool.messages === 0) return true;
      this.drain();
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }

  /** Published messages waiting for the controller's ack (controllerAck), for status and tests. */
  get awaitingAck(): number {
    return this.#awaiting.size;
  }

  /** Publishes a clean offline status and disconnects; unacknowledged messages stay spooled. */
  async stop(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.#stopping = true;
    if (this.#ackTimer) clearInterval(this.#ackTimer);
    this.#ackTimer = null;
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
