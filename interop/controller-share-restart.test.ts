import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleSample, exampleTelemetry, type Telemetry, topics } from '@hashfleet/contracts';
import { buildApp } from '@hashfleet/controller/core/app';
import { loadControllerConfig } from '@hashfleet/controller/core/config';
import { connectLink, type MqttLink } from '@hashfleet/controller/core/mqtt/link';
import type { Outcome } from '@hashfleet/controller/fleet/ingest/ingest';
import { waitFor } from '@hashfleet/demo/wait';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { loadAgentConfig } from '../agent/src/config.js';
import { AgentMetrics } from '../agent/src/metrics.js';
import { Envelopes } from '../agent/src/publish/envelope.js';
import { Publisher } from '../agent/src/publish/publisher.js';
import { Spool } from '../agent/src/publish/spool.js';
import { memoryLogger } from '../agent/test/helpers.js';
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
 * Last, the agent's own publisher (spool, end-to-end acks) publishing while no replica is connected
 * right after the restart, which Mosquitto PUBACKs and drops: with `delivery: controllerAck` the
 * agent republishes and every message is applied once; with `brokerAck` those messages are lost.
 */

const AGENT = 'share-a1';
/** The agent of the end-to-end ack cases: a real publisher with its own spool. */
const E2E_AGENT = 'share-e1';
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
  /** The link's end-to-end ack hook: what this replica committed, it acks. */
  durable: ((agentId: string, bootId: string, seq: number) => void) | null;
};

const range = ([from, to]: readonly [number, number]) =>
  Array.from({ length: to - from }, (_, i) => from + i);

