import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig, startAgent } from '@hashfleet/agent';
import { createToken, type RunningController } from '@hashfleet/controller';
import { alertsFor } from '@hashfleet/controller/alerts/index';
import { desiredJobs } from '@hashfleet/controller/desired/index';
import { parseScenario, type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfigFor, agentIdOf } from '../src/agents.js';
import { waitFor } from '../src/wait.js';
import { startTestController } from './harness.js';

/**
 * Desired state end to end (issue 20, must show): five simulated Whatsminer v3 miners, one real
 * agent, the controller with its embedded broker on a clock the test moves ahead. The container's
 * desired pool (worker per rack and slot) is set and approved by two people; one miner's pool is
 * changed behind the controller's back in the simulator: the next poll shows it drifted (pool and
 * worker), `drift` opens only once the grace period (600 s on the controller's clock) has passed,
 * and a rollout of the desired state puts the pool back, verified by the miner's effect and its
 * next reading, after which the alert resolves.
 */
type Agent = Awaited<ReturnType<typeof startAgent>>;
let controller: RunningController;
let sim: Simulation;
let agent: Agent;
let dataDir: string;
/** How far the controller's clock runs ahead of the wall clock (the test moves it). */
let ahead = 0;
const now = () => Date.now() + ahead;
const tokens: Record<'operator' | 'admin', string> = { operator: '', admin: '' };
let jobs: ReturnType<typeof desiredJobs>;
const run = (name: string) => jobs.find((j) => j.name === name)!.run(now());

