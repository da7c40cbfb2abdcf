import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_TOPIC_KINDS, topics } from '@hashfleet/contracts';
import { type BrokerUser, canPublish } from '@hashfleet/controller/broker/acl';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './lib/net.js';

/**
 * Runs the real deploy/mosquitto/mosquitto.conf and acl under /usr/sbin/mosquitto and proves the
 * least-privilege model of DESIGN.md §8 with MQTT.js clients.
 */

const MOSQUITTO = '/usr/sbin/mosquitto';
const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';
const deployDir = new URL('../deploy/mosquitto/', import.meta.url);
const missing = [MOSQUITTO, MOSQUITTO_PASSWD].filter((bin) => !existsSync(bin));
// In CI a missing binary is a failure, never a skip.
const runOrSkip = missing.length > 0 && !process.env.CI ? describe.skip : describe;

const users: Record<'controller' | 'ctr-a' | 'ctr-b', string> = { controller: '', 'ctr-a': '', 'ctr-b': '' };

/** The shipped config with only paths, port and log destination replaced for a temp dir. */
function testConfig(dir: string, port: number): string {
  const replaced: Record<string, string> = {
    listener: `${port} 127.0.0.1`,
    password_file: join(dir, 'passwd'),
    acl_file: join(dir, 'acl'),
    persistence_location: `${dir}/`,
    // conf.d holds the TLS listener, which needs certificates a test has no use for.
    include_dir: join(dir, 'conf.d'),
    log_dest: 'stderr',
  };
  const lines = readFileSync(new URL('mosquitto.conf', deployDir), 'utf8').split('\n');
  const out = lines.map((line) => {
    const [key] = line.trim().split(/\s+/);
    return key && key in replaced ? `${key} ${replaced[key]}` : line;
  });
  // Running as root, Mosquitto would switch to the "mosquitto" user and lose access to the temp dir.
  if (process.getuid?.() === 0) out.push('user root');
  return out.join('\n');
}

