import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIMITS } from '@hashfleet/contracts';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_FAILURES } from '../src/core/auth/plugin.js';
import {
  type EmbeddedBroker,
  MAX_MQTT_PACKET_BYTES,
  startEmbeddedBroker,
} from '../src/core/broker/embedded.js';

/**
 * Proves both brokers cap an MQTT packet at the contract's limit (issue 17 item 7: the embedded
 * broker carried 30 MB messages): the embedded broker drops the connection of a client sending a
 * packet over MAX_MQTT_PACKET_BYTES, delivers nothing of it and says why, while a packet under it
 * passes; and the deploy Mosquitto configs set the same max_packet_size, above the contract's payload limit.
 */
const DEPLOY = join(import.meta.dirname, '..', '..', 'deploy', 'mosquitto');

describe('MQTT packet size limit', () => {
  let broker: EmbeddedBroker;
  const refused: string[] = [];
  beforeAll(async () => {
    broker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      authenticate: async (username) =>
        username === 'controller' ? { kind: 'controller' } : { kind: 'agent', agentId: username },
      onRefused: (what) => refused.push(what),
      now: Date.now,
    });
  });
  afterAll(async () => broker?.close());

  it('passes a packet under the limit and drops a 30 MB one with its connection', async () => {
    const sub = await mqtt.connectAsync(broker.url, {
      clientId: 'ctl',
      username: 'controller',
      password: 'x',
    });
    const got: number[] = [];
    sub.on('message', (_t, payload) => got.push(payload.length));
    await sub.subscribeAsync('hashfleet/v1/agents/+/telemetry', { qos: 1 });
    const agent = await mqtt.connectAsync(broker.url, {
      clientId: 'c01',
      username: 'c01',
      password: 'x',
      reconnectPeriod: 0,
    });
    await agent.publishAsync(
      'hashfleet/v1/agents/c01/telemetry',
      Buffer.alloc(LIMITS.maxPayloadBytes, 0x61),
      {
        qos: 1,
      },
    );
    await expect.poll(() => got).toEqual([LIMITS.maxPayloadBytes]);

    const closed = new Promise<void>((r) => agent.once('close', () => r()));
    agent.publish('hashfleet/v1/agents/c01/telemetry', Buffer.alloc(30 * 1024 * 1024, 0x61), { qos: 0 });
    await closed;
    expect(refused.some((r) => r.includes(`over the limit of ${MAX_MQTT_PACKET_BYTES}`))).toBe(true);
    // The subscriber still works and never saw the big one.
    const again = await mqtt.connectAsync(broker.url, { clientId: 'c01', username: 'c01', password: 'x' });
    await again.publishAsync('hashfleet/v1/agents/c01/telemetry', 'small', { qos: 1 });
    await expect.poll(() => got).toEqual([LIMITS.maxPayloadBytes, 5]);
    agent.end(true);
    await again.endAsync();
    await sub.endAsync();
  });

  it.each(['mosquitto.conf', 'site-bridge.conf'])(
    'deploy/mosquitto/%s sets the same max_packet_size',
    (file) => {
      const conf = readFileSync(join(DEPLOY, file), 'utf8');
      const set = /^max_packet_size\s+(\d+)\s*$/m.exec(conf);
      expect(Number(set?.[1])).toBe(MAX_MQTT_PACKET_BYTES);
      // Room for a largest payload, its topic (hashfleet/v1/agents/<64-char id>/telemetry) and headers.
      expect(MAX_MQTT_PACKET_BYTES).toBeGreaterThan(LIMITS.maxPayloadBytes + 1024);
    },
  );
});

/**
 * Proves the embedded broker rate limits failed authentication per address (issue 17 item 7):
 * after AUTH_FAILURES.max bad CONNECTs in a window even good credentials from that address are
 * refused (not authorized) until the window ends; before, every guess was checked.
 */
describe('embedded broker: failed authentication rate limited', () => {
  it(`refuses an address after ${AUTH_FAILURES.max} failures, good credentials included, until its window ends`, async () => {
    let clock = 1_000_000;
    const broker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      authenticate: async (username, password) =>
        password === 'good' ? { kind: 'agent', agentId: username } : null,
      now: () => clock,
    });
    const attempt = async (password: string) => {
      const c = mqtt.connect(broker.url, { clientId: 'c01', username: 'c01', password, reconnectPeriod: 0 });
      return new Promise<number>((resolve) => {
        c.once('connect', () => {
          c.end(true);
          resolve(0);
        });
        c.once('error', (err) => {
          c.end(true);
          resolve((err as { code?: number }).code ?? -1);
        });
      });
    };
    try {
      const codes: number[] = [];
      for (let i = 0; i < AUTH_FAILURES.max; i++) codes.push(await attempt(`guess-${i}`));
      expect(codes).toEqual(Array(AUTH_FAILURES.max).fill(4));
      expect(await attempt('good')).toBe(5);
      clock += AUTH_FAILURES.windowMs;
      expect(await attempt('good')).toBe(0);
    } finally {
      await broker.close();
    }
  });
});
