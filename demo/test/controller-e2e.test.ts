import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig, startAgent } from '@hashfleet/agent';
import { type MinerSample, type Telemetry, topics } from '@hashfleet/contracts';
import { createToken, type RunningController } from '@hashfleet/controller';
import { loadScenario, parseScenario, type Simulation, startSimulation } from '@hashfleet/simulator';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfigFor, agentIdOf } from '../src/agents.js';
import { waitFor } from '../src/wait.js';
import { metricValue, startTestController } from './harness.js';

/**
 * The controller core end to end with the embedded broker: the simulator's miners, one real agent
 * per container (4 containers), the controller's API. The simulator's clock is manual, so the
 * values it generated stay put while we compare them with what the API shows.
 */
const PER_CONTAINER = 4;

function scenario() {
  const demo = loadScenario('demo');
  const containers = demo.containers.slice(0, 4);
  const miners = containers.flatMap((c) =>
    demo.miners
      .filter((m) => m.containerId === c.id)
      .slice(0, PER_CONTAINER)
      .map((m) => ({ ...m, pdu: null })),
  );
  return parseScenario({ ...demo, addressing: 'free-block', containers, miners, pdus: [], faults: [] });
}

type Agent = Awaited<ReturnType<typeof startAgent>>;
let controller: RunningController;
let sim: Simulation;
const agents: Agent[] = [];
let dataDir: string;
let admin: string;
const agentTokens = new Map<string, string>();

const api = async <T>(path: string): Promise<T> => {
  const res = await fetch(`${controller.url}/api/v1${path}`, {
    headers: { authorization: `Bearer ${admin}` },
  });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};
const metric = (name: string) => metricValue(controller.url, name);

async function pollAll() {
  for (const a of agents) {
    await a.pollNow();
    await a.drained(5000);
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hashfleet-ctl-e2e-'));
  controller = await startTestController(dataDir);
  admin = await createToken(controller.db, { role: 'admin', name: 'admin-e2e' });
  sim = await startSimulation(scenario(), { pdus: false });
  for (const container of sim.scenario.containers) {
    const agentId = agentIdOf(container.id);
    const token = await createToken(controller.db, { role: 'agent', name: agentId });
    agentTokens.set(agentId, token);
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
    const agent = await startAgent(config, { schedule: 'manual' });
    await agent.scanNow();
    agents.push(agent);
  }
}, 90_000);