async function waitForPort(port: number, broker: ChildProcess, log: () => string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (broker.exitCode !== null) throw new Error(`mosquitto exited ${broker.exitCode}: ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => resolve(true));
      socket.once('error', () => resolve(false));
    }).finally(() => undefined);
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`mosquitto 127.0.0.1:${port}: not listening after 5 s: ${log()}`);
}

runOrSkip('deploy/mosquitto: ACL model against a real Mosquitto', () => {
  let dir = '';
  let port = 0;
  let broker: ChildProcess;
  let brokerLog = '';
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    if (missing.length > 0) throw new Error(`missing ${missing.join(', ')} (install the mosquitto package)`);
    dir = mkdtempSync(join(tmpdir(), 'hashfleet-mosquitto-'));
    port = await freePort();
    // The password-file workflow of deploy/README.md: add-user.sh prints a fresh password per user.
    for (const user of Object.keys(users) as (keyof typeof users)[]) {
      const out = execFileSync('sh', [
        fileURLToPath(new URL('add-user.sh', deployDir)),
        join(dir, 'passwd'),
        user,
      ]);
      users[user] = out.toString().trim();
    }
    writeFileSync(join(dir, 'acl'), readFileSync(new URL('acl', deployDir)));
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'mosquitto.conf'), testConfig(dir, port));
    broker = spawn(MOSQUITTO, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    broker.stderr?.on('data', (chunk: Buffer) => {
      brokerLog += chunk.toString();
    });
    await waitForPort(port, broker, () => brokerLog);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    if (broker && broker.exitCode === null) {
      const exited = new Promise((r) => broker.once('exit', r));
      broker.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function connect(
    username: string,
    password: string,
    extra: IClientOptions = {},
  ): Promise<MqttClient> {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      username,
      password,
      clientId: `${username}-${Math.random().toString(36).slice(2, 8)}`,
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...extra,
    });
    clients.push(client);
    return client;
  }

  /** Collects messages per topic and resolves waiters when one arrives. */
  function inbox(client: MqttClient) {
    const received: { topic: string; payload: string; retain: boolean }[] = [];
    const waiters: { match: (topic: string) => boolean; resolve: () => void }[] = [];
    client.on('message', (topic, payload, packet) => {
      received.push({ topic, payload: payload.toString(), retain: packet.retain });
      for (const w of waiters.filter((w) => w.match(topic))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    });
    return {
      received,
      next: (topic: string) =>
        received.some((m) => m.topic === topic)
          ? Promise.resolve()
          : new Promise<void>((resolve) => waiters.push({ match: (t) => t === topic, resolve })),
    };
  }

  it('an agent publishes its own telemetry and the controller receives it', async () => {
    const controller = await connect('controller', users.controller);
    const box = inbox(controller);
    await controller.subscribeAsync(topics.allOf('telemetry'), { qos: 1 });
    const agent = await connect('ctr-a', users['ctr-a']);
    await agent.publishAsync(topics.telemetry('ctr-a'), '{"seq":1}', { qos: 1 });
    await box.next(topics.telemetry('ctr-a'));
    expect(box.received).toEqual([{ topic: topics.telemetry('ctr-a'), payload: '{"seq":1}', retain: false }]);
  });

  it("an agent's publish under another agent's id never reaches the controller", async () => {
    const controller = await connect('controller', users.controller);
    const box = inbox(controller);
    await controller.subscribeAsync('hashfleet/v1/agents/+/#', { qos: 1 });
    const agent = await connect('ctr-a', users['ctr-a']);
    // MQTT 5 Mosquitto answers a denied QoS 1 publish with PUBACK "not authorized"; either way
    // the proof is that it is not delivered.
    await agent.publishAsync(topics.telemetry('ctr-b'), 'forged', { qos: 1 }).catch(() => undefined);
    await agent
      .publishAsync(topics.status('ctr-b'), 'forged', { qos: 1, retain: true })
      .catch(() => undefined);
    await agent
      .publishAsync('hashfleet/v1/agents/ctr-a/commands', 'self-command', { qos: 1 })
      .catch(() => undefined);
    // Messages from one client reach a subscriber in order: once this sentinel is in, the forged ones would be too.
    await agent.publishAsync(topics.events('ctr-a'), 'sentinel', { qos: 1 });
    await box.next(topics.events('ctr-a'));
    expect(box.received.map((m) => `${m.topic} ${m.payload}`)).toEqual([
      `${topics.events('ctr-a')} sentinel`,
    ]);
  });

  it("an agent cannot read another agent's commands or telemetry, only its own commands", async () => {
    const controller = await connect('controller', users.controller);
    const agentB = await connect('ctr-b', users['ctr-b']);
    const boxB = inbox(agentB);
    // Mosquitto 2.0 grants such a subscription and applies the read ACL on each delivery: the
    // proof is in what arrives.
    await agentB.subscribeAsync(
      [topics.commands('ctr-a'), topics.telemetry('ctr-a'), topics.commands('ctr-b')],
      {
        qos: 1,
      },
    );
    const agentA = await connect('ctr-a', users['ctr-a']);
    await agentA.publishAsync(topics.telemetry('ctr-a'), 'a-telemetry', { qos: 1 });
    await controller.publishAsync(topics.commands('ctr-a'), 'for-a', { qos: 1 });
    await controller.publishAsync(topics.commands('ctr-b'), 'for-b', { qos: 1 });
    await boxB.next(topics.commands('ctr-b'));
    expect(boxB.received.map((m) => m.payload)).toEqual(['for-b']);
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

  it('an agent cannot use a $share group to read other agents', async () => {
    const agentA = await connect('ctr-a', users['ctr-a']);
    const boxA = inbox(agentA);
    await agentA.subscribeAsync([`$share/x/${topics.allOf('telemetry')}`, topics.commands('ctr-a')], {
      qos: 1,
    });
    const agentB = await connect('ctr-b', users['ctr-b']);
    const controller = await connect('controller', users.controller);
    // Mosquitto routes a message to subscribers before it acknowledges it, so after this PUBACK a
    // leaked copy is already queued ahead of the command below on agent A's connection.
    await agentB.publishAsync(topics.telemetry('ctr-b'), 'b-telemetry', { qos: 1 });
    await controller.publishAsync(topics.commands('ctr-a'), 'for-a', { qos: 1 });
    await boxA.next(topics.commands('ctr-a'));
    expect(boxA.received.map((m) => m.payload)).toEqual(['for-a']);
  });
  it("Mosquitto's ACL and the controller's embedded-broker ACL agree on who may publish where", async () => {
    const matrix = ['ctr-a', 'ctr-b'].flatMap((agent) => [
      ...[...AGENT_TOPIC_KINDS, 'commands', 'other'].map((kind) => `hashfleet/v1/agents/${agent}/${kind}`),
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