const api = async (
  role: keyof typeof tokens,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
) => {
  const res = await fetch(`${controller.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${tokens[role]}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : null,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
};
/** One poll of every miner, stored by the controller. */
const poll = async () => {
  await agent.pollNow();
  await agent.drained(5000);
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hashfleet-desired-e2e-'));
  controller = await startTestController(dataDir, { now });
  tokens.operator = await createToken(controller.db, { role: 'operator', name: 'op-1' });
  tokens.admin = await createToken(controller.db, { role: 'admin', name: 'admin-1' });
  jobs = desiredJobs(controller.app.hashfleet);
  const scenario = smallScenario({
    miners: 5,
    pdus: false,
    seed: 20,
    bootS: 5,
    restartS: 2,
    profiles: ['whatsminer-v3'],
  });
  scenario.containers[0]!.ipBlock = '127.99.1.0/24';
  // Workers named by place, as the desired state's pattern names them.
  for (const m of scenario.miners) m.worker = `hashshare.${m.containerId}.${m.rack}.${m.slot}`;
  sim = await startSimulation(parseScenario(scenario), { pdus: false, clock: 'real' });
  const container = sim.scenario.containers[0]!;
  const agentId = agentIdOf(container.id);
  const wiring = agentConfigFor(sim.scenario, container, {
    mqttUrl: controller.mqttUrl,
    dataDir,
    agentToken: await createToken(controller.db, { role: 'agent', name: agentId }),
    commandPublicKeyPem: controller.commandPublicKey,
    pollS: 1,
  });
  // The Whatsminer v3 default account (the simulator keeps the firmware's default password).
  const rpcPassword = join(dataDir, 'rpc.password');
  writeFileSync(rpcPassword, 'super', { mode: 0o600 });
  agent = await startAgent(
    loadAgentConfig(
      { ...wiring, credentials: { rpc: { user: 'super', password: { file: rpcPassword } } } } as Record<
        string,
        unknown
      >,
      dataDir,
    ),
    { schedule: 'manual' },
  );
  await agent.scanNow();
  await waitFor(
    'all five miners sampled',
    async () => {
      await poll();
      const r = await controller.db.get<{ n: number }>(
        'SELECT COUNT(*) AS n FROM miner_latest WHERE online = 1',
      );
      return Number(r!.n) === 5;
    },
    { timeoutMs: 60_000, everyMs: 500 },
  );
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await sim?.stop();
  await controller?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('desired state on the simulator: drift, the drift alert, and a rollout that brings it back', () => {
  let versionId: string;
  const target = () => sim.scenario.miners[2]!;

  it('the container’s desired pool, approved by a second person: every miner is in it', async () => {
    const container = sim.scenario.containers[0]!.id;
    const put = await api('operator', 'POST', '/desired-states', {
      scope: { kind: 'container', containerId: container },
      spec: {
        pool: {
          url: sim.scenario.pool.url,
          workerPattern: 'hashshare.{container}.{rack}.{slot}',
          password: 'x',
        },
      },
      note: 'our pool, a worker per slot',
    });
    expect(put.body.state).toBe('pending_approval');
    versionId = put.body.id;
    expect((await api('operator', 'POST', `/desired-states/versions/${versionId}/approve`)).status).toBe(403);
    expect((await api('admin', 'POST', `/desired-states/versions/${versionId}/approve`)).body.state).toBe(
      'active',
    );
    const counts = (await api('operator', 'GET', '/drift/counts')).body;
    expect(counts.total).toMatchObject({ managed: 5, drifted: 0 });
  }, 30_000);

  it('a pool changed behind the controller’s back shows as drift within one poll; `drift` opens after the grace period', async () => {
    await sim.setFault(target().id, { kind: 'pool-changed' });
    await poll();
    const drift = (await api('operator', 'GET', '/drift')).body;
    expect(
      drift.map((d: { rack: string; slot: string; drift: { field: string; actual: string }[] }) => ({
        place: `${d.rack}/${d.slot}`,
        fields: d.drift.map((f) => `${f.field} ${f.actual}`),
      })),
    ).toEqual([
      {
        place: `${target().rack}/${target().slot}`,
        fields: ['pool stratum+tcp://btc.hijack.example:3333', 'worker intruder.worker1'],
      },
    ]);
    const minerId = drift[0].minerId as string;
    await run('desired-drift');
    const alerts = alertsFor(controller.app.hashfleet);
    const openDrift = () =>
      controller.db.all<{ message: string }>(
        `SELECT message FROM alerts WHERE kind = 'drift' AND state = 'open' AND miner_id = ?`,
        [minerId],
      );
    await alerts.tick(now());
    expect(await openDrift()).toEqual([]);
    // Ten minutes later on the controller's clock, with a fresh poll that still shows the hijack.
    ahead += 601_000;
    await poll();
    await run('desired-drift');
    await alerts.tick(now());
    const open = await openDrift();
    expect(open).toHaveLength(1);
    expect(open[0]!.message).toMatch(
      new RegExp(
        `^pool out of its desired state for 60\\d s: wants ${sim.scenario.pool.url.replace(/[.+]/g, '\\$&')}, has stratum\\+tcp://btc\\.hijack\\.example:3333$`,
      ),
    );
  }, 60_000);

  it('a rollout of the desired state brings it back, verified by effect, and the alert resolves', async () => {
    const r = await api('operator', 'POST', `/desired-states/versions/${versionId}/apply`, {});
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    // Approved as a version by a second person: the rollout runs without another approval.
    expect(r.body).toMatchObject({ state: 'running', canary: 1, waves: 1 });
    expect(r.body.items).toEqual([
      expect.objectContaining({ rack: target().rack, slot: target().slot, ops: ['pool.set'] }),
    ]);
    const done = await waitFor(
      'the rollout verified',
      async () => {
        await run('desired-rollouts');
        await poll();
        const view = (await api('operator', 'GET', `/rollouts/${r.body.id}`)).body;
        return view.state === 'done' ? view : null;
      },
      { timeoutMs: 60_000, everyMs: 500 },
    );
    expect(done.items).toEqual([expect.objectContaining({ state: 'verified', reason: null })]);
    expect(sim.miner(target().id).pool).toMatchObject({ url: sim.scenario.pool.url, user: target().worker });
    const states = await controller.db.all<{ state: string }>(`SELECT state FROM commands WHERE id = ?`, [
      done.items[0].commandIds[0],
    ]);
    expect(states).toEqual([{ state: 'verified' }]);
    expect((await api('operator', 'GET', '/drift')).body).toEqual([]);
    await run('desired-drift');
    await alertsFor(controller.app.hashfleet).tick(now());
    expect(
      await controller.db.all(`SELECT kind FROM alerts WHERE kind = 'drift' AND state = 'open'`),
    ).toEqual([]);
  }, 90_000);
});