describeWithMosquitto('controller replicas in one $share group across a Mosquitto restart', () => {
  let dir = '';
  let broker: Broker;
  let app: FastifyInstance;
  let controllerPassword = '';
  let agentPassword = '';
  let e2ePassword = '';
  const replicas: Replica[] = [];

  beforeAll(async () => {
    requireMosquitto();
    dir = mkdtempSync(join(tmpdir(), 'hashfleet-share-restart-'));
    controllerPassword = addUser(join(dir, 'passwd'), 'controller');
    agentPassword = addUser(join(dir, 'passwd'), AGENT);
    e2ePassword = addUser(join(dir, 'passwd'), E2E_AGENT);
    broker = centreBrokerIn(dir, await freePort());
    await broker.start();
    app = await buildApp(
      loadControllerConfig(
        // Its agents are not bound to containers (controller/test/agent-places.test.ts tests binding).
        { dataDir: join(dir, 'controller'), log: { level: 'warn' }, ingest: { unboundAgents: 'accept' } },
        {},
      ),
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
      now: Date.now,
      ingest: {
        async handle(topic, payload) {
          const outcome = await app.hashfleet.ingest.handle(topic, payload);
          const m = JSON.parse(Buffer.from(payload).toString()) as Telemetry;
          if (!topic.endsWith('/telemetry')) return outcome;
          r.got.push({ seq: m.seq, outcome });
          if (outcome === 'applied' || outcome === 'duplicate') r.durable?.(m.agentId, m.bootId, m.seq);
          return outcome;
        },
        onDurable(listener) {
          r.durable = listener;
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
    const r: Replica = { name, group, link: null, got: [], subscribed: 0, durable: null };
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
  /** The agent's real publisher (spool on disk, QoS 1, end-to-end acks as configured). */
  function agentPublisher(delivery: 'controllerAck' | 'brokerAck') {
    process.env['HASHFLEET_SHARE_E2E_TOKEN'] = e2ePassword;
    const config = loadAgentConfig({
      agentId: E2E_AGENT,
      siteId: 'sichuan',
      containerId: 'share-c1',
      miners: { ranges: ['10.0.4.17'] },
      spool: { dir: mkdtempSync(join(dir, `spool-${delivery}-`)), fsync: 'never' },
      mqtt: {
        url: `mqtt://127.0.0.1:${broker.port}`,
        token: { env: 'HASHFLEET_SHARE_E2E_TOKEN' },
        reconnectMs: 200,
        delivery,
        ackTimeoutMs: 2000,
      },
    });
    const metrics = new AgentMetrics();
    const spool = new Spool(config.spool.dir, config.spool, () => metrics.dropped('spool-full'));
    const envelopes = new Envelopes(E2E_AGENT, Date.now);
    const publisher = new Publisher({
      config,
      spool,
      envelopes,
      logger: memoryLogger().logger,
      metrics,
      now: Date.now,
      birth: () => ({ kind: 'birth' }),
      onCommand: () => {},
    });
    const { v: _v, agentId: _a, bootId: _b, seq: _s, sentAt: _t, historical: _h, ...body } = message('x', 0);
    return {
      publisher,
      spool,
      metrics,
      bootId: envelopes.bootId,
      send: () => publisher.send('telemetry', { ...body, agentId: E2E_AGENT }).seq,
    };
  }

  async function appliedOnce(bootId: string): Promise<number> {
    const seen = await app.hashfleet.db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM ingest_seen WHERE agent_id = ? AND boot_id = ? AND kind = 'telemetry'",
      [E2E_AGENT, bootId],
    );
    return Number(seen?.n);
  }

  /**
   * The loss the link cannot prevent: the only replica is away while Mosquitto restarts; the agent
   * reconnects first and publishes; the broker PUBACKs and drops (its restored `$share`
   * subscription takes nothing). Then the replica comes back. Returns the seqs sent after the
   * restart and the agent's rig.
   */
  async function publishWhileNoReplica(delivery: 'controllerAck' | 'brokerAck', group: string) {
    const e = replica(`e-${delivery}`, group);
    await start(e);
    const agent = agentPublisher(delivery);
    agent.publisher.start();
    try {
      const before = Array.from({ length: 10 }, () => agent.send());
      await waitFor('the first messages applied', async () => (await appliedOnce(agent.bootId)) === 10);
      await e.link?.close();
      e.link = null;
      const connects = agent.publisher.connects;
      await restartBroker();
      await waitFor('the agent reconnected', async () => agent.publisher.connects > connects);
      const published = agent.metrics.totals.published;
      const after = Array.from({ length: 40 }, () => agent.send());
      await waitFor(
        'the broker acknowledged them',
        async () => agent.metrics.totals.published >= published + 40,
      );
      await start(e);
      return { agent, e, seqs: [...before, ...after] };
    } catch (err) {
      await agent.publisher.stop();
      throw err;
    }
  }

  it('delivery controllerAck: messages an agent publishes while no replica is connected after the restart are republished and each applied exactly once', async () => {
    const { agent, e, seqs } = await publishWhileNoReplica('controllerAck', 'share-e2e-ack');
    try {
      await waitFor('every message acked by the controller', async () => agent.spool.messages === 0, {
        timeoutMs: 30_000,
      });
      expect(await appliedOnce(agent.bootId)).toBe(seqs.length);
      const applied = e.got.filter((g) => g.outcome === 'applied').map((g) => g.seq);
      expect(applied.sort((x, y) => x - y)).toEqual([...seqs].sort((x, y) => x - y));
      expect(agent.metrics.totals.republished).toBeGreaterThan(0);
    } finally {
      await agent.publisher.stop();
    }
  });

  it('delivery brokerAck (the old behaviour): the same messages are lost, acknowledged by the broker and gone from the spool', async () => {
    const { agent } = await publishWhileNoReplica('brokerAck', 'share-e2e-broker');
    try {
      // Well past the controllerAck case's timeout: nothing comes back on its own.
      await new Promise((resolve) => setTimeout(resolve, 5000));
      expect(agent.spool.messages).toBe(0);
      // Only the 10 sent before the restart were applied: all 40 published after it are lost.
      expect(await appliedOnce(agent.bootId)).toBe(10);
    } finally {
      await agent.publisher.stop();
    }
  });
});
