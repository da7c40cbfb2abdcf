import { exampleSample, exampleTelemetry, topics } from '@hashfleet/contracts';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../src/auth/tokens.js';
import { canPublish, canSubscribe } from '../src/broker/acl.js';
import { loadControllerConfig } from '../src/config.js';
import { type RunningController, startController } from '../src/server.js';
import { tempDir } from './helpers.js';

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
  let cleanup: () => void;
  let token: string;
  beforeAll(async () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    const config = loadControllerConfig(
      { dataDir: tmp.dir, http: { port: 0 }, mqtt: { embeddedPort: 0 }, log: { level: 'silent' } },
      {},
    );
    running = await startController(config);
    token = await createToken(running.db, { role: 'agent', name: 'sc-c01' });
  });
  afterAll(async () => {
    await running?.stop();
    cleanup?.();
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
});
