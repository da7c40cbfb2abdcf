import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleSample, exampleTelemetry, type Telemetry, topics } from '@hashfleet/contracts';
import { buildApp } from '@hashfleet/controller/core/app';
import { bindAgentPlaces } from '@hashfleet/controller/core/auth/agent-places';
import { loadControllerConfig } from '@hashfleet/controller/core/config';
import { connectLink, type MqttLink } from '@hashfleet/controller/core/mqtt/link';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  addUser,
  type Broker,
  centreBrokerIn,
  connectMqtt,
  describeWithMosquitto,
  requireMosquitto,
  rewrite,
} from './lib/mosquitto.js';
import { freePort } from './lib/net.js';

/**
 * Issue 17 items 1 and 4 on a real Mosquitto running the shipped deploy/mosquitto config, its
 * TLS listener included (conf.d/tls.conf with a throw-away certificate; only paths and ports
 * rewritten). Agents connect over TLS as in production; the controller over the plain listener.
 * - An agent publishing telemetry for another agent's container is refused by the controller,
 *   counted and audited, and the victim's miner stays in its container (before: it moved).
 * - A bound agent naming another container's miner (by serial) in its own container: that sample
 *   is left out and counted, the rest applied, the miner stays (before: it moved).
 * - An agent with broker credentials but bound to no container is refused (before: accepted).
 * - An agent connecting with another agent's client id does not knock that agent offline
 *   (before: it did, the tls listener had no use_username_as_clientid).
 */

type Agent = 'ctr-a' | 'ctr-b' | 'ctr-c';
const T0 = exampleSample.at;

