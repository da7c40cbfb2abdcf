import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_TOPIC_KINDS, topics } from '@hashfleet/contracts';
import { type BrokerUser, canPublish } from '@hashfleet/controller/core/broker/acl';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  addUser,
  type Broker,
  centreBrokerIn,
  connectMqtt,
  deployDir,
  describeWithMosquitto,
  requireMosquitto,
} from './lib/mosquitto.js';
import { freePort } from './lib/net.js';

/**
 * Runs the real deploy/mosquitto/mosquitto.conf and acl under /usr/sbin/mosquitto and proves the
 * least-privilege model of docs/architecture.md §6.6 with MQTT.js clients; then runs the same probe against
 * deliberately loosened copies of the acl and shows it reports each leak (the test has teeth).
 */

type User = 'controller' | 'ctr-a' | 'ctr-b';
const USERS: User[] = ['controller', 'ctr-a', 'ctr-b'];

/** A broker running the shipped config with `acl`, and a fresh password per user (add-user.sh). */
async function startBroker(acl?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'hashfleet-mosquitto-'));
  const port = await freePort();
  const passwords = Object.fromEntries(USERS.map((u) => [u, addUser(join(dir, 'passwd'), u)])) as Record<
    User,
    string
  >;
  const broker: Broker = centreBrokerIn(dir, port, acl);
  await broker.start();
  const clients: MqttClient[] = [];
  return {
    port,
    passwords,
    async connect(username: string, password: string, extra: IClientOptions = {}): Promise<MqttClient> {
      const client = await connectMqtt(port, username, password, extra);
      clients.push(client);
      return client;
    },
    as(user: User, extra: IClientOptions = {}): Promise<MqttClient> {
      return this.connect(user, passwords[user], extra);
    },
    async stop() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
type Running = Awaited<ReturnType<typeof startBroker>>;

/** Collects messages and resolves waiters when a matching one arrives. */
function inbox(client: MqttClient) {
  const received: { topic: string; payload: string; retain: boolean }[] = [];
  const waiters: { match: (topic: string, payload: string) => boolean; resolve: (ok: boolean) => void }[] =
    [];
  client.on('message', (topic, payload, packet) => {
    received.push({ topic, payload: payload.toString(), retain: packet.retain });
    for (const w of waiters.filter((w) => w.match(topic, payload.toString()))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(true);
    }
  });
  return {
    received,
    next: (topic: string) =>
      received.some((m) => m.topic === topic)
        ? Promise.resolve()
        : new Promise<void>((resolve) =>
            waiters.push({ match: (t) => t === topic, resolve: () => resolve() }),
          ),
    /** Whether `payload` arrives on `topic` within `ms` (false: it did not). */
    arrives: (topic: string, payload: string, ms = 3000) =>
      received.some((m) => m.topic === topic && m.payload === payload)
        ? Promise.resolve(true)
        : new Promise<boolean>((resolve) => {
            const w = { match: (t: string, p: string) => t === topic && p === payload, resolve };
            waiters.push(w);
            setTimeout(() => {
              if (waiters.includes(w)) waiters.splice(waiters.indexOf(w), 1);
              resolve(false);
            }, ms);
          }),
    got: (topic: string, payload: string) => received.some((m) => m.topic === topic && m.payload === payload),
  };
}

/**
 * Every way the least-privilege model can break, tried with real clients; returns the broken ones.
 * Agent ctr-a tries to act as ctr-b, read ctr-b's commands and telemetry (directly, by wildcard
 * and through a $share group), read ctr-b's acks and publish commands, safety rules or acks; the controller must still read telemetry and
 * command agents, and ctr-a its own. Leaks are detected by what arrives: Mosquitto 2 grants a
 * denied SUBSCRIBE and drops a denied PUBLISH silently, so the proof is delivery. Ordering makes
 * it exact: Mosquitto routes a publish to subscribers before acknowledging it, and delivers to one
 * subscriber in order, so once a later message is in, a leaked earlier one would be too.
 */
async function probe(b: Running): Promise<string[]> {
  const found: string[] = [];
  const controller = await b.as('controller');
  const ctl = inbox(controller);
  await controller.subscribeAsync('hashfleet/v1/agents/#', { qos: 1 });
  const a = await b.as('ctr-a');
  const boxA = inbox(a);
  await a
    .subscribeAsync(
      [
        topics.commands('ctr-a'),
        topics.safety('ctr-a'),
        topics.commands('ctr-b'),
        topics.safety('ctr-b'),
        topics.acks('ctr-a'),
        topics.acks('ctr-b'),
        topics.telemetry('ctr-b'),
        topics.allOf('telemetry'),
        `$share/x/${topics.allOf('telemetry')}`,
      ],
      { qos: 1 },
    )
    .catch(() => undefined);
  const agentB = await b.as('ctr-b');
  const boxB = inbox(agentB);
  await agentB.subscribeAsync([topics.commands('ctr-b'), topics.acks('ctr-b')], { qos: 1 });

  const forged = [
    topics.telemetry('ctr-b'),
    topics.status('ctr-b'),
    topics.commands('ctr-b'),
    topics.commands('ctr-a'),
    topics.safety('ctr-b'),
    topics.safety('ctr-a'),
    topics.acks('ctr-b'),
    topics.acks('ctr-a'),
  ];
  for (const topic of forged)
    await a.publishAsync(topic, 'forged by ctr-a', { qos: 1 }).catch(() => undefined);
  await a.publishAsync(topics.events('ctr-a'), 'sentinel', { qos: 1 }).catch(() => undefined);
  if (!(await ctl.arrives(topics.events('ctr-a'), 'sentinel')))
    found.push('an agent cannot publish its own events');
  if (forged.slice(0, 2).some((t) => ctl.got(t, 'forged by ctr-a')))
    found.push("an agent publishes under another agent's topics");
  if (forged.slice(2).some((t) => ctl.got(t, 'forged by ctr-a') || boxB.got(t, 'forged by ctr-a')))
    found.push('an agent publishes commands, safety rules or acks');

  await agentB.publishAsync(topics.telemetry('ctr-b'), 'b telemetry', { qos: 1 });
  await controller.publishAsync(topics.commands('ctr-b'), 'for b', { qos: 1 }).catch(() => undefined);
  await controller.publishAsync(topics.commands('ctr-a'), 'for a', { qos: 1 }).catch(() => undefined);
  await controller.publishAsync(topics.acks('ctr-b'), 'acks for b', { qos: 1 }).catch(() => undefined);
  await controller.publishAsync(topics.acks('ctr-a'), 'acks for a', { qos: 1 }).catch(() => undefined);
  if (!(await boxA.arrives(topics.acks('ctr-a'), 'acks for a')))
    found.push('an agent cannot read its own acks');
  if (!(await boxB.arrives(topics.acks('ctr-b'), 'acks for b')))
    found.push('the controller cannot ack an agent');
  if (!(await boxA.arrives(topics.commands('ctr-a'), 'for a')))
    found.push('an agent cannot read its own commands');
  if (!(await boxB.arrives(topics.commands('ctr-b'), 'for b')))
    found.push('the controller cannot command an agent');
  if (!(await ctl.arrives(topics.telemetry('ctr-b'), 'b telemetry')))
    found.push("the controller cannot read an agent's telemetry");
  if (
    boxA.got(topics.commands('ctr-b'), 'for b') ||
    boxA.got(topics.safety('ctr-b'), 'rules for b') ||
    boxA.got(topics.acks('ctr-b'), 'acks for b')
  )
    found.push("an agent reads another agent's commands, safety rules or acks");
  if (boxA.received.some((m) => m.payload === 'b telemetry'))
    found.push("an agent reads another agent's telemetry");
  return found;
}

describeWithMosquitto('deploy/mosquitto: ACL model against a real Mosquitto', () => {
  let b: Running;
  let port = 0;
  let users: Record<User, string>;
  const connect = (username: string, password: string, extra: IClientOptions = {}) =>
    b.connect(username, password, extra);

  beforeAll(async () => {
    requireMosquitto();
    b = await startBroker();
    port = b.port;
    users = b.passwords;
  });
  afterAll(async () => {
    await b?.stop();
  });

  it("an agent cannot publish as another agent, read another's commands, safety rules or telemetry, or publish commands, safety rules or acks; the controller can read and command", async () => {
    expect(await probe(b)).toEqual([]);
  });

  it('an agent publishes its own telemetry and the controller receives it', async () => {
    const controller = await connect('controller', users.controller);
    const box = inbox(controller);
    await controller.subscribeAsync(topics.allOf('telemetry'), { qos: 1 });
    const agent = await connect('ctr-a', users['ctr-a']);
    await agent.publishAsync(topics.telemetry('ctr-a'), '{"seq":1}', { qos: 1 });
    await box.next(topics.telemetry('ctr-a'));
    expect(box.received).toEqual([{ topic: topics.telemetry('ctr-a'), payload: '{"seq":1}', retain: false }]);
  });

  it('refuses an unknown user, a wrong password and an anonymous client', async () => {
    await expect(connect('ctr-z', 'whatever')).rejects.toThrow(/not authorized|bad user name or password/i);
    await expect(connect('ctr-a', 'wrong')).rejects.toThrow(/not authorized|bad user name or password/i);
    await expect(
      mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 5, reconnectPeriod: 0 }),
    ).rejects.toThrow(/not authorized|bad user name or password/i);
  });

  it('the retained status is kept and the last will marks a vanished agent offline', async () => {
    const statusTopic = topics.status('ctr-b');
    const agent = await connect('ctr-b', users['ctr-b'], {
      clientId: 'ctr-b',
      will: { topic: statusTopic, payload: Buffer.from('offline lwt'), qos: 1, retain: true },
    });
    await agent.publishAsync(statusTopic, 'online connect', { qos: 1, retain: true });

    const late = await connect('controller', users.controller);
    const lateBox = inbox(late);
    await late.subscribeAsync(statusTopic, { qos: 1 });
    await lateBox.next(statusTopic);
    expect(lateBox.received).toEqual([{ topic: statusTopic, payload: 'online connect', retain: true }]);

    // A network cut, not a clean DISCONNECT: the broker must publish the will.
    const willSeen = new Promise<string>((resolve) =>
      late.on('message', (topic, payload) => {
        if (topic === statusTopic && payload.toString() === 'offline lwt') resolve(payload.toString());
      }),
    );
    agent.stream.destroy();
    await willSeen;

    const after = await connect('controller', users.controller);
    const afterBox = inbox(after);
    await after.subscribeAsync(statusTopic, { qos: 1 });
    await afterBox.next(statusTopic);
    expect(afterBox.received).toEqual([{ topic: statusTopic, payload: 'offline lwt', retain: true }]);
  });

  it('controller replicas in one $share group each get a message once between them', async () => {
    const replicas = [
      await connect('controller', users.controller),
      await connect('controller', users.controller),
    ];
    const boxes = replicas.map(inbox);
    for (const r of replicas) await r.subscribeAsync(topics.shared('ingest', 'power'), { qos: 1 });
    const agent = await connect('ctr-a', users['ctr-a']);
    const count = 20;
    for (let i = 0; i < count; i++) await agent.publishAsync(topics.power('ctr-a'), `p${i}`, { qos: 1 });
    await agent.publishAsync(topics.power('ctr-a'), 'end', { qos: 1 });
    const total = () => boxes.reduce((n, b) => n + b.received.length, 0);
    // Wait for all deliveries (or give up after 5 s and let the assertion show what arrived).
    for (let waited = 0; total() < count + 1 && waited < 5000; waited += 20) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const all = boxes.flatMap((b) => b.received.map((m) => m.payload)).sort();
    expect(all).toEqual([...Array.from({ length: count }, (_, i) => `p${i}`), 'end'].sort());
  });

  it("Mosquitto's ACL and the controller's embedded-broker ACL agree on who may publish where", async () => {
    const matrix = ['ctr-a', 'ctr-b'].flatMap((agent) => [
      ...[...AGENT_TOPIC_KINDS, 'commands', 'safety', 'acks', 'other'].map(
        (kind) => `hashfleet/v1/agents/${agent}/${kind}`,
      ),
      `hashfleet/v1/agents/${agent}/telemetry/extra`,
    ]);
    const observer = await connect('controller', users.controller);
    const box = inbox(observer);
    await observer.subscribeAsync('hashfleet/v1/agents/#', { qos: 1 });
    const publishers: [keyof typeof users, BrokerUser, string][] = [
      ['ctr-a', { kind: 'agent', agentId: 'ctr-a' }, topics.events('ctr-a')],
      ['ctr-b', { kind: 'agent', agentId: 'ctr-b' }, topics.events('ctr-b')],
      ['controller', { kind: 'controller' }, topics.commands('ctr-b')],
    ];
    const expected: string[] = [];
    for (const [name, user, sentinelTopic] of publishers) {
      const client = await connect(name, users[name]);
      for (const topic of matrix) {
        await client.publishAsync(topic, `${name} ${topic}`, { qos: 1 }).catch(() => undefined);
        if (canPublish(user, topic)) expected.push(`${name} ${topic}`);
      }
      // Ordered delivery from one client: once its sentinel is in, all its allowed messages are.
      await client.publishAsync(sentinelTopic, `${name} sentinel`, { qos: 1 });
      await new Promise<void>((resolve) => {
        const check = () =>
          box.received.some((m) => m.payload === `${name} sentinel`) ? resolve() : setTimeout(check, 10);
        check();
      });
    }
    // Retained messages of earlier tests (ctr-b's last will) are not publishes of this one.
    const delivered = box.received
      .filter((m) => !m.retain && !m.payload.endsWith(' sentinel'))
      .map((m) => m.payload);
    expect(delivered.sort()).toEqual(expected.sort());
  });
});

