import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig, startAgent } from '@hashfleet/agent';
import { createToken, type RunningController } from '@hashfleet/controller';
import { alertsFor } from '@hashfleet/controller/alerts/index';
import { loadScenario, parseScenario, type Simulation, startSimulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfigFor, agentIdOf } from '../src/agents.js';
import { waitFor } from '../src/wait.js';
import { metricValue, startTestController } from './harness.js';

/**
 * Alerts end to end: the simulator's fault modes, a real agent, the embedded broker, the
 * controller's alert engine (driven tick by tick) and a real local webhook receiver.
 * The simulator's clock is manual: each poll moves simulated time 30 s, so a failed fan heats
 * its miner over simulated minutes.
 */
const HOT = 'sc-c1-r5-s01'; // Antminer S9 (Braiins OS), 2 fans: one failed fan overheats it
const SLEEPER = 'sc-c1-r5-s02'; // Antminer S9, failed fan too, but put to sleep first
const HIJACKED = 'sc-c1-r1-s01'; // Antminer S19 Pro, pool changed behind our back
const FLAPPING = 'sc-c1-r1-s02'; // dead on one poll, alive on the next
const DEAD = 'sc-c1-r1-s03'; // dead for good: the one offline alert that must be notified
const HEALTHY = 'sc-c1-r1-s04';
const IDS = [HOT, SLEEPER, HIJACKED, FLAPPING, DEAD, HEALTHY];

function scenario() {
  const demo = loadScenario('demo');
  const container = demo.containers.find((c) => c.id === 'sc-c1')!;
  const miners = demo.miners.filter((m) => IDS.includes(m.id)).map((m) => ({ ...m, pdu: null }));
  return parseScenario({
    ...demo,
    addressing: 'free-block',
    containers: [container],
    miners,
    pdus: [],
    faults: [],
  });
}

let controller: RunningController;
let sim: Simulation;
let agent: Awaited<ReturnType<typeof startAgent>>;
let alerts: ReturnType<typeof alertsFor>;
let dataDir: string;
let operator = '';
let hook: Server;
const deliveries: { event: string; kind: string; subject: string; minerId: string | null }[] = [];
const minerIds = new Map<string, string>();

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${controller.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${operator}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
};

const applied = () =>
  metricValue(controller.url, 'hashfleet_ingest_messages_total{kind="telemetry",result="applied"}');

/** One poll cycle: simulated time moves 30 s, the agent polls and publishes, the controller applies it, alerts evaluate, the outbox drains. */
async function cycle() {
  await sim.tick(30_000);
  const before = await applied();
  await agent.pollNow();
  await agent.drained(5000);
  await waitFor('telemetry applied', async () => (await applied()) > before, { everyMs: 20 });
  await alerts.tick(Date.now());
  while ((await alerts.deliver(Date.now())).delivered > 0);
}

