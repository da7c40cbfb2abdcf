import { type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from '../src/agent.js';
import { Consumer, memoryLogger, publishCommand, Signer, simAgentConfig, TestBroker } from './helpers.js';

/** LuxOS control through a logon session: the session id is the first parameter of each write. */
let sim: Simulation;
let broker: TestBroker;
let consumer: Consumer;
let agent: RunningAgent;
const signer = new Signer();

beforeAll(async () => {
  sim = await startSimulation(smallScenario({ miners: 1, profiles: ['luxos'], pdus: false }));
  broker = new TestBroker();
  await broker.start();
  consumer = await Consumer.connect(broker.url);
  const config = simAgentConfig(sim, broker.url, {
    commands: { publicKey: { base64: signer.publicKeyBase64 } },
  });
  config.miners.ranges = sim.miners.map((m) => m.ip);
  agent = await startAgent(config, {
    schedule: 'manual',
    now: () => sim.clock.now(),
    logger: memoryLogger().logger,
  });
  await agent.scanNow();
  await sim.tick(30_000);
  await agent.pollNow();
  await agent.drained();
  await consumer.waitFor(() => consumer.of('telemetry').some((t) => t.samples.length === 1));
});

afterAll(async () => {
  await agent?.stop();
  await consumer?.end();
  await broker?.kill();
  await sim?.stop();
});

describe('LuxOS session commands', () => {
  it('led: logon, ledset|<session>,red,blink, logoff — the simulated LED lights', async () => {
    const m = sim.miners[0]!;
    const key = consumer.of('telemetry')[0]!.samples[0]!.minerKey;
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
});