/** Loosened copies of the shipped acl, each with the leaks the probe must then report. */
const shipped = readFileSync(new URL('acl', deployDir), 'utf8');
const loosenings: [name: string, acl: string, leaks: string[]][] = [
  [
    'agents given readwrite on hashfleet/#',
    `${shipped}\npattern readwrite hashfleet/#\n`,
    [
      "an agent publishes under another agent's topics",
      'an agent publishes commands, safety rules or acks',
      "an agent reads another agent's commands, safety rules or acks",
      "an agent reads another agent's telemetry",
    ],
  ],
  [
    '%u widened to + in every pattern',
    shipped.replaceAll('%u', '+'),
    [
      "an agent publishes under another agent's topics",
      "an agent reads another agent's commands, safety rules or acks",
    ],
  ],
  [
    'agents given their whole subtree (readwrite .../%u/#)',
    `${shipped}\npattern readwrite hashfleet/v1/agents/%u/#\n`,
    ['an agent publishes commands, safety rules or acks'],
  ],
  [
    "agents allowed to read every agent's telemetry",
    `${shipped}\npattern read hashfleet/v1/agents/+/telemetry\n`,
    ["an agent reads another agent's telemetry"],
  ],
];

describeWithMosquitto('deploy/mosquitto: the ACL probe has teeth', () => {
  beforeAll(requireMosquitto);

  it.each(loosenings)(
    'with %s, the probe reports exactly the leaks that opens',
    async (_name, acl, leaks) => {
      const b = await startBroker(acl);
      try {
        expect((await probe(b)).sort()).toEqual([...leaks].sort());
      } finally {
        await b.stop();
      }
    },
  );
});