afterAll(async () => {
  for (const a of agents) await a.stop();
  await sim?.stop();
  await controller?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

type Slot = {
  rack: string;
  slot: string;
  minerId: string | null;
  serial: string | null;
  model: string | null;
  hashrateThs: number | null;
  online: boolean;
};

describe('controller end to end: simulator -> agents -> embedded broker -> controller API', () => {
  it('shows every miner of 4 containers in its slot with the values the simulator generated', async () => {
    const want = sim.scenario.miners.length;
    await waitFor(
      `${want} miners in the API`,
      async () => {
        await pollAll();
        const list = await api<{ total: number; miners: { online: boolean }[] }>('/miners?limit=1000');
        return list.miners.filter((m) => m.online).length === want;
      },
      { timeoutMs: 60_000, everyMs: 200 },
    );
    // A poll at a fixed simulated instant: the agents' samples are the simulator's current state.
    await pollAll();
    for (const container of sim.scenario.containers) {
      const view = await api<{ racks: { rack: string; slots: Slot[] }[]; agentId: string }>(
        `/containers/${container.id}`,
      );
      expect(view.agentId).toBe(agentIdOf(container.id));
      const slots = view.racks.flatMap((r) => r.slots);
      const expected = sim.scenario.miners.filter((m) => m.containerId === container.id);
      expect(slots.filter((s) => s.minerId)).toHaveLength(expected.length);
      for (const spec of expected) {
        const truth = sim.miner(spec.id);
        const slot = slots.find((s) => s.rack === spec.rack && s.slot === spec.slot);
        expect(slot, `${container.id} ${spec.rack}/${spec.slot}`).toBeDefined();
        // Stock Antminer APIs report no serial (the agent keys them by IP); when one is reported it must match.
        if (slot!.serial !== null) expect(slot!.serial).toBe(truth.serial);
        expect(slot!.model).toBe(truth.model);
        expect(slot!.online).toBe(true);
        // Firmwares round hashrate in their replies (GH/s with 2 decimals, or TH/s).
        expect(slot!.hashrateThs!).toBeCloseTo(truth.hashrateThs, 0);
      }
    }
    const agentsView = await api<{ id: string; online: boolean }[]>('/agents');
    expect(
      agentsView
        .filter((a) => a.online)
        .map((a) => a.id)
        .sort(),
    ).toEqual(sim.scenario.containers.map((c) => agentIdOf(c.id)).sort());
  });

  it('rejects and counts a malformed telemetry payload while ingest goes on', async () => {
    const agentId = agentIdOf(sim.scenario.containers[0]!.id);
    const before = await metric('hashfleet_ingest_malformed_total{kind="telemetry"}');
    const client = await mqtt.connectAsync(controller.mqttUrl, {
      clientId: `${agentId}-probe`,
      username: agentId,
      password: agentTokens.get(agentId)!,
    });
    await client.publishAsync(topics.telemetry(agentId), '{"v":1,"kind":"telemetry","samples":"lots"}', {
      qos: 1,
    });
    await client.endAsync();
    await waitFor('malformed counted', async () =>
      (await metric('hashfleet_ingest_malformed_total{kind="telemetry"}')) === before + 1 ? true : null,
    );
    const samplesBefore = await metric('hashfleet_ingest_samples_total');
    await pollAll();
    await waitFor('ingest continues', async () =>
      (await metric('hashfleet_ingest_samples_total')) >= samplesBefore + sim.scenario.miners.length
        ? true
        : null,
    );
  });

  it('counts a duplicate batch once in the hourly aggregates', async () => {
    const container = sim.scenario.containers[1]!;
    const agentId = agentIdOf(container.id);
    const spec = sim.scenario.miners.find((m) => m.containerId === container.id)!;
    const inContainer = await api<{ miners: { id: string; rack: string; slot: string }[] }>(
      `/miners?containerId=${container.id}`,
    );
    const minerId = inContainer.miners.find((m) => m.rack === spec.rack && m.slot === spec.slot)!.id;
    const detail = await api<{ sample: MinerSample }>(`/miners/${minerId}`);
    const at = Date.now();
    const batch: Telemetry = {
      v: 1,
      agentId,
      bootId: 'dup-test-boot-0001',
      seq: 1,
      sentAt: at,
      historical: false,
      kind: 'telemetry',
      siteId: container.siteId,
      containerId: container.id,
      samples: [
        { ...detail.sample, at, work: { diff1Shares: 123_456, sinceAt: at - 1000, counterReset: false } },
      ],
      unreachable: [],
      agent: null,
    };
    const hourStart = Math.floor(at / 3_600_000) * 3_600_000;
    const shares = async () =>
      (
        await controller.db.get<{ d: number }>(
          'SELECT diff1_shares AS d FROM container_hourly WHERE container_id = ? AND hour_start = ?',
          [container.id, hourStart],
        )
      )?.d ?? 0;
    const before = await shares();
    const dupBefore = await metric('hashfleet_ingest_duplicates_total{kind="telemetry"}');
    const client = await mqtt.connectAsync(controller.mqttUrl, {
      clientId: `${agentId}-dup`,
      username: agentId,
      password: agentTokens.get(agentId)!,
    });
    await client.publishAsync(topics.telemetry(agentId), JSON.stringify(batch), { qos: 1 });
    await client.publishAsync(topics.telemetry(agentId), JSON.stringify(batch), { qos: 1 });
    await client.endAsync();
    await waitFor('duplicate counted', async () =>
      (await metric('hashfleet_ingest_duplicates_total{kind="telemetry"}')) === dupBefore + 1 ? true : null,
    );
    expect(await shares()).toBe(before + 123_456);
  });
});
