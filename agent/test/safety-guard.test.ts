import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Events, topics } from '@hashfleet/contracts';
import { type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from '../src/agent.js';
import type { AgentConfig } from '../src/config.js';
import { Consumer, memoryLogger, simAgentConfig, TestBroker } from './helpers.js';
import { RuleSigner } from './safety-sign.js';

/**
 * Local safety through the real agent: Braiins OS miners (sleep is an RPC `pause`) in the
 * simulator, an aedes broker that is killed, a rule set signed like the controller's and retained
 * on the agent's safety topic. With the broker down, a miner whose fan failed overheats and is put
 * to sleep by its agent; the action is reported exactly once when the broker is back; a rule set
 * that is unsigned or tampered with is refused and the held one keeps protecting, also across a
 * restart while the broker is still down.
 */
const AGENT = 'lab-c1';
let sim: Simulation;
let broker: TestBroker;
let consumer: Consumer;
let controller: MqttClient;
let config: AgentConfig;
let agent: RunningAgent;
const signer = new RuleSigner();
const log = memoryLogger();
const rulesFile = () => join(config.spool.dir, 'safety-rules.json');
const heldRevision = () => (JSON.parse(readFileSync(rulesFile(), 'utf8')) as { revision: number }).revision;

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls every 30 s of simulated time until the miner sleeps (or `max` cycles pass). */
async function pollUntilAsleep(a: RunningAgent, minerId: string, max = 20): Promise<number> {
  for (let i = 1; i <= max; i++) {
    await sim.tick(30_000);
    await a.pollNow();
    if (sim.miner(minerId).mode === 'sleep') return i;
  }
  return -1;
}

/** The consumer subscribes first, as a controller with a persistent session would be. */
async function reopenBroker(): Promise<void> {
  broker.refused.add(AGENT);
  await broker.start();
  await consumer.subscribed();
  broker.refused.delete(AGENT);
}

const safetyEvents = () =>
  consumer
    .of('events')
    .flatMap((m: Events) => m.events.map((e) => ({ e, historical: m.historical })))
    .filter((x) => x.e.type === 'safety.action');

beforeAll(async () => {
  const scenario = smallScenario({ miners: 3, profiles: ['braiins-os'], pduPort: 21_187 });
  sim = await startSimulation(scenario, { startMs: Date.UTC(2026, 6, 1) });
  broker = new TestBroker();
  await broker.start();
  consumer = await Consumer.connect(broker.url, { clientId: 'safety-consumer', clean: false });
  controller = await mqtt.connectAsync(broker.url, { clientId: 'safety-controller' });
  config = simAgentConfig(sim, broker.url, {
    agentId: AGENT,
    commands: { publicKeys: [{ base64: signer.publicKeyBase64 }] },
  });
  await controller.publishAsync(topics.safety(AGENT), JSON.stringify(signer.ruleSet(AGENT, 1)), {
    qos: 1,
    retain: true,
  });
  agent = await startAgent(config, { schedule: 'manual', now: () => sim.clock.now(), logger: log.logger });
  await agent.scanNow();
  await until('the retained rule set to be held', () => existsSync(rulesFile()));
}, 30_000);

afterAll(async () => {
  await agent?.stop();
  await controller?.endAsync(true);
  await consumer?.end();
  await broker?.kill();
  await sim?.stop();
});

describe('local safety on the agent', () => {
  it('refuses an unsigned and a tampered rule set and keeps the one it holds', async () => {
    const weaker = signer.ruleSet(AGENT, 2, { rules: [] });
    const { signature: _s, ...unsigned } = weaker;
    const tampered = { ...signer.ruleSet(AGENT, 3), defaultLimits: { chipTempMaxC: 500 }, modelLimits: {} };
    for (const bad of [unsigned, tampered]) {
      await controller.publishAsync(topics.safety(AGENT), JSON.stringify(bad), { qos: 1, retain: true });
    }
    await until(
      'both refusals to be counted',
      () => log.lines.filter((l) => l.includes('safety: rule set refused')).length >= 2,
    );
    expect(heldRevision()).toBe(1);
    const text = await agent.metricsText();
    expect(text).toMatch(/kind="safety-unsigned"} 1/);
    expect(text).toMatch(/kind="safety-bad_signature"} 1/);
  });

  it('with the broker down, sleeps the miner whose fan failed, leaves the others, and reports it once when the broker is back', async () => {
    expect(await agent.drained()).toBe(true);
    await broker.kill();
    await sim.setFault('m0001', { kind: 'failed-fan', fan: 0 });
    const cycles = await pollUntilAsleep(agent, 'm0001');
    expect(cycles).toBeGreaterThanOrEqual(2);
    expect(sim.miner('m0002').mode).toBe('normal');
    expect(sim.miner('m0003').mode).toBe('normal');
    // Still hot for a while after sleeping: the agent does not act again on every poll.
    for (let i = 0; i < 3; i++) {
      await sim.tick(30_000);
      await agent.pollNow();
    }
    expect(agent.metrics().connected).toBe(false);

    await reopenBroker();
    expect(await agent.drained(15_000)).toBe(true);
    await until('the safety event to arrive', () => safetyEvents().length > 0);
    const events = safetyEvents();
    expect(events).toHaveLength(1);
    expect(events[0]!.historical).toBe(true);
    expect(events[0]!.e).toMatchObject({
      type: 'safety.action',
      ruleId: 'chip-overtemp',
      revision: 1,
      metric: 'chipTempMaxC',
      limit: 90,
      action: 'sleep',
      connected: false,
      status: 'succeeded',
    });
    expect((events[0]!.e as { value: number }).value).toBeGreaterThan(90);
  });

  it('keeps protecting after a restart while the broker is down, from the rule set it kept on disk', async () => {
    await agent.stop();
    await broker.kill();
    agent = await startAgent(config, { schedule: 'manual', now: () => sim.clock.now(), logger: log.logger });
    expect(log.lines.some((l) => l.includes('rule set restored from disk'))).toBe(true);
    await sim.setFault('m0002', { kind: 'failed-fan', fan: 0 });
    expect(await pollUntilAsleep(agent, 'm0002')).toBeGreaterThanOrEqual(2);
    expect(sim.miner('m0003').mode).toBe('normal');
    await reopenBroker();
    expect(await agent.drained(15_000)).toBe(true);
    await until('the second safety event', () => safetyEvents().length >= 2);
    expect(safetyEvents().map((x) => x.e.minerKey)).toHaveLength(2);
  });
});
