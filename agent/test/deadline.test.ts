import { type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from '../src/agent.js';
import { Consumer, memoryLogger, simAgentConfig, TestBroker } from './helpers.js';
import { freePort } from './servers.js';

/** A hung miner (accepts, never answers) and a slow one cost their own deadline and nothing else. */
let sim: Simulation;
let broker: TestBroker;
let consumer: Consumer;
let agent: RunningAgent;
let wallNow = Date.now();
let metricsPort = 0;

beforeAll(async () => {
  sim = await startSimulation(
    smallScenario({ miners: 8, profiles: ['antminer-stock', 'whatsminer-v2'], pdus: false }),
  );
  broker = new TestBroker();
  await broker.start();
  consumer = await Consumer.connect(broker.url);
  const config = simAgentConfig(sim, broker.url);
  config.miners.ranges = sim.miners.map((m) => m.ip);
  config.polling.requestTimeoutMs = 1000; // long enough that a loaded machine starts every poll before it
  config.polling.backoffInitialMs = 60_000;
  metricsPort = await freePort();
  config.metrics = { mode: 'on', host: '127.0.0.1', port: metricsPort };
  agent = await startAgent(config, { schedule: 'manual', now: () => wallNow, logger: memoryLogger().logger });
  await agent.scanNow();
  await sim.setFault('m0002', { kind: 'hung' });
  await sim.setFault('m0005', { kind: 'slow', seconds: 5 });
});

afterAll(async () => {
  await agent?.stop();
  await consumer?.end();
  await broker?.kill();
  await sim?.stop();
});

describe('hard deadlines', () => {
  it('the cycle ends at the hung miner deadline; the others were polled alongside, not after it', async () => {
    // The agent clock is the wall clock here, so sample times order the events of the cycle.
    const agentClock = setInterval(() => {
      wallNow = Date.now();
    }, 5);
    const stats = await agent.pollNow();
    clearInterval(agentClock);
    await agent.drained();
    await consumer.waitFor(() => consumer.of('telemetry').length > 0);
    const t = consumer.of('telemetry')[0]!;
    expect(stats).toMatchObject({ polled: 6, failed: 2 });
    const hung = t.unreachable.find((u) => u.ip === sim.info('m0002').ip)!;
    const slow = t.unreachable.find((u) => u.ip === sim.info('m0005').ip)!;
    expect(hung.error).toBe('summary: timeout after 1000 ms');
    expect(slow.error).toBe('summary: timeout after 1000 ms');
    // Not queued behind it: every other miner's poll started before the hung one gave up.
    for (const s of t.samples) expect(s.at - s.pollMs).toBeLessThan(hung.at);
    expect(t.samples).toHaveLength(6);
  });

  it('next cycle the dead ones are in back-off and not contacted at all', async () => {
    const stats = await agent.pollNow();
    expect(stats).toMatchObject({ polled: 6, failed: 0, skipped: 2 });
  });

  it('the local /metrics endpoint shows poll durations, timeouts and the spool', async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toMatch(/hashfleet_agent_poll_seconds_count\{outcome="ok"\} 12/);
    expect(text).toMatch(/hashfleet_agent_errors_total\{target="miner",kind="timeout"\} 2/);
    expect(text).toMatch(/hashfleet_agent_spool_messages \d+/);
    expect(text).toContain('hashfleet_agent_publish_seconds_bucket');
  });
});
