import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig, startAgent } from '@hashfleet/agent';
import { type MinerSample, type Telemetry, TelemetrySchema, topics } from '@hashfleet/contracts';
import {
  createToken,
  loadControllerConfig,
  type RunningController,
  startController,
} from '@hashfleet/controller';
import { allMigrations } from '@hashfleet/controller/core/app';
import { openDb } from '@hashfleet/controller/core/storage/db';
import { migrate } from '@hashfleet/controller/core/storage/migrate';
import { agentConfigFor, agentIdOf } from '@hashfleet/demo/agents';
import { waitFor } from '@hashfleet/demo/wait';
import { loadScenario, parseScenario, type Simulation, startSimulation } from '@hashfleet/simulator';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_URL, pgReachable, pgSchemaUrl } from '../controller/test/helpers.js';
import {
  exportSeries,
  freePort,
  MOSQUITTO,
  type Mosquitto,
  startMosquitto,
  VICTORIA,
  type Victoria,
  victoriaMetrics,
} from '../controller/test/servers.js';

/**
 * The controller end to end against real servers: Mosquitto (with the deploy ACL, shared
 * subscription, persistent session), PostgreSQL, and VictoriaMetrics taking InfluxDB v2 writes.
 * Simulator miners, one real agent per container (4 containers). What the agents published is
 * read back from VictoriaMetrics point for point.
 */
const ready = existsSync(MOSQUITTO) && existsSync(VICTORIA) && (await pgReachable(PG_URL));
const runOrSkip = !ready && !process.env.CI ? describe.skip : describe;

function scenario() {
  const demo = loadScenario('demo');
  const containers = demo.containers.slice(0, 4);
  const miners = containers.flatMap((c) =>
    demo.miners
      .filter((m) => m.containerId === c.id)
      .slice(0, 4)
      .map((m) => ({ ...m, pdu: null })),
  );
  return parseScenario({ ...demo, addressing: 'free-block', containers, miners, pdus: [], faults: [] });
}

