import { AGENT_TOPIC_KINDS, topics } from '@hashfleet/contracts';
import type { FastifyBaseLogger } from 'fastify';
import mqtt, { type MqttClient } from 'mqtt';
import type { Ingest } from '../../fleet/index.js';
import { AckQueue } from './acks.js';

export type MqttLink = {
  connected(): boolean;
  /** Publishes QoS 1 (retained when asked) and resolves once the broker acknowledged. */
  publish(topic: string, payload: string, opts?: { retain?: boolean }): Promise<void>;
  close(): Promise<void>;
};

export type LinkOptions = {
  url: string;
  username: string;
  password: string;
  clientId: string;
  /** MQTT 5 / 3.1.1. The embedded aedes broker speaks 3.1.1 only. */
  protocolVersion: 4 | 5;
  /** Shared-subscription group, or null to subscribe directly (embedded broker, one replica). */
  sharedGroup: string | null;
  /** Messages the broker may have in flight to us before it waits for acks (backpressure). */
  receiveMaximum?: number;
  /**
   * Messages handed to ingest at once, each PUBACKed only when its own handle resolved (after its
   * transaction committed), in the order received; at the bound the link stops reading. Default
   * `receiveMaximum` (64); 1 is one message at a time.
   */
  window?: number;
  ingest: Ingest;
  log: FastifyBaseLogger;
  onInflight?: (n: number) => void;
  /** Called once the subscriptions are in place after each (re)connect. */
  onSubscribed?: () => void;
  /** Batching of the end-to-end acks to agents; default every 1 s or 500 per agent. */
  acks?: { intervalMs: number; maxPending: number };
  /** The app's clock: stamps the acks' sentAt. */
  now: () => number;
};

/**
 * The controller's broker session: a persistent session (clean: false, fixed client id) with one
 * QoS 1 subscription per agent message kind, through a shared subscription on external brokers so
 * replicas split the load. Each message is acknowledged only after ingest applied it durably:
 * MQTT.js sends the PUBACK when `handleMessage` calls back, and handles the next message after
 * that, so a slow database slows acknowledgements instead of growing a buffer. The agent, though,
 * keeps a message until this replica's end-to-end ack on its `acks` topic says it is applied: a
 * broker can PUBACK a message and then lose it (Mosquitto 2.0.11 restarting with no subscriber).
 */
/**
 * MQTT.js takes the next packet only when `handleMessage` calls back, and calls back by sending the
 * PUBACK. To let ingest group many messages into one transaction (controller/src/fleet/ingest/batch.ts)
 * and still PUBACK none before it is durable, the link calls back at once with a marker error,
 * which makes MQTT.js go on to the next packet without a PUBACK (node_modules/mqtt
 * build/lib/handlers/publish.js), and sends each PUBACK itself when that message and every one
 * received before it are done: the order MQTT requires for QoS 1 acknowledgements. MQTT.js's own
 * PUBACK goes through the same `_sendPacket` (stored and sent after a reconnect, as before). With
 * `window` messages waiting, the call back waits too, so the link stops reading (backpressure).
 */
function receiveInOrder(
  client: MqttClient,
  o: LinkOptions,
  setInflight: (n: number) => void,
): MqttClient['handleMessage'] {
  const window = Math.max(1, o.window ?? o.receiveMaximum ?? 64);
  type Waiting = { messageId: number | undefined; done: boolean };
  const order: Waiting[] = [];
  let room: (() => void) | null = null;
  const sendPuback = (messageId: number) =>
    (
      client as unknown as {
        _sendPacket(p: { cmd: 'puback'; messageId: number; reasonCode: number }): void;
      }
    )._sendPacket({ cmd: 'puback', messageId, reasonCode: 0 });
  const settle = () => {
    while (order[0]?.done) {
      const head = order.shift()!;
      if (head.messageId !== undefined) sendPuback(head.messageId);
    }
    setInflight(order.length);
    if (order.length < window && room) {
      const go = room;
      room = null;
      go();
    }
  };
  return (packet, callback) => {
    // QoS 0 (not used by agents) has nothing to acknowledge; it is handled like the others.
    const waiting: Waiting = { messageId: packet.qos > 0 ? packet.messageId : undefined, done: false };
    order.push(waiting);
    setInflight(order.length);
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    o.ingest.handle(packet.topic, payload).then(
      () => {
        waiting.done = true;
        settle();
      },
      (err: Error) => {
        o.log.error({ err, topic: packet.topic }, `mqtt ${packet.topic}: ingest failed: ${err.message}`);
        waiting.done = true;
        settle();
      },
    );
    const next = () => callback(packet.qos > 0 ? ACK_LATER : undefined);
    if (order.length < window) next();
    else room = next;
  };
}

/** How long close() waits for a graceful end before it ends the connection at once. */
const CLOSE_WAIT_MS = 5_000;

