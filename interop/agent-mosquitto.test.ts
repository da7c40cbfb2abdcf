import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMessage, type MinerSample, topics } from '@hashfleet/contracts';
import { type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type RunningAgent, startAgent } from '../agent/src/agent.js';
import type { AgentConfig } from '../agent/src/config.js';
import { Consumer, memoryLogger, simAgentConfig } from '../agent/test/helpers.js';
import { freePort, MOSQUITTO, Mosquitto } from '../agent/test/servers.js';

/**
 * The agent against a real Mosquitto: a real outage (the broker process stopped for a few
 * seconds, then started again on the same port with its persistence) with an agent restart in the middle loses and duplicates no sample at a consumer with a
 * persistent session; and the agent run from its CLI, killed with SIGKILL, leaves the retained
 * status `offline`/`lwt` through its last will.
 */
const available = existsSync(MOSQUITTO);
const runOrSkip = !available && !process.env['CI'] ? describe.skip : describe;

runOrSkip('agent with a real Mosquitto', () => {
  let sim: Simulation;
  let broker: Mosquitto;
  let consumer: Consumer;
  let config: AgentConfig;
  const cycles: { from: number; to: number }[] = [];
  let agent: RunningAgent;

  async function cycle(a: RunningAgent): Promise<void> {
    const from = Date.now();
    await a.pollNow();
    cycles.push({ from, to: Date.now() });
  }

  beforeAll(async () => {
    const scenario = smallScenario({
      miners: 30,
      profiles: ['antminer-stock', 'whatsminer-v2', 'whatsminer-v3'],
      pdus: false,
    });
    sim = await startSimulation(scenario, { clock: 'real' });
    await sim.setFault('m0004', { kind: 'dead' });
    broker = new Mosquitto(mkdtempSync(join(tmpdir(), 'agent-mosq-')), await freePort());
    await broker.start();
    consumer = await Consumer.connect(broker.url, { clientId: 'interop-consumer', clean: false });
    config = simAgentConfig(sim, broker.url);
    config.miners.ranges = sim.miners.map((m) => m.ip);
    const log = memoryLogger();
    agent = await startAgent(config, { schedule: 'manual', logger: log.logger });
    await agent.scanNow();
    await cycle(agent); // live
    expect(await agent.drained()).toBe(true);
    // The outage. SIGTERM, not SIGKILL: Mosquitto saves the consumer's persistent session on exit; a
    // SIGKILL can lose it, and then the broker drops what the agent replays before the consumer is back.
    await broker.stop('SIGTERM');
    await cycle(agent); // spooled
    await agent.stop();
    agent = await startAgent(config, { schedule: 'manual', logger: log.logger });
    expect(agent.metrics().spool.recovered).toBeGreaterThan(0);
    await cycle(agent); // spooled by the restarted agent
    await new Promise((r) => setTimeout(r, 2000));
    await broker.start();
    await consumer.subscribed();
    expect(await agent.drained(30_000)).toBe(true);
    await cycle(agent); // live
    expect(await agent.drained()).toBe(true);
    const answering = 29;
    await consumer.waitFor(
      () => samples().filter((s) => s.at >= cycles[3]!.from).length >= answering,
      20_000,
    );
  });

  afterAll(async () => {
    await agent?.stop();
    await consumer?.end();
    await broker?.stop();
    await sim?.stop();
  });

  const samples = (): MinerSample[] => consumer.of('telemetry').flatMap((t) => t.samples);

  it('every sample of every cycle arrives once after dedupe; the outage ones historical', () => {
    expect(consumer.invalid).toEqual([]);
    const all = samples();
    const keys = all.map((s) => `${s.minerKey}@${s.at}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const [i, c] of cycles.entries()) {
      const inCycle = all.filter((s) => s.at >= c.from && s.at <= c.to);
      expect(inCycle, `cycle ${i}`).toHaveLength(29);
    }
    for (const t of consumer.of('telemetry')) {
      const at = t.samples[0]?.at ?? 0;
      const outage = at >= cycles[1]!.from && at <= cycles[2]!.to;
      expect(t.historical).toBe(outage);
    }
  });

  it('work continues across the agent restart (sinceAt chains to the previous sample)', () => {
    const byMiner = new Map<string, MinerSample[]>();
    for (const s of samples()) byMiner.set(s.minerKey, [...(byMiner.get(s.minerKey) ?? []), s]);
    for (const list of byMiner.values()) {
      list.sort((a, b) => a.at - b.at);
      if (list[0]!.difficultyAccepted === null) continue;
      for (let i = 1; i < list.length; i++) expect(list[i]!.work.sinceAt).toBe(list[i - 1]!.at);
    }
  });

  it('the CLI-run agent publishes, and SIGKILL leaves a retained offline status from its last will', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-cli-'));
    const file = join(dir, 'agent.yaml');
    writeFileSync(
      file,
      stringify({
        agentId: 'cli-agent',
        siteId: 'lab',
        containerId: 'c1',
        miners: { ranges: sim.miners.slice(0, 6).map((m) => m.ip), ports: { rpc: sim.miners[0]!.ports.rpc } },
        polling: { intervalMs: 500, jitterMs: 0 },
        spool: { dir: join(dir, 'spool'), fsync: 'always' },
        mqtt: { url: broker.url, keepaliveS: 5, reconnectMs: 200 },
        log: { level: 'warn' },
      }),
    );
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', 'agent/src/cli.ts', 'run', file],
      {
        stdio: 'ignore',
      },
    );
    try {
      await consumer.waitFor(
        () => consumer.of('telemetry').some((t) => t.agentId === 'cli-agent' && t.samples.length > 0),
        30_000,
      );
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    const retained = await new Promise<string>((resolve) => {
      const c = mqtt.connect(broker.url);
      c.on('message', (_t, p, packet) => {
        const text = p.toString();
        if (packet.retain && text.includes('"offline"')) {
          c.end(true);
          resolve(text);
        }
      });
      c.subscribe(topics.status('cli-agent'), { qos: 1 });
    });
    const status = decodeMessage('status', retained, 'cli-agent');
    expect(status.ok && status.value).toMatchObject({ state: 'offline', reason: 'lwt' });
  });
});