runOrSkip('controller with Mosquitto, PostgreSQL and VictoriaMetrics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hashfleet-ctl-interop-'));
  const dbUrl = pgSchemaUrl(PG_URL);
  let broker: Mosquitto;
  let vm: Victoria;
  let controller: RunningController;
  let sim: Simulation;
  const agents: Awaited<ReturnType<typeof startAgent>>[] = [];
  const tokens = new Map<string, string>();
  let admin = '';
  const published: Telemetry[] = [];
  let tap: mqtt.MqttClient;

  beforeAll(async () => {
    if (!ready) throw new Error(`need ${MOSQUITTO}, ${VICTORIA} and PostgreSQL at ${PG_URL}`);
    sim = await startSimulation(scenario(), { pdus: false });
    // Tokens first: they are the agents' broker passwords, so Mosquitto's password file needs them.
    const db = await openDb(dbUrl);
    await migrate(db, allMigrations(), Date.now);
    for (const c of sim.scenario.containers) {
      const places = [{ siteId: c.siteId, containerId: c.id }];
      tokens.set(agentIdOf(c.id), await createToken(db, { role: 'agent', name: agentIdOf(c.id), places }));
    }
    admin = await createToken(db, { role: 'admin', name: 'admin' });
    await db.close();
    broker = await startMosquitto(join(dir, 'mosquitto'), {
      controller: 'controller-secret',
      ...Object.fromEntries(tokens),
    });
    vm = await victoriaMetrics(dir);
    await vm.start();
    controller = await startController(
      loadControllerConfig(
        {
          dataDir: join(dir, 'controller'),
          http: { port: await freePort() },
          storage: { url: dbUrl },
          mqtt: { url: broker.url, password: 'controller-secret', clientId: 'ctl-interop-a' },
          influx: { url: vm.url, flushIntervalMs: 100 },
          log: { level: 'silent' },
        },
        {},
      ),
    );
    // A second controller-user session that records everything the agents publish.
    tap = await mqtt.connectAsync(broker.url, {
      username: 'controller',
      password: 'controller-secret',
      clientId: 'tap',
    });
    tap.on('message', (_topic, payload) => {
      try {
        const parsed = TelemetrySchema.safeParse(JSON.parse(payload.toString()));
        if (parsed.success) published.push(parsed.data);
      } catch {
        // The malformed probe below: not a sample.
      }
    });
    await tap.subscribeAsync(topics.allOf('telemetry'), { qos: 1 });
    for (const c of sim.scenario.containers) {
      const config = loadAgentConfig(
        agentConfigFor(sim.scenario, c, {
          mqttUrl: broker.url,
          dataDir: dir,
          agentToken: tokens.get(agentIdOf(c.id))!,
          commandPublicKeyPem: controller.commandPublicKey,
          pollS: 1,
          logLevel: 'warn',
        }) as Record<string, unknown>,
        dir,
      );
      const agent = await startAgent(config, { schedule: 'manual' });
      await agent.scanNow();
      agents.push(agent);
    }
  });

  afterAll(async () => {
    for (const a of agents) await a.stop();
    await tap?.endAsync();
    await sim?.stop();
    await controller?.stop();
    await vm?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${controller.url}/api/v1${path}`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const metric = async (name: string): Promise<number> => {
    const line = (await (await fetch(`${controller.url}/metrics`)).text())
      .split('\n')
      .find((l) => l.startsWith(name));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };
  const pollAll = async () => {
    for (const a of agents) {
      await a.pollNow();
      await a.drained(5000);
    }
  };

  it('shows every miner in its slot with the simulator’s values', async () => {
    const want = sim.scenario.miners.length;
    await waitFor(
      `${want} miners online`,
      async () => {
        await pollAll();
        const list = await api<{ miners: { online: boolean }[] }>('/miners?limit=1000');
        return list.miners.filter((m) => m.online).length === want;
      },
      { timeoutMs: 60_000, everyMs: 300 },
    );
    await pollAll();
    await waitFor('last batch applied', async () => (await metric('hashfleet_ingest_inflight')) === 0);
    for (const c of sim.scenario.containers) {
      const view = await api<{
        racks: { rack: string; slots: { slot: string; model: string; hashrateThs: number }[] }[];
      }>(`/containers/${c.id}`);
      for (const spec of sim.scenario.miners.filter((m) => m.containerId === c.id)) {
        const slot = view.racks.find((r) => r.rack === spec.rack)?.slots.find((s) => s.slot === spec.slot);
        const truth = sim.miner(spec.id);
        expect(slot?.model, `${c.id} ${spec.rack}/${spec.slot}`).toBe(truth.model);
        expect(slot!.hashrateThs).toBeCloseTo(truth.hashrateThs, 0);
      }
    }
  });

  it('rejects a malformed payload and counts a duplicate batch once', async () => {
    const c = sim.scenario.containers[0]!;
    const agentId = agentIdOf(c.id);
    const client = await mqtt.connectAsync(broker.url, {
      username: agentId,
      password: tokens.get(agentId)!,
      clientId: `${agentId}-x`,
    });
    const malformedBefore = await metric('hashfleet_ingest_malformed_total{kind="telemetry"}');
    await client.publishAsync(topics.telemetry(agentId), 'not json at all', { qos: 1 });
    const last = published.filter((t) => t.agentId === agentId).at(-1)!;
    const at = Date.now();
    const dup: Telemetry = {
      ...last,
      bootId: 'interop-dup-boot',
      seq: 1,
      sentAt: at,
      samples: last.samples.slice(0, 1).map((s: MinerSample) => ({
        ...s,
        at,
        work: { diff1Shares: 777, sinceAt: at - 1000, counterReset: false },
      })),
    };
    const hour = Math.floor(at / 3_600_000) * 3_600_000;
    const shares = async () =>
      (
        await controller.db.get<{ d: number }>(
          'SELECT diff1_shares AS d FROM container_hourly WHERE container_id = ? AND hour_start = ?',
          [c.id, hour],
        )
      )?.d ?? 0;
    const before = await shares();
    await client.publishAsync(topics.telemetry(agentId), JSON.stringify(dup), { qos: 1 });
    await client.publishAsync(topics.telemetry(agentId), JSON.stringify(dup), { qos: 1 });
    await client.endAsync();
    await waitFor(
      'duplicate seen',
      async () => (await metric('hashfleet_ingest_duplicates_total{kind="telemetry"}')) >= 1,
    );
    expect(await metric('hashfleet_ingest_malformed_total{kind="telemetry"}')).toBe(malformedBefore + 1);
    expect(await shares()).toBe(before + 777);
  });

  it('lands every published sample in VictoriaMetrics, point for point', async () => {
    await controller.app.hashfleet.influx!.flush();
    const keys = await controller.db.all<{ agent_id: string; miner_key: string; miner_id: string }>(
      'SELECT agent_id, miner_key, miner_id FROM agent_miners',
    );
    const idOf = new Map(keys.map((k) => [`${k.agent_id}/${k.miner_key}`, k.miner_id]));
    const expected = new Map<string, number>();
    for (const t of published) {
      for (const s of t.samples) {
        const value = s.hashrate5sThs ?? s.hashrateAvgThs;
        if (value !== null) expected.set(`${idOf.get(`${t.agentId}/${s.minerKey}`)}@${s.at}`, value);
      }
    }
    expect(expected.size).toBeGreaterThan(sim.scenario.miners.length);
    await waitFor(
      'all points in VictoriaMetrics',
      async () => {
        const series = await exportSeries(vm.url, 'miner_hashrate_ths');
        const got = new Map<string, number>();
        let count = 0;
        for (const s of series) {
          s.timestamps.forEach((ts, i) => {
            got.set(`${s.metric.miner}@${ts}`, s.values[i]!);
            count++;
          });
        }
        if (count !== expected.size) return null;
        expect(got).toEqual(expected);
        return true;
      },
      { timeoutMs: 30_000, everyMs: 500 },
    );
  });
});
