import { type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAgent } from '../src/agent.js';
import { Consumer, publishCommand, Signer, simAgentConfig, startPolledAgent, TestBroker } from './helpers.js';

/**
 * Control operations that need a per-firmware handshake: LuxOS logon sessions (the session id is
 * the first parameter of each write) and Whatsminer API v3 per-command tokens (salt, sha256).
 */
let sim: Simulation;
let broker: TestBroker;
let consumer: Consumer;
let agent: RunningAgent;
const signer = new Signer();

beforeAll(async () => {
  sim = await startSimulation(
    smallScenario({ miners: 2, profiles: ['luxos', 'whatsminer-v3'], pdus: false }),
  );
  broker = new TestBroker();
  await broker.start();
  consumer = await Consumer.connect(broker.url);
  process.env['TEST_WM_PASSWORD'] = 'super'; // the simulated Whatsminer v3 keeps its default
  const config = simAgentConfig(sim, broker.url, {
    credentials: { rpc: { password: { env: 'TEST_WM_PASSWORD' } } },
    commands: { publicKey: { base64: signer.publicKeyBase64 } },
  });
  config.miners.ranges = sim.miners.map((m) => m.ip);
  agent = await startPolledAgent(sim, config, consumer, 2);
});

afterAll(async () => {
  await agent?.stop();
  await consumer?.end();
  await broker?.kill();
  await sim?.stop();
});

describe('commands behind a firmware handshake', () => {
  it('led: logon, ledset|<session>,red,blink, logoff — the simulated LED lights', async () => {
    const m = sim.miners[0]!;
    const key = consumer.of('telemetry')[0]!.samples.find((s) => s.ip === m.ip)!.minerKey;
    expect(sim.miner(m.id).led).toBe(false);
    const cmd = signer.command(
      'lab-c1',
      { op: 'led', target: { kind: 'miner', minerKey: key }, on: true },
      { now: sim.clock.now() },
    );
    await publishCommand(consumer.client, cmd);
    await consumer.waitFor(() => consumer.of('results').some((r) => r.commandId === cmd.id));
    const r = consumer.of('results').find((x) => x.commandId === cmd.id)!;
    expect(r, r.message).toMatchObject({ status: 'succeeded', transport: 'rpc' });
    expect(sim.miner(m.id).led).toBe(true);
  });

  it('led on Whatsminer v3: salt from get.device.info, token over cmd+password+salt+ts — accepted', async () => {
    const m = sim.miners[1]!;
    const key = consumer.of('telemetry')[0]!.samples.find((s) => s.ip === m.ip)!.minerKey;
    const cmd = signer.command(
      'lab-c1',
      { op: 'led', target: { kind: 'miner', minerKey: key }, on: true },
      { now: sim.clock.now() },
    );
    await publishCommand(consumer.client, cmd);
    await consumer.waitFor(() => consumer.of('results').some((r) => r.commandId === cmd.id));
    const r = consumer.of('results').find((x) => x.commandId === cmd.id)!;
    expect(r, r.message).toMatchObject({ status: 'succeeded', transport: 'wm-v3' });
    expect(sim.miner(m.id).led).toBe(true);
  });
});
