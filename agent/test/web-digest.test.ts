import { type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from '../src/agent.js';
import {
  Consumer,
  memoryLogger,
  publishCommand,
  Signer,
  simAgentConfig,
  startPolledAgent,
  TestBroker,
} from './helpers.js';
import { freePort } from './servers.js';

/**
 * The Antminer web CGI behind HTTP Digest (the simulator's, realm `antMiner Configuration`): the
 * agent's digest client gets serial and MAC from get_system_info.cgi during polls, and a reboot
 * command goes over reboot.cgi. A wrong password is an auth failure naming the miner.
 */
let sim: Simulation;
let broker: TestBroker;
let consumer: Consumer;
let agent: RunningAgent;
const signer = new Signer();

beforeAll(async () => {
  const httpPort = await freePort();
  sim = await startSimulation(smallScenario({ miners: 2, profiles: ['antminer-stock'], pdus: false }), {
    httpPort,
  });
  broker = new TestBroker();
  await broker.start();
  consumer = await Consumer.connect(broker.url);
  process.env['TEST_WEB_PASSWORD'] = 'root';
  const config = simAgentConfig(sim, broker.url, {
    credentials: { web: { password: { env: 'TEST_WEB_PASSWORD' } } },
    commands: { publicKey: { base64: signer.publicKeyBase64 } },
  });
  config.miners.ranges = sim.miners.map((m) => m.ip);
  config.miners.ports.http = httpPort;
  agent = await startPolledAgent(sim, config, consumer, 2);
});

afterAll(async () => {
  await agent?.stop();
  await consumer?.end();
  await broker?.kill();
  await sim?.stop();
});

describe('HTTP Digest to the Antminer CGI', () => {
  it('polls read serial and MAC through digest auth, so the minerKey is the serial', () => {
    const samples = consumer.of('telemetry').flatMap((t) => t.samples);
    for (const m of sim.miners) {
      const s = samples.find((x) => x.ip === m.ip)!;
      expect(s.serial).toBe(m.serial);
      expect(s.mac?.toLowerCase()).toBe(m.mac.toLowerCase());
      expect(s.minerKey).toBe(`SN-${m.serial}`);
    }
  });

  it('a reboot command goes over reboot.cgi and reboots the simulated miner', async () => {
    const m = sim.miners[0]!;
    expect(sim.miner(m.id).uptimeS).toBeGreaterThan(60);
    const cmd = signer.command(
      'lab-c1',
      { op: 'reboot', target: { kind: 'miner', minerKey: `SN-${m.serial}` } },
      { now: sim.clock.now() },
    );
    await publishCommand(consumer.client, cmd);
    await consumer.waitFor(() => consumer.of('results').some((r) => r.commandId === cmd.id));
    const r = consumer.of('results').find((x) => x.commandId === cmd.id)!;
    expect(r, r.message).toMatchObject({ status: 'succeeded', transport: 'http' });
    await consumer.waitFor(() => sim.miner(m.id).uptimeS === 0);
  });

  it('a wrong web password fails the command as an auth error naming the miner', async () => {
    process.env['TEST_WEB_PASSWORD'] = 'not-the-password';
    const config = simAgentConfig(sim, broker.url, {
      credentials: { web: { password: { env: 'TEST_WEB_PASSWORD' } } },
      commands: { publicKey: { base64: signer.publicKeyBase64 } },
    });
    config.miners.ranges = sim.miners.map((m) => m.ip);
    config.miners.ports.http = sim.info(sim.miners[1]!.id).ports.http!;
    await agent.stop();
    agent = await startAgent(config, {
      schedule: 'manual',
      now: () => sim.clock.now(),
      logger: memoryLogger().logger,
    });
    await agent.scanNow();
    await agent.pollNow();
    const m = sim.miners[1]!;
    // Without the CGI this fresh agent never learns the serial: the miner's key is its IP.
    const key = m.ip;
    const cmd = signer.command(
      'lab-c1',
      { op: 'reboot', target: { kind: 'miner', minerKey: key } },
      { now: sim.clock.now() },
    );
    await publishCommand(consumer.client, cmd);
    await consumer.waitFor(() => consumer.of('results').some((r) => r.commandId === cmd.id));
    const r = consumer.of('results').find((x) => x.commandId === cmd.id)!;
    expect(r.status, r.message).toBe('failed');
    expect(r.message).toBe(`miner ${m.ip}: reboot over http: HTTP 401: digest credentials rejected`);
  });
});
