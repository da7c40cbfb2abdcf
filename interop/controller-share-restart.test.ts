import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleSample, exampleTelemetry, type Telemetry, topics } from '@hashfleet/contracts';
import { buildApp } from '@hashfleet/controller/app';
import { loadControllerConfig } from '@hashfleet/controller/config';
import type { Outcome } from '@hashfleet/controller/ingest/ingest';
import { connectLink, type MqttLink } from '@hashfleet/controller/mqtt/link';
import { waitFor } from '@hashfleet/demo/wait';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  addUser,
  type Broker,
  centreBrokerIn,
  connectMqtt,
  describeWithMosquitto,
  requireMosquitto,
} from './lib/mosquitto.js';
import { freePort } from './lib/net.js';

/**
 * Two controller broker links (the controller's own `connectLink`, two client ids, one `$share`
 * group) feed one real ingest (SQLite, the same dedupe as production) through a real Mosquitto
 * running the shipped mosquitto.conf with persistence in a temp dir. Replica A goes away and the
 * broker queues its share of the agent's messages in A's persistent session; then Mosquitto is
 * restarted (SIGTERM, saved, started again on the same port and file). Proves that after the
 * restart both replicas receive again, A gets what was queued for it, and every message is
 * applied exactly once; and, with both replicas connected through a restart, that nothing
 * published after it is lost (before the link's fix, all of it was). Links rather than whole controllers: the link is what talks to the
 * broker, and one ingest behind both shows group-wide exactly-once through `ingest_seen`.
 */

const AGENT = 'share-a1';
const PHASE = { before: [0, 20], queued: [20, 220], after: [220, 300] } as const;
const TOTAL = PHASE.after[1];

type Replica = {
  name: string;
  group: string;
  link: MqttLink | null;
  /** Each delivery: the message's seq and what ingest made of it. */
  got: { seq: number; outcome: Outcome }[];
  /** How many times the link reported its subscriptions in place. */
  subscribed: number;
};

const range = ([from, to]: readonly [number, number]) =>
  Array.from({ length: to - from }, (_, i) => from + i);