/** Tells MQTT.js not to PUBACK: the link sends it after commit (receiveInOrder). */
const ACK_LATER = Object.assign(new Error('acknowledged after commit'), { ackLater: true });

export async function connectLink(o: LinkOptions): Promise<MqttLink> {
  const client: MqttClient = mqtt.connect(o.url, {
    clientId: o.clientId,
    username: o.username,
    password: o.password,
    clean: false,
    protocolVersion: o.protocolVersion,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    // The link subscribes itself on every connect (below). MQTT.js's own bookkeeping would make that
    // a no-op: it sends no SUBSCRIBE for a filter it believes is live, and believes so after any
    // reconnect that found the session present.
    resubscribe: false,
    ...(o.protocolVersion === 5
      ? { properties: { sessionExpiryInterval: 7 * 24 * 3600, receiveMaximum: o.receiveMaximum ?? 64 } }
      : {}),
  });
  client.handleMessage = receiveInOrder(client, o, (n) => o.onInflight?.(n));
  const filters = AGENT_TOPIC_KINDS.map((kind) =>
    o.sharedGroup ? topics.shared(o.sharedGroup, kind) : topics.allOf(kind),
  );
  let loggedDown = false;
  client.on('connect', () => {
    if (loggedDown) o.log.info(`mqtt ${o.url}: connected again`);
    loggedDown = false;
    // A SUBSCRIBE on every connect, even when the broker kept the session. Mosquitto 2.0.11
    // restores a persistent session's $share subscriptions after its own restart but never
    // delivers to them (a replica connected through the restart gets nothing; with every replica
    // so, each message published after it is lost). A fresh SUBSCRIBE of the same filter makes
    // them live again and keeps the session's queued messages: interop/controller-share-restart.test.ts.
    // UNSUBSCRIBE first also keeps the queue on 2.0.11 (tried with that test), but would leave a
    // moment with no subscriber in which the broker drops what the agents publish; SUBSCRIBE
    // replaces the subscription in place.
    client.subscribe(Object.fromEntries(filters.map((f) => [f, { qos: 1 as const }])), (err, granted) => {
      if (err) o.log.error({ err }, `mqtt ${o.url}: subscribe failed: ${err.message}`);
      const refused = (granted ?? []).filter((g) => g.qos === 128);
      if (refused.length)
        o.log.error({ refused: refused.map((g) => g.topic) }, `mqtt ${o.url}: subscriptions refused`);
      if (!err) o.onSubscribed?.();
    });
  });
  client.on('error', (err) => {
    if (!loggedDown) o.log.error({ err: err.message }, `mqtt ${o.url}: ${err.message}`);
    loggedDown = true;
  });
  client.on('offline', () => {
    if (!loggedDown) o.log.warn(`mqtt ${o.url}: offline, reconnecting`);
    loggedDown = true;
  });
  const acks = new AckQueue(
    (topic, payload) => client.publishAsync(topic, payload, { qos: 1, retain: false }).then(() => {}),
    o.now,
    o.acks,
    (agentId, err) =>
      o.log.warn({ agentId, err: err.message }, `mqtt ${topics.acks(agentId)}: ${err.message}`),
  );
  o.ingest.onDurable?.((agentId, bootId, seq) => acks.add(agentId, bootId, seq));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.end(true);
      acks.stop();
      reject(new Error(`mqtt ${o.url}: no connection within 10 s`));
    }, 10_000);
    client.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    client.once('error', (err) => {
      const code = (err as { code?: number }).code;
      if (code === 4 || code === 5 || code === 134 || code === 135) {
        clearTimeout(timer);
        client.end(true);
        acks.stop();
        reject(new Error(`mqtt ${o.url}: user ${o.username}: not authorized (${err.message})`));
      }
    });
  });
  return {
    connected: () => client.connected,
    async publish(topic, payload, opts) {
      await client.publishAsync(topic, payload, { qos: 1, retain: opts?.retain ?? false });
    },
    async close() {
      o.ingest.onDurable?.(null);
      acks.flush();
      acks.stop();
      // A graceful end sends what is queued (PUBACKs of applied messages, acks) and waits for the
      // broker to take it, with no limit in MQTT.js: for ever when the broker does not answer (a
      // replica stuck there past its stop timeout in the scale rehearsal). After CLOSE_WAIT_MS the
      // connection is dropped: a message not PUBACKed is delivered again, an ack not delivered
      // leaves its message with the agent, which sends it again (duplicates, recognised).
      let timer: NodeJS.Timeout | undefined;
      const graceful = await Promise.race([
        client.endAsync().then(
          () => true,
          () => true,
        ),
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), CLOSE_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
      if (!graceful) {
        o.log.warn(
          `mqtt ${o.url}: the broker did not take the last packets within ${CLOSE_WAIT_MS / 1000} s; connection dropped`,
        );
        client.stream?.destroy();
      }
    },
  };
}
