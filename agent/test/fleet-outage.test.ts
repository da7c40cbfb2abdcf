import type { MinerSample } from '@hashfleet/contracts';
import { type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from '../src/agent.js';
import type { AgentConfig } from '../src/config.js';
import { Consumer, memoryLogger, simAgentConfig, TestBroker } from './helpers.js';

/**
 * A container of 300 simulated miners (three firmwares, eight kinds of fault) polled every
 * 30 s of simulated time. The broker is killed for two cycles (a minute) and the agent is
 * restarted in the middle of that minute. The consumer dedupes on (agentId, bootId, seq) like the
 * controller and then counts: every sample taken arrives exactly once, the outage's samples are
 * marked historical, and work is continuous across the restart.
 */
const CONNECTION_FAULTS = {
  m0003: { kind: 'dead' },
  m0007: { kind: 'hung' },
  m0011: { kind: 'garbage' },
  m0015: { kind: 'truncated' },
  m0019: { kind: 'slow', seconds: 4 },
} as const;
const HARDWARE_FAULTS = {
  m0023: { kind: 'dead-board', board: 0 },
  m0031: { kind: 'low-hashrate', factor: 0.5 },
} as const;
const RESET_MINER = 'm0040';

let sim: Simulation;
let broker: TestBroker;
let consumer: Consumer;
let config: AgentConfig;
const log = memoryLogger();
const cycleTimes: number[] = [];
const truth = new Map<string, number[]>();
let restarted: RunningAgent;
let firstBoot = '';
let linesBeforeRestart = 0;

async function cycle(agent: RunningAgent): Promise<void> {
  await sim.tick(30_000);
  cycleTimes.push(sim.clock.now());
  await agent.pollNow();
  for (const m of sim.miners) {
    const list = truth.get(m.id) ?? [];
    list.push(sim.miner(m.id).difficultyAccepted);
    truth.set(m.id, list);
  }
}

beforeAll(async () => {
  const scenario = smallScenario({
    miners: 300,
    profiles: ['antminer-stock', 'whatsminer-v2', 'whatsminer-v3'],
    pduPort: 21161,
  });
  scenario.containers[0]!.ipBlock = '127.99.0.0/22';
  sim = await startSimulation(scenario, { startMs: Date.UTC(2026, 5, 1) });
  broker = new TestBroker();
  await broker.start();
  consumer = await Consumer.connect(broker.url);
  config = simAgentConfig(sim, broker.url, { batch: { maxSamples: 100, maxDelayMs: 600_000 } });
  const now = () => sim.clock.now();

  const agent = await startAgent(config, { schedule: 'manual', now, logger: log.logger });
  firstBoot = agent.bootId;
  const found = await agent.scanNow();
  expect(found.filter((f) => f.status === 'found')).toHaveLength(300);
  for (const [id, fault] of Object.entries({ ...CONNECTION_FAULTS, ...HARDWARE_FAULTS }))
    await sim.setFault(id, fault);

  await cycle(agent); // 1: live
  await sim.setFault(RESET_MINER, { kind: 'counter-reset' });
  await cycle(agent); // 2: live
  expect(await agent.drained()).toBe(true);

  await broker.kill(); // the minute without a broker starts
  await cycle(agent); // 3: spooled by the first agent process
  await agent.stop();
  linesBeforeRestart = log.lines.length;
  restarted = await startAgent(config, { schedule: 'manual', now, logger: log.logger });
  await cycle(restarted); // 4: spooled by the restarted agent, before it ever connects

  broker.refused.add(config.agentId); // the consumer subscribes first, as a controller with a session would be
  await broker.start();
  await consumer.subscribed();
  broker.refused.delete(config.agentId);
  expect(await restarted.drained(20_000)).toBe(true);
  await cycle(restarted); // 5: live again
  expect(await restarted.drained()).toBe(true);
  await consumer.waitFor(() =>
    consumer.of('telemetry').some((t) => t.samples.some((s) => s.at === cycleTimes[4])),
  );
});

afterAll(async () => {
  await restarted?.stop();
  await consumer?.end();
  await broker?.kill();
  await sim?.stop();
});

const samples = (): MinerSample[] => consumer.of('telemetry').flatMap((t) => t.samples);
const keyOf = (id: string) => {
  const s = samples().find((x) => x.ip === sim.info(id).ip);
  return s?.minerKey;
};

describe('300 miners through a broker outage and an agent restart', () => {
  it('every message the consumer got matches the contract schemas', () => {
    expect(consumer.invalid).toEqual([]);
    expect(consumer.received.length).toBeGreaterThan(0);
  });

  it('every sample taken arrives exactly once after dedupe: 295 answering miners x 5 cycles', () => {
    const answering = sim.miners.filter((m) => !(m.id in CONNECTION_FAULTS));
    const all = samples();
    const keys = all.map((s) => `${s.minerKey}@${s.at}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(all).toHaveLength(answering.length * 5);
    for (const at of cycleTimes) expect(all.filter((s) => s.at === at)).toHaveLength(answering.length);
    // Duplicated deliveries (QoS 1 redelivery of in-flight messages) are possible and are counted, not lost.
    expect(consumer.duplicates).toBeGreaterThanOrEqual(0);
  });

  it('the outage cycles arrive marked historical, the live ones not', () => {
    for (const t of consumer.of('telemetry')) {
      const at = t.samples[0]?.at ?? t.unreachable[0]?.at;
      const outage = at === cycleTimes[2] || at === cycleTimes[3];
      expect(t.historical, `telemetry at ${at}`).toBe(outage);
    }
    const boots = new Set(consumer.of('telemetry').map((t) => t.bootId));
    expect(boots).toEqual(new Set([firstBoot, restarted.bootId]));
  });

  it('work is continuous across the restart and adds up to the true share counter', () => {
    for (const m of sim.miners) {
      if (m.id in CONNECTION_FAULTS || m.id === RESET_MINER) continue;
      const mine = samples()
        .filter((s) => s.ip === m.ip)
        .sort((a, b) => a.at - b.at);
      // Whatsminer v3 reports no difficulty counter: its work is estimated from hashrate, and says so.
      const estimated = mine.every((s) => s.difficultyAccepted === null);
      expect(mine[0]!.work).toEqual({
        diff1Shares: 0,
        sinceAt: null,
        counterReset: false,
        ...(estimated ? { provenance: 'estimated' } : {}),
      });
      for (let i = 1; i < mine.length; i++) expect(mine[i]!.work.sinceAt).toBe(mine[i - 1]!.at);
      const total = mine.slice(1).reduce((n, s) => n + s.work.diff1Shares, 0);
      const t = truth.get(m.id)!;
      if (estimated) {
        expect(mine.slice(1).every((s) => s.work.provenance === 'estimated')).toBe(true);
        // Same magnitude as the shares the simulated miner really had accepted (which are lumpy).
        expect(total / (t[4]! - t[0]!), m.id).toBeGreaterThan(0.5);
        expect(total / (t[4]! - t[0]!), m.id).toBeLessThan(1.5);
        continue;
      }
      expect(total, m.id).toBeCloseTo(t[4]! - t[0]!, 3);
    }
  });

  it('a daemon restart (counter reset) is detected and counted from zero', () => {
    const mine = samples()
      .filter((s) => s.ip === sim.info(RESET_MINER).ip)
      .sort((a, b) => a.at - b.at);
    expect(mine[1]!.work.counterReset).toBe(true);
    expect(mine[1]!.work.diff1Shares).toBe(mine[1]!.difficultyAccepted);
    expect(mine.filter((s) => s.work.counterReset)).toHaveLength(1);
  });

  it('dead, hung, garbage, truncated and slow miners are unreachable with the target first, logged down once', () => {
    const unreachable = consumer.of('telemetry').flatMap((t) => t.unreachable);
    for (const id of Object.keys(CONNECTION_FAULTS)) {
      const ip = sim.info(id).ip;
      const mine = unreachable.filter((u) => u.ip === ip);
      expect(mine.length, id).toBeGreaterThan(0);
      // Once per agent process: the restarted agent does not remember that the miner was down.
      const down = (l: string) => l.includes(`"msg":"miner ${ip}: `);
      expect(log.lines.slice(0, linesBeforeRestart).filter(down), id).toHaveLength(1);
      expect(log.lines.slice(linesBeforeRestart).filter(down), id).toHaveLength(1);
    }
    const hung = unreachable.find((u) => u.ip === sim.info('m0007').ip)!;
    expect(hung.error).toBe('summary: timeout after 2000 ms');
    const lost = consumer
      .of('events')
      .flatMap((e) => e.events)
      .filter((e) => e.type === 'miner.lost');
    expect(new Set(lost.map((e) => e.ip))).toEqual(
      new Set(Object.keys(CONNECTION_FAULTS).map((id) => sim.info(id).ip)),
    );
  });

  it('hardware faults (dead board, low hashrate) show in the samples, not as errors', () => {
    const last = (id: string) =>
      samples()
        .filter((s) => s.ip === sim.info(id).ip)
        .at(-1)!;
    expect(last('m0023').boards.some((b) => (b.hashrateThs ?? 1) === 0)).toBe(true);
    expect(last('m0031').hashrate5sThs!).toBeLessThan(last('m0031').expectedHashrateThs! * 0.7);
  });

  it('PDU power is published every cycle with outlets mapped to slots and energy deltas after the first', () => {
    const power = consumer.of('power');
    expect(power).toHaveLength(5 * 1);
    const pdus = power.flatMap((p) => p.pdus);
    expect(pdus).toHaveLength(5 * sim.pdus.length);
    const later = pdus.filter((p) => p.at === cycleTimes[4]);
    for (const p of later) {
      expect(p.outlets.length).toBe(24);
      expect(p.outlets[0]!.slot).not.toBeNull();
      // APC counts tenths of kWh, too coarse for 30 s; Raritan counts Wh.
      if (p.vendor === 'raritan-pdu2') expect(p.outlets.some((o) => (o.energySinceWh ?? 0) > 0)).toBe(true);
      // The simulated Raritan has no inlet table: its totals are null, not guessed.
      if (p.vendor === 'apc-rpdu2') expect(p.totalPowerW).toBeGreaterThan(0);
      else expect(p.totalPowerW).toBeNull();
    }
  });

  it('telemetry carries the agent self-metrics, and the spool ends empty', () => {
    const withMetrics = consumer.of('telemetry').filter((t) => t.agent !== null);
    expect(withMetrics.length).toBeGreaterThanOrEqual(5);
    expect(withMetrics.some((t) => (t.agent!.pollErrors['timeout'] ?? 0) > 0)).toBe(true);
    expect(restarted.metrics().spool.messages).toBe(0);
    expect(restarted.metrics().totals.historicalPublished).toBeGreaterThan(0);
    expect(keyOf('m0002')).toMatch(/^(SN|MAC)-/);
  });
});