type AlertView = {
  kind: string;
  state: string;
  minerId: string | null;
  message: string;
  rack: string | null;
  slot: string | null;
};
const open = async (simId: string): Promise<AlertView[]> =>
  (await api('GET', `/alerts?state=open&miner=${minerIds.get(simId)}`)) as AlertView[];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hashfleet-alerts-e2e-'));
  // The test evaluates the rules itself, once per poll cycle (`cycle`); the controller's own alerts
  // job would add evaluations of the same poll between them and open the flapping miner's alert.
  controller = await startTestController(dataDir, { config: { alerts: { evaluateEveryS: 3_600 } } });
  operator = await createToken(controller.db, { role: 'operator', name: 'operator-e2e' });
  alerts = alertsFor(controller.app.hashfleet);
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      const b = JSON.parse(body);
      deliveries.push({ event: b.event, kind: b.alert.kind, subject: b.subject, minerId: b.minerId });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  await api('POST', '/alert-webhooks', {
    url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`,
  });

  sim = await startSimulation(scenario(), { pdus: false, startMs: Date.now() });
  const container = sim.scenario.containers[0]!;
  const agentId = agentIdOf(container.id);
  const token = await createToken(controller.db, { role: 'agent', name: agentId });
  const config = loadAgentConfig(
    agentConfigFor(sim.scenario, container, {
      mqttUrl: controller.mqttUrl,
      dataDir,
      agentToken: token,
      commandPublicKeyPem: controller.commandPublicKey,
      pollS: 1,
      logLevel: 'warn',
    }) as Record<string, unknown>,
    dataDir,
  );
  // The agent lives on simulated time too, so its re-probe back-off of a dead miner is in simulated seconds.
  agent = await startAgent(config, { schedule: 'manual', now: () => sim.clock.now() });
  await agent.scanNow();
  await waitFor(
    'all miners in the controller',
    async () => {
      await cycle();
      // By slot: the agent reports each miner's rack and slot, the simulator placed it there.
      const rows = await controller.db.all<{ id: string; rack: string; slot: string }>(
        'SELECT m.id, s.rack, s.slot FROM miners m JOIN slots s ON s.id = m.slot_id',
      );
      for (const id of IDS) {
        const m = rows.find((r) => r.rack === sim.info(id).rack && r.slot === sim.info(id).slot);
        if (m) minerIds.set(id, m.id);
      }
      return minerIds.size === IDS.length;
    },
    { timeoutMs: 60_000, everyMs: 100 },
  );
  // The site's allowed pools: the ones the fleet is configured with (the simulator's own pool).
  await api('POST', '/alert-rules', {
    kind: 'pool_not_allowed',
    scope: 'site',
    scopeId: 'sichuan',
    params: { allowedPools: [sim.miner(HIJACKED).pool.url] },
  });
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await sim?.stop();
  await controller?.stop();
  await new Promise<void>((r) => (hook ? hook.close(() => r()) : r()));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('alerts end to end with the simulator', () => {
  it('healthy miners raise nothing', async () => {
    await cycle();
    await cycle();
    const all = (await api('GET', '/alerts')) as AlertView[];
    expect(all).toEqual([]);
  });

  it('a failed fan raises fan_failed, then chip over-temperature as the miner heats up; a sleeping miner with the same fault raises nothing', async () => {
    const sleep = await api('POST', `/miners/${minerIds.get(SLEEPER)}/commands`, { op: 'sleep' });
    expect(sleep.state).toBe('sent');
    await waitFor('sleeper asleep', async () => sim.miner(SLEEPER).mode === 'sleep');
    await sim.setFault(HOT, { kind: 'failed-fan', fan: 0 });
    await sim.setFault(SLEEPER, { kind: 'failed-fan', fan: 0 });
    await cycle();
    await cycle();
    expect((await open(HOT)).map((a) => a.kind)).toEqual(['fan_failed']);
    await waitFor(
      'chip over-temperature',
      async () => {
        await cycle();
        return (await open(HOT)).some((a) => a.kind === 'chip_overtemp');
      },
      { timeoutMs: 60_000, everyMs: 0 },
    );
    const hot = await open(HOT);
    const chip = hot.find((a) => a.kind === 'chip_overtemp')!;
    expect(chip.message).toMatch(/^chip \d+ °C ≥ 90 °C$/);
    expect({ rack: chip.rack, slot: chip.slot }).toEqual({ rack: 'R5', slot: 'S1' });
    expect(Math.max(...sim.miner(HOT).chipTempC)).toBeGreaterThanOrEqual(90);
    expect(await open(SLEEPER)).toEqual([]);
    const told = deliveries.filter((d) => d.minerId === minerIds.get(HOT)).map((d) => `${d.event}:${d.kind}`);
    expect(told).toEqual(['opened:fan_failed', 'opened:chip_overtemp']);
  });

  it('a pool changed behind our back raises the hijack alert (worker changed, pool not allowed)', async () => {
    await sim.setFault(HIJACKED, { kind: 'pool-changed' });
    await cycle();
    const kinds = (await open(HIJACKED)).map((a) => a.kind).sort();
    expect(kinds).toEqual(['pool_not_allowed', 'worker_changed']);
    const worker = (await open(HIJACKED)).find((a) => a.kind === 'worker_changed')!;
    expect(worker.message).toContain('intruder.worker1');
  });

  it('a miner flapping dead/alive every poll does not flood notifications; a miner dead for good is notified once', async () => {
    await sim.setFault(DEAD, { kind: 'dead' });
    const before = deliveries.length;
    for (let i = 0; i < 12; i++) {
      if (i % 2 === 0) await sim.setFault(FLAPPING, { kind: 'dead' });
      else await sim.clearFault(FLAPPING, 'dead');
      await cycle();
    }
    const flapping = deliveries.slice(before).filter((d) => d.minerId === minerIds.get(FLAPPING));
    const dead = deliveries.slice(before).filter((d) => d.minerId === minerIds.get(DEAD));
    expect(dead.map((d) => `${d.event}:${d.kind}`)).toEqual(['opened:offline']);
    // Dead on one poll, back on the next: never two bad polls in a row, so nothing opens.
    expect(flapping).toEqual([]);
    expect((await open(HEALTHY)).length).toBe(0);
  });

  it('with a hair-trigger offline rule the flapping miner opens and resolves every cycle, yet notifications stop at the flap budget', async () => {
    const rule = await api('POST', '/alert-rules', {
      kind: 'offline',
      scope: 'container',
      scopeId: 'sc-c1',
      forPolls: 1,
      clearPolls: 1,
    });
    const before = deliveries.length;
    for (let i = 0; i < 16; i++) {
      if (i % 2 === 0) await sim.setFault(FLAPPING, { kind: 'dead' });
      else await sim.clearFault(FLAPPING, 'dead');
      await cycle();
    }
    const opened = await controller.db.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM alerts WHERE rule_id = ? AND miner_id = ?`,
      [rule.id, minerIds.get(FLAPPING)!],
    );
    expect(opened!.n).toBe(8);
    const flapping = deliveries.slice(before).filter((d) => d.minerId === minerIds.get(FLAPPING));
    expect(flapping.map((d) => d.event)).toEqual([
      'opened',
      'resolved',
      'opened',
      'resolved',
      'opened',
      'resolved',
      'flapping',
    ]);
  });
});
