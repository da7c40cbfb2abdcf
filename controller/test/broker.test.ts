import { type Acks, decodeAcks, exampleSample, exampleTelemetry, topics } from '@hashfleet/contracts';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canPublish, canSubscribe } from '../src/core/broker/acl.js';
import type { RunningController } from '../src/core/server.js';
import { embeddedController } from './helpers.js';

describe('broker ACL (same model as deploy/mosquitto/acl)', () => {
  const agent = { kind: 'agent', agentId: 'c01' } as const;
  const controller = { kind: 'controller' } as const;
  it.each([
    [agent, 'hashfleet/v1/agents/c01/telemetry', true],
    [agent, 'hashfleet/v1/agents/c01/status', true],
    [agent, 'hashfleet/v1/agents/c02/telemetry', false],
    [agent, 'hashfleet/v1/agents/c01/commands', false],
    [controller, 'hashfleet/v1/agents/c01/commands', true],
    [controller, 'hashfleet/v1/agents/c01/telemetry', false],
  ])('publish %o %s -> %s', (user, topic, allowed) => {
    expect(canPublish(user, topic)).toBe(allowed);
  });
  it.each([
    [agent, 'hashfleet/v1/agents/c01/commands', true],
    [agent, 'hashfleet/v1/agents/+/commands', false],
    [agent, 'hashfleet/v1/agents/c02/commands', false],
    [agent, '#', false],
    [controller, 'hashfleet/v1/agents/+/telemetry', true],
    [controller, '$share/g/hashfleet/v1/agents/+/telemetry', true],
    [controller, 'hashfleet/v1/agents/+/#', true],
    [controller, '#', false],
    [controller, 'hashfleet/#', false],
  ])('subscribe %o %s -> %s', (user, filter, allowed) => {
    expect(canSubscribe(user, filter)).toBe(allowed);
  });
});

describe('embedded broker end to end', () => {
  let running: RunningController;
  let token: string;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    ({ running, token, stop } = await embeddedController('sc-c01'));
  });
  afterAll(async () => {
    await stop?.();
  });

  it('ingests telemetry an agent publishes with its token', async () => {
    const client = await mqtt.connectAsync(running.mqttUrl, {
      clientId: 'sc-c01',
      username: 'sc-c01',
      password: token,
    });
    await client.publishAsync(topics.telemetry('sc-c01'), JSON.stringify({ ...exampleTelemetry, seq: 100 }), {
      qos: 1,
    });
    await client.endAsync();
    await expect
      .poll(async () => (await running.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM miner_latest'))?.n)
      .toBe(1);
    const row = await running.db.get<{ hashrate_ths: number }>('SELECT hashrate_ths FROM miner_latest');
    expect(row?.hashrate_ths).toBe(exampleSample.hashrate5sThs);
  });

  it('refuses a wrong password and another agent’s commands', async () => {
    await expect(
      mqtt.connectAsync(running.mqttUrl, { username: 'sc-c01', password: 'wrong', reconnectPeriod: 0 }),
    ).rejects.toThrow();
    const client = await mqtt.connectAsync(running.mqttUrl, {
      clientId: 'sc-c01',
      username: 'sc-c01',
      password: token,
    });
    // The broker answers SUBACK 0x80, which MQTT.js reports as an error.
    await expect(client.subscribeAsync(topics.commands('sc-c02'), { qos: 1 })).rejects.toThrow(
      /Subscribe error/,
    );
    const own = await client.subscribeAsync(topics.commands('sc-c01'), { qos: 1 });
    expect(own[0]?.qos).toBe(1);
    await client.endAsync();
  });

  it('acks what ingest applied and acks a duplicate again; a malformed message is not acked', async () => {
    const agent = await mqtt.connectAsync(running.mqttUrl, {
      clientId: 'sc-c01',
      username: 'sc-c01',
      password: token,
    });
    const received: Acks[] = [];
    agent.on('message', (topic, payload) => {
      const d = decodeAcks(payload, 'sc-c01');
      if (topic === topics.acks('sc-c01') && d.ok) received.push(d.value);
    });
    await agent.subscribeAsync(topics.acks('sc-c01'), { qos: 1 });
    const bootId = 'acks-boot-0001';
    // Only this test's boot: the ack of the first test's message may arrive in the same window.
    const acked = () =>
      received
        .flatMap((m) => m.boots.filter((b) => b.bootId === bootId))
        .flatMap((b) => b.ranges.flatMap(([f, t]) => Array.from({ length: t - f + 1 }, (_, i) => f + i)))
        .sort((x, y) => x - y);
    const telemetry = (seq: number) => JSON.stringify({ ...exampleTelemetry, bootId, seq });
    await agent.publishAsync(topics.telemetry('sc-c01'), telemetry(7), { qos: 1 });
    await agent.publishAsync(topics.telemetry('sc-c01'), telemetry(8), { qos: 1 });
    await agent.publishAsync(topics.telemetry('sc-c01'), '{"not":"telemetry","seq":9}', { qos: 1 });
    await expect.poll(() => acked(), { timeout: 10_000 }).toEqual([7, 8]);
    // The same message again (a republish): dedupe drops it, and it is acked again.
    await agent.publishAsync(topics.telemetry('sc-c01'), telemetry(7), { qos: 1 });
    await expect.poll(() => acked().filter((s) => s === 7).length, { timeout: 10_000 }).toBe(2);
    const seen = await running.db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM ingest_seen WHERE agent_id = 'sc-c01' AND boot_id = ? AND kind = 'telemetry'",
      [bootId],
    );
    expect(seen?.n).toBe(2);
    expect(acked()).not.toContain(9);
    await agent.endAsync();
  });
});

