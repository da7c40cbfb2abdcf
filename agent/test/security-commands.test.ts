import type { Command, CommandResult } from '@hashfleet/contracts';
import { type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from '../src/agent.js';
import { Consumer, publishCommand, Signer, simAgentConfig, TestBroker } from './helpers.js';

/**
 * Command security end to end: commands travel through a real broker to the real agent, which
 * talks to a simulated Braiins OS miner (sleep and wake are RPC `pause` / `resume`). Each bad
 * command must come back as a `refused` result naming why, and the miner must not have been
 * touched (still hashing, not rebooted). A good command through the same path does touch it, so
 * the refusals are not just a broken path.
 */
const AGENT = 'lab-c1';
let sim: Simulation;
let broker: TestBroker;
let consumer: Consumer;
let controller: MqttClient;
let agent: RunningAgent;
const signer = new Signer();
const intruder = new Signer();
let minerKey: string;
let minerId: string;

async function send(command: Command | Record<string, unknown>): Promise<CommandResult> {
  await publishCommand(controller, command);
  const id = String(command['id']);
  await consumer.waitFor(() => consumer.of('results').some((r) => r.commandId === id));
  return consumer.of('results').find((r) => r.commandId === id)!;
}

/** What a command could change on the miner: mode, power, uptime (reboot), daemon time (restart), pool. */
const state = () => {
  const t = sim.miner(minerId);
  return { mode: t.mode, poweredOn: t.poweredOn, uptimeS: t.uptimeS, elapsedS: t.elapsedS, pool: t.pool };
};
const untouched = (before: ReturnType<typeof state>) => {
  expect(before.mode).toBe('normal');
  expect(state()).toEqual(before);
};

beforeAll(async () => {
  sim = await startSimulation(smallScenario({ miners: 1, profiles: ['braiins-os'], pduPort: 21_193 }), {
    startMs: Date.UTC(2026, 7, 1),
  });
  minerId = sim.miners[0]!.id;
  broker = new TestBroker();
  await broker.start();
  consumer = await Consumer.connect(broker.url);
  controller = await mqtt.connectAsync(broker.url, { clientId: 'security-controller' });
  const config = simAgentConfig(sim, broker.url, {
    agentId: AGENT,
    commands: { publicKey: { base64: signer.publicKeyBase64 } },
  });
  agent = await startAgent(config, { schedule: 'manual', now: () => sim.clock.now() });
  await agent.scanNow();
  await agent.pollNow();
  await consumer.waitFor(() => consumer.of('telemetry').some((t) => t.samples.length > 0));
  minerKey = consumer.of('telemetry').flatMap((t) => t.samples)[0]!.minerKey;
}, 30_000);

afterAll(async () => {
  await agent?.stop();
  await controller?.endAsync(true);
  await consumer?.end();
  await broker?.kill();
  await sim?.stop();
});

describe('the agent refuses bad commands end to end and leaves the miner alone', () => {
  const sleep = () => ({ op: 'sleep', target: { kind: 'miner', minerKey } }) as const;
  const wake = () => ({ op: 'wake', target: { kind: 'miner', minerKey } }) as const;
  const now = () => sim.clock.now();

  it('refuses an unsigned command', async () => {
    const before = state();
    const { signature: _s, ...unsigned } = signer.command(AGENT, sleep(), { now: now(), seq: 10 });
    const r = await send(unsigned);
    expect(r).toMatchObject({ status: 'refused', refusal: 'unsigned', transport: null });
    untouched(before);
  });

  it('refuses an expired command', async () => {
    const before = state();
    const r = await send(signer.command(AGENT, sleep(), { now: now() - 120_000, ttlMs: 60_000, seq: 11 }));
    expect(r).toMatchObject({ status: 'refused', refusal: 'expired' });
    expect(r.message).toMatch(/expired at/);
    untouched(before);
  });

  it('refuses a command tampered with after signing (wake turned into sleep)', async () => {
    const before = state();
    const signed = signer.command(AGENT, wake(), { now: now(), seq: 12 });
    const r = await send({ ...signed, action: sleep() });
    expect(r).toMatchObject({ status: 'refused', refusal: 'bad_signature' });
    untouched(before);
  });

  it('refuses a command signed by a key the agent does not trust', async () => {
    const before = state();
    const r = await send(intruder.command(AGENT, sleep(), { now: now(), seq: 13 }));
    expect(r).toMatchObject({ status: 'refused', refusal: 'bad_signature' });
    untouched(before);
  });

  it('runs a good command through the same path, then refuses it replayed', async () => {
    const good = signer.command(AGENT, sleep(), { now: now(), seq: 20 });
    expect(await send(good)).toMatchObject({ status: 'succeeded', refusal: null, transport: 'rpc' });
    expect(sim.miner(minerId).mode).toBe('sleep');
    expect(await send(signer.command(AGENT, wake(), { now: now(), seq: 21 }))).toMatchObject({
      status: 'succeeded',
    });
    const before = state();
    untouched(before);
    // The same signed sleep again (a captured message re-published): seq 20 is behind 21.
    const replay = await publishCommand(controller, good).then(async () => {
      await consumer.waitFor(
        () => consumer.of('results').filter((x) => x.commandId === good.id).length === 2,
      );
      return consumer.of('results').filter((x) => x.commandId === good.id)[1]!;
    });
    expect(replay).toMatchObject({ status: 'refused', refusal: 'replayed', commandSeq: 20 });
    untouched(before);
  });

  it('refuses a command for another agent', async () => {
    const before = state();
    const other = signer.command('lab-c2', sleep(), { now: now(), seq: 30 });
    // Published on this agent's topic, as a misrouted or forwarded command would arrive.
    await controller.publishAsync(`hashfleet/v1/agents/${AGENT}/commands`, JSON.stringify(other), { qos: 1 });
    await consumer.waitFor(() => consumer.of('results').some((r) => r.commandId === other.id));
    expect(consumer.of('results').find((r) => r.commandId === other.id)).toMatchObject({
      status: 'refused',
      refusal: 'wrong_agent',
    });
    untouched(before);
  });
});