describeWithMosquitto('controller replicas in one $share group across a Mosquitto restart', () => {
  let dir = '';
  let broker: Broker;
  let app: FastifyInstance;
  let controllerPassword = '';
  let agentPassword = '';
  const replicas: Replica[] = [];

  beforeAll(async () => {
    requireMosquitto();
    dir = mkdtempSync(join(tmpdir(), 'hashfleet-share-restart-'));
    controllerPassword = addUser(join(dir, 'passwd'), 'controller');
    agentPassword = addUser(join(dir, 'passwd'), AGENT);
    broker = centreBrokerIn(dir, await freePort());
    await broker.start();
    app = await buildApp(
      loadControllerConfig({ dataDir: join(dir, 'controller'), log: { level: 'warn' } }, {}),
    );
  });

  // Each test's replicas leave: every group subscribes to the same agent topics and feeds the same
  // ingest, so a replica left running would take the next test's messages.
  afterEach(async () => {
    for (const r of replicas) await r.link?.close().catch(() => undefined);
    for (const r of replicas) r.link = null;
  });

  afterAll(async () => {
    await app?.close();
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function start(r: Replica): Promise<void> {
    const subscribedBefore = r.subscribed;
    r.link = await connectLink({
      url: `mqtt://127.0.0.1:${broker.port}`,
      username: 'controller',
      password: controllerPassword,
      clientId: `ctl-${r.name}`,
      protocolVersion: 5,
      sharedGroup: r.group,
      // A small window: most of what the broker queued for A is still queued, not in flight, when
      // A's link re-makes its subscriptions, so the test sees whether that drops the queue.
      receiveMaximum: 4,
      ingest: {
        async handle(topic, payload) {
          const outcome = await app.hashfleet.ingest.handle(topic, payload);
          r.got.push({ seq: (JSON.parse(Buffer.from(payload).toString()) as Telemetry).seq, outcome });
          return outcome;
        },
        stop() {},
      },
      log: app.log,
      onSubscribed: () => {
        r.subscribed++;
      },
    });
    await waitFor(`replica ${r.name} subscribed`, async () => r.subscribed > subscribedBefore);
  }

  const message = (bootId: string, seq: number): Telemetry => ({
    ...exampleTelemetry,
    agentId: AGENT,
    bootId,
    seq,
    sentAt: Date.now(),
    containerId: 'share-c1',
    samples: [{ ...exampleSample, minerKey: 'm0', serial: 'SHARE-0', mac: null, at: Date.now() }],
    unreachable: [],
    agent: null,
  });

  /** Publishes QoS 1 as the agent, each acknowledged by the broker (so it is in some session). */
  async function publish(bootId: string, seqs: number[]): Promise<void> {
    const agent = await connectMqtt(broker.port, AGENT, agentPassword, { clientId: AGENT });
    for (const seq of seqs)
      await agent.publishAsync(topics.telemetry(AGENT), JSON.stringify(message(bootId, seq)), { qos: 1 });
    await agent.endAsync();
  }

  /** SIGTERM (Mosquitto saves sessions, subscriptions and queues), then the same port and file. */
  async function restartBroker(): Promise<void> {
    await broker.stop();
    await broker.start();
  }

  const reconnected = (r: Replica, before: number) =>
    waitFor(`replica ${r.name} reconnected and subscribed`, async () => r.subscribed > before);

  /** Every seq in [0, total) applied exactly once across `group` (ingest's dedupe), or the missing ones. */
  async function expectExactlyOnce(group: Replica[], bootId: string, total: number): Promise<void> {
    const delivered = () => new Set(group.flatMap((r) => r.got.map((g) => g.seq)));
    const missing = () => range([0, total]).filter((s) => !delivered().has(s));
    const lost = await waitFor('every message delivered', async () => missing().length === 0, {
      timeoutMs: 20_000,
    }).then(
      () => [],
      () => missing(),
    );
    expect(lost, `never delivered; broker log: ${broker.log.slice(-2000)}`).toEqual([]);
    const applied = group.flatMap((r) => r.got.filter((g) => g.outcome === 'applied').map((g) => g.seq));
    expect(applied.sort((x, y) => x - y)).toEqual(range([0, total]));
    // A redelivery (QoS 1 allows one) is recognised as a duplicate, never applied twice.
    const others = group.flatMap((r) => r.got.filter((g) => g.outcome !== 'applied'));
    expect(others.every((g) => g.outcome === 'duplicate')).toBe(true);
    const seen = await app.hashfleet.db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM ingest_seen WHERE agent_id = ? AND boot_id = ? AND kind = 'telemetry'",
      [AGENT, bootId],
    );
    expect(Number(seen?.n)).toBe(total);
  }

  const seqsOf = (r: Replica, phase: readonly [number, number]) =>
    r.got.map((g) => g.seq).filter((seq) => seq >= phase[0] && seq < phase[1]);
  const replica = (name: string, group: string): Replica => {
    const r: Replica = { name, group, link: null, got: [], subscribed: 0 };
    replicas.push(r);
    return r;
  };

  it('keeps both replicas receiving after the restart, delivers what was queued for the absent one, and applies every message once', async () => {
    const boot = 'share-queued';
    const a = replica('a', 'share-queued');
    const b = replica('b', 'share-queued');
    await start(a);
    await start(b);

    // Both replicas up: the group splits the messages between them.
    await publish(boot, range(PHASE.before));
    await waitFor('the first messages delivered', async () => a.got.length + b.got.length >= PHASE.before[1]);
    expect(seqsOf(a, PHASE.before).length).toBeGreaterThan(0);
    expect(seqsOf(b, PHASE.before).length).toBeGreaterThan(0);

    // A goes away (clean disconnect, session kept): the broker queues A's turns in A's session.
    await a.link?.close();
    a.link = null;
    await publish(boot, range(PHASE.queued));

    // B stays connected through the restart; A comes back after it to a restored session.
    const bSubscribed = b.subscribed;
    await restartBroker();
    await reconnected(b, bSubscribed);
    await start(a);
    await publish(boot, range(PHASE.after));

    await expectExactlyOnce([a, b], boot, TOTAL);
    // Both replicas receive after the restart, and A got (some of) what was queued for it.
    expect(seqsOf(a, PHASE.after).length).toBeGreaterThan(0);
    expect(seqsOf(b, PHASE.after).length).toBeGreaterThan(0);
    expect(seqsOf(a, PHASE.queued).length).toBeGreaterThan(0);
  });

  it('loses nothing published after the restart when every replica stayed connected through it', async () => {
    const boot = 'share-connected';
    const c = replica('c', 'share-connected');
    const d = replica('d', 'share-connected');
    await start(c);
    await start(d);
    await publish(boot, range([0, 20]));
    await waitFor('the first messages delivered', async () => c.got.length + d.got.length >= 20);

    const before = [c.subscribed, d.subscribed] as const;
    await restartBroker();
    await reconnected(c, before[0]);
    await reconnected(d, before[1]);
    await publish(boot, range([20, 100]));

    await expectExactlyOnce([c, d], boot, 100);
    expect(seqsOf(c, [20, 100]).length).toBeGreaterThan(0);
    expect(seqsOf(d, [20, 100]).length).toBeGreaterThan(0);
  });
});