describe('backpressure on the broker link', () => {
  it('hands ingest at most its window of messages and PUBACKs each only after it and those before it are applied', async () => {
    const { startEmbeddedBroker } = await import('../src/core/broker/embedded.js');
    const { connectLink } = await import('../src/core/mqtt/link.js');
    const pino = (await import('pino')).default;
    const broker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      authenticate: async (user) =>
        user === 'controller' ? { kind: 'controller' } : { kind: 'agent', agentId: user },
      now: Date.now,
    });
    // Storage that is slower than ingest: each apply waits until the test lets it finish.
    const started: number[] = [];
    const releases = new Map<number, () => void>();
    const ingest = {
      handle: (_topic: string, payload: Uint8Array) =>
        new Promise<'applied'>((resolve) => {
          const n = Number(Buffer.from(payload).toString());
          started.push(n);
          releases.set(n, () => resolve('applied'));
        }),
      stop() {},
    };
    let inflight = 0;
    const link = await connectLink({
      url: broker.url,
      username: 'controller',
      password: 'x',
      clientId: 'ctl',
      protocolVersion: 4,
      sharedGroup: null,
      window: 3,
      ingest,
      log: pino({ level: 'silent' }),
      onInflight: (n) => {
        inflight = n;
      },
      now: Date.now,
    });
    const agent = await mqtt.connectAsync(broker.url, { username: 'c01', password: 'x', clientId: 'c01' });
    await Promise.all(
      [1, 2, 3, 4, 5].map((n) => agent.publishAsync(topics.telemetry('c01'), String(n), { qos: 1 })),
    );
    await expect.poll(() => started.length).toBe(3);
    await new Promise((r) => setTimeout(r, 200));
    expect(started).toEqual([1, 2, 3]); // the rest wait at the broker / socket, not in a controller queue
    // 2 and 3 applied, 1 not: nothing may be acknowledged yet (QoS 1 acks go in order).
    releases.get(2)!();
    releases.get(3)!();
    await new Promise((r) => setTimeout(r, 100));
    expect(inflight).toBe(3);
    // The broker's view: dropped now, the session redelivers 1, 2 and 3 (and 4, 5) to the next
    // connection of the same client id, because none of them was PUBACKed.
    await link.close();
    const again: number[] = [];
    const next = await mqtt.connectAsync(broker.url, {
      username: 'controller',
      password: 'x',
      clientId: 'ctl',
      clean: false,
    });
    next.on('message', (_t, payload) => again.push(Number(payload.toString())));
    await expect.poll(() => [...new Set(again)].sort(), { timeout: 10_000 }).toEqual([1, 2, 3, 4, 5]);
    await next.endAsync();
    await agent.endAsync();
    await broker.close();
  });

  it('PUBACKs what it applied, in order, and takes the next messages as room frees', async () => {
    const { startEmbeddedBroker } = await import('../src/core/broker/embedded.js');
    const { connectLink } = await import('../src/core/mqtt/link.js');
    const pino = (await import('pino')).default;
    const broker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      authenticate: async (user) =>
        user === 'controller' ? { kind: 'controller' } : { kind: 'agent', agentId: user },
      now: Date.now,
    });
    const started: number[] = [];
    const releases = new Map<number, () => void>();
    const ingest = {
      handle: (_topic: string, payload: Uint8Array) =>
        new Promise<'applied'>((resolve) => {
          const n = Number(Buffer.from(payload).toString());
          started.push(n);
          releases.set(n, () => resolve('applied'));
        }),
      stop() {},
    };
    const link = await connectLink({
      url: broker.url,
      username: 'controller',
      password: 'x',
      clientId: 'ctl2',
      protocolVersion: 4,
      sharedGroup: null,
      window: 2,
      ingest,
      log: pino({ level: 'silent' }),
      now: Date.now,
    });
    const agent = await mqtt.connectAsync(broker.url, { username: 'c01', password: 'x', clientId: 'c01' });
    await Promise.all(
      [1, 2, 3, 4].map((n) => agent.publishAsync(topics.telemetry('c01'), String(n), { qos: 1 })),
    );
    await expect.poll(() => started).toEqual([1, 2]);
    releases.get(1)!();
    await expect.poll(() => started).toEqual([1, 2, 3]);
    releases.get(2)!();
    releases.get(3)!();
    await expect.poll(() => started).toEqual([1, 2, 3, 4]);
    releases.get(4)!();
    // All four PUBACKed: a new connection of the same session gets none of them again.
    await link.close();
    const again: number[] = [];
    const next = await mqtt.connectAsync(broker.url, {
      username: 'controller',
      password: 'x',
      clientId: 'ctl2',
      clean: false,
    });
    next.on('message', (_t, payload) => again.push(Number(payload.toString())));
    await agent.publishAsync(topics.telemetry('c01'), '5', { qos: 1 });
    await expect.poll(() => again).toEqual([5]);
    await next.endAsync();
    await agent.endAsync();
    await broker.close();
  });
});
