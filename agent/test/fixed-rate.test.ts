import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Simulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from '../src/agent.js';
import { loadAgentConfig } from '../src/config.js';
import { type Consumer, memoryLogger, realClockFleet, type TestBroker } from './helpers.js';

/**
 * The agent's own timers (issue 15 item 5) against 10 simulated miners, the last of which answers
 * every request only after 3 s. The scan probes one address at a time, so it is still on that slow
 * miner when the others have answered: their first samples must arrive while it runs. Cycles start
 * every 400 ms whatever the slow miner does: the fast ones are polled cycle after cycle while the
 * slow one, still being polled, is skipped and counted.
 */
let sim: Simulation;
let broker: TestBroker;
let consumer: Consumer;
let fleet: Awaited<ReturnType<typeof realClockFleet>>;
let agent: RunningAgent;

beforeAll(async () => {
  fleet = await realClockFleet(10);
  ({ sim, broker, consumer } = fleet);
  await sim.setFault(sim.miners.at(-1)!.id, { kind: 'slow', seconds: 3 });
});

afterAll(async () => {
  await agent?.stop();
  await fleet?.stop();
});

describe('fixed-rate polling', () => {
  it('polls the first miners during the scan, and does not wait for the slow one', async () => {
    const config = loadAgentConfig({
      agentId: 'rate-c1',
      siteId: 'lab',
      containerId: 'c1',
      miners: { ranges: sim.miners.map((m) => m.ip), ports: { rpc: sim.miners[0]!.ports.rpc } },
      polling: { intervalMs: 400, jitterMs: 100, requestTimeoutMs: 8000 },
      discovery: { concurrency: 1, timeoutMs: 8000 },
      batch: { maxDelayMs: 50 },
      spool: { dir: mkdtempSync(join(tmpdir(), 'agent-rate-')), fsync: 'never' },
      mqtt: { url: broker.url, reconnectMs: 100, delivery: 'brokerAck' },
    });
    agent = await startAgent(config, { logger: memoryLogger().logger });
    await consumer.waitFor(() => consumer.of('telemetry').some((t) => t.samples.length > 0), 20_000);
    expect(agent.metrics().scanning).toBe(true);

    const slowIp = sim.miners.at(-1)!.ip;
    const fastIp = sim.miners[0]!.ip;
    const samplesOf = (ip: string) =>
      consumer.of('telemetry').flatMap((t) => t.samples.filter((s) => s.ip === ip));
    await consumer.waitFor(() => samplesOf(fastIp).length >= 4, 20_000);
    await consumer.waitFor(() => agent.metrics().totals.skippedBusy > 0, 20_000);
    // The fast miner went round several cycles while the slow one had one poll at most.
    expect(samplesOf(slowIp).length).toBeLessThanOrEqual(1);
  });
});