describeWithMosquitto('deploy/mosquitto: agents bound to their place and their client id', () => {
  let dir: string;
  let broker: Broker;
  let tlsPort = 0;
  let ca: Buffer;
  const passwords = {} as Record<Agent | 'controller', string>;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let link: MqttLink;
  const clients: MqttClient[] = [];

  /** An agent over TLS, trusting the test certificate, with the client id it asks for. */
  async function agent(name: Agent, clientId: string = name): Promise<MqttClient> {
    const c = await mqtt.connectAsync(`mqtts://127.0.0.1:${tlsPort}`, {
      username: name,
      password: passwords[name],
      clientId,
      ca,
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    requireMosquitto();
    dir = mkdtempSync(join(tmpdir(), 'hashfleet-place-'));
    for (const user of ['controller', 'ctr-a', 'ctr-b', 'ctr-c'] as const)
      passwords[user] = addUser(join(dir, 'passwd'), user);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'server.key'),
        '-out',
        join(dir, 'server.crt'),
      ],
      { stdio: 'ignore' },
    );
    ca = readFileSync(join(dir, 'server.crt'));
    broker = centreBrokerIn(dir, await freePort());
    tlsPort = await freePort();
    writeFileSync(
      join(dir, 'conf.d', 'tls.conf'),
      rewrite('conf.d/tls.conf', {
        listener: `${tlsPort} 127.0.0.1`,
        certfile: join(dir, 'server.crt'),
        keyfile: join(dir, 'server.key'),
      })
        // rewrite() adds `user root` when running as root; mosquitto.conf already has it.
        .replace(/^user root$/m, ''),
    );
    await broker.start();
    app = await buildApp(
      loadControllerConfig(
        { dataDir: join(dir, 'controller'), storage: { url: 'sqlite::memory:' }, log: { level: 'silent' } },
        {},
      ),
    );
    await bindAgentPlaces(app.hashfleet.db, 'ctr-a', [{ siteId: 'sichuan', containerId: 'ctr-a' }], T0);
    await bindAgentPlaces(app.hashfleet.db, 'ctr-b', [{ siteId: 'sichuan', containerId: 'ctr-b' }], T0);
    link = await connectLink({
      url: `mqtt://127.0.0.1:${broker.port}`,
      username: 'controller',
      password: passwords.controller,
      clientId: 'ctl-place',
      protocolVersion: 5,
      sharedGroup: null,
      now: Date.now,
      ingest: app.hashfleet.ingest,
      log: app.log,
    });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await link?.close();
    await app?.close();
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const batch = (
    agentId: Agent,
    containerId: string,
    seq: number,
    serial: string,
    mac: string,
  ): Telemetry => ({
    ...exampleTelemetry,
    agentId,
    bootId: `${agentId}-boot-0001`,
    containerId,
    seq,
    agent: null,
    unreachable: [],
    samples: [
      { ...exampleSample, minerKey: `SN-${serial}`, serial, mac, ip: `10.7.0.${seq + 1}`, at: T0 + seq },
    ],
  });
  const minerContainer = async (serial: string) =>
    (
      await app.hashfleet.db.get<{ container_id: string }>(
        'SELECT container_id FROM miners WHERE serial = ?',
        [serial],
      )
    )?.container_id;
  const metrics = async () => (await app.inject({ url: '/metrics' })).body;

  it('an agent publishing for another container is refused, counted and audited; the victim miner stays', async () => {
    const a = await agent('ctr-a');
    await a.publishAsync(
      topics.telemetry('ctr-a'),
      JSON.stringify(batch('ctr-a', 'ctr-a', 0, 'VA1', '02:00:00:00:02:01')),
      { qos: 1 },
    );
    await expect.poll(() => minerContainer('VA1')).toBe('ctr-a');

    const b = await agent('ctr-b');
    await b.publishAsync(
      topics.telemetry('ctr-b'),
      JSON.stringify(batch('ctr-b', 'ctr-a', 1, 'VA1', '02:00:00:00:02:01')),
      { qos: 1 },
    );
    await expect
      .poll(metrics)
      .toMatch(/hashfleet_ingest_rejected_total\{reason="foreign_place",agent="ctr-b"\} 1/);
    expect(await minerContainer('VA1')).toBe('ctr-a');
    const audit = await app.hashfleet.db.all<{ actor_name: string }>(
      "SELECT actor_name FROM audit_log WHERE action = 'ingest.reject'",
    );
    expect(audit.map((r) => r.actor_name)).toEqual(['ctr-b']);
  });

  it("a bound agent naming another container's miner in its own container: left out, counted, audited; the miner stays", async () => {
    // VA1 sits in ctr-a (the test above). ctr-b reports it in ctr-b beside a miner of its own.
    const both = batch('ctr-b', 'ctr-b', 2, 'VB1', '02:00:00:00:02:02');
    both.samples.push(batch('ctr-b', 'ctr-b', 2, 'VA1', '02:00:00:00:02:01').samples[0]!);
    const b = await agent('ctr-b');
    await b.publishAsync(topics.telemetry('ctr-b'), JSON.stringify(both), { qos: 1 });
    await expect.poll(() => minerContainer('VB1')).toBe('ctr-b');
    await expect
      .poll(metrics)
      .toMatch(/hashfleet_ingest_rejected_total\{reason="foreign_miner",agent="ctr-b"\} 1/);
    expect(await minerContainer('VA1')).toBe('ctr-a');
    const reasons = await app.hashfleet.db.all<{ details_json: string }>(
      "SELECT details_json FROM audit_log WHERE action = 'ingest.reject' AND actor_name = 'ctr-b'",
    );
    expect(reasons.map((r) => JSON.parse(r.details_json).reason).sort()).toEqual([
      'foreign_miner',
      'foreign_place',
    ]);
  });

  it("an agent with broker credentials but bound to no container is refused (the controller's default)", async () => {
    const c = await agent('ctr-c');
    const loose = batch('ctr-c', 'ctr-c', 0, 'VC1', '02:00:00:00:02:03');
    await c.publishAsync(topics.telemetry('ctr-c'), JSON.stringify(loose), { qos: 1 });
    await expect.poll(metrics).toMatch(/hashfleet_ingest_rejected_total\{reason="unbound",agent="ctr-c"\} 1/);
    expect(await minerContainer('VC1')).toBeUndefined();
  });

  it("an agent connecting with another agent's client id does not knock it offline", async () => {
    const observer = await connectMqtt(broker.port, 'controller', passwords.controller);
    clients.push(observer);
    const seen: string[] = [];
    observer.on('message', (_t, p) => seen.push(p.toString()));
    await observer.subscribeAsync(topics.events('ctr-a'), { qos: 1 });

    const victim = await agent('ctr-a', 'ctr-a');
    const closed = new Promise<'closed'>((resolve) => victim.once('close', () => resolve('closed')));
    await agent('ctr-b', 'ctr-a');
    // Mosquitto drops the old connection while it handles the new CONNECT, before its CONNACK: if
    // the victim had been taken over, its close is on the way and the publish below never completes.
    const outcome = await Promise.race([
      victim.publishAsync(topics.events('ctr-a'), 'still here', { qos: 1 }).then(() => 'published' as const),
      closed,
    ]);
    expect(outcome).toBe('published');
    await expect.poll(() => seen).toContain('still here');
    expect(victim.connected).toBe(true);
  });
});
