import { type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAgent } from '../src/agent.js';
import { Consumer, publishCommand, Signer, simAgentConfig, startPolledAgent, TestBroker } from './helpers.js';

/**
 * One container, two firmwares whose privileged accounts differ as shipped: the simulated
 * Whatsminer v2 takes btminer password `admin`, the Whatsminer v3 account `super`/`super`. The
 * agent-wide rpc account is v2's; a credentials.byProfile override gives v3 its own. Each command
 * works only if that miner got its own account.
 */
let sim: Simulation;
let broker: TestBroker;
let consumer: Consumer;
let agent: RunningAgent;
const signer = new Signer();

beforeAll(async () => {
  sim = await startSimulation(
    smallScenario({ miners: 2, profiles: ['whatsminer-v2', 'whatsminer-v3'], pdus: false }),
  );
  broker = new TestBroker();
  await broker.start();
  consumer = await Consumer.connect(broker.url);
  process.env['TEST_WM2_PASSWORD'] = 'admin';
  process.env['TEST_WM3_PASSWORD'] = 'super';
  const config = simAgentConfig(sim, broker.url, {
    credentials: {
      rpc: { password: { env: 'TEST_WM2_PASSWORD' } },
      byProfile: { 'whatsminer-v3': { rpc: { user: 'super', password: { env: 'TEST_WM3_PASSWORD' } } } },
    },
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

async function ledOn(minerId: string) {
  const ip = sim.info(minerId).ip;
  const key = consumer
    .of('telemetry')
    .flatMap((t) => t.samples)
    .find((s) => s.ip === ip)!.minerKey;
  const cmd = signer.command(
    'lab-c1',
    { op: 'led', target: { kind: 'miner', minerKey: key }, on: true },
    { now: sim.clock.now() },
  );
  await publishCommand(consumer.client, cmd);
  await consumer.waitFor(() => consumer.of('results').some((r) => r.commandId === cmd.id));
  return consumer.of('results').find((x) => x.commandId === cmd.id)!;
}

describe('per-profile credentials in one container', () => {
  it('Whatsminer v2 with the agent-wide rpc account and v3 with its byProfile account both light their LED', async () => {
    const [v2, v3] = ['whatsminer-v2', 'whatsminer-v3'].map((p) => sim.miners.find((m) => m.profile === p)!);
    expect(sim.miner(v2!.id).led).toBe(false);
    expect(sim.miner(v3!.id).led).toBe(false);

    const r2 = await ledOn(v2!.id);
    const r3 = await ledOn(v3!.id);

    expect(r2, r2.message).toMatchObject({ status: 'succeeded', transport: 'rpc' });
    expect(r3, r3.message).toMatchObject({ status: 'succeeded', transport: 'wm-v3' });
    expect(sim.miner(v2!.id).led).toBe(true);
    expect(sim.miner(v3!.id).led).toBe(true);
  });
});
