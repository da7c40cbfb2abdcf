import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig, startAgent } from '@hashfleet/agent';
import { type Command, topics } from '@hashfleet/contracts';
import { createToken, type RunningController } from '@hashfleet/controller';
import { operationsJobs } from '@hashfleet/controller/operations/index';
import { parseScenario, type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfigFor, agentIdOf } from '../src/agents.js';
import { waitFor } from '../src/wait.js';
import { startTestController } from './harness.js';

/**
 * Commands, operating profiles and curtailment end to end: the simulator's miners (four Whatsminer
 * v3, which can set a power limit and sleep, and one stock Antminer, which cannot set power), one
 * real agent, the controller with its embedded broker. The controller's jobs are driven with
 * `run(now)`; a sniffer on the agent's command topic sees exactly what the agent was sent.
 */
type Agent = Awaited<ReturnType<typeof startAgent>>;
let controller: RunningController;
let sim: Simulation;
let agent: Agent;
let dataDir: string;
const tokens: Record<'operator' | 'admin', string> = { operator: '', admin: '' };
let sniffer: mqtt.MqttClient;
const received: Command[] = [];
let jobs: ReturnType<typeof operationsJobs>;
const run = (name: string, now: number) => jobs.find((j) => j.name === name)!.run(now);

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
const minerIdOf = async (simId: string): Promise<string> => {
  // Stock Antminer firmware reports no serial; the IP is an identity every miner has.
  const r = await controller.db.get<{ miner_id: string }>(
    `SELECT miner_id FROM miner_identities WHERE kind = 'ip' AND value = ?`,
    [sim.miner(simId).ip],
  );
  return r!.miner_id;
};
const poll = async () => {
  await agent.pollNow();
  await agent.drained(5000);
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hashfleet-ops-e2e-'));
  controller = await startTestController(dataDir);
  tokens.operator = await createToken(controller.db, { role: 'operator', name: 'op-1' });
  tokens.admin = await createToken(controller.db, { role: 'admin', name: 'admin-1' });
  jobs = operationsJobs(controller.app.hashfleet);
  const scenario = smallScenario({
    miners: 5,
    pdus: false,
    seed: 21,
    bootS: 5,
    restartS: 2,
    profiles: ['whatsminer-v3', 'whatsminer-v3', 'whatsminer-v3', 'whatsminer-v3', 'antminer-stock'],
  });
  // The agent scans the miners' block (127.99.1.x), not the scenario's whole /16 (65,536 probes).
  scenario.containers[0]!.ipBlock = '127.99.1.0/24';
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
  await poll();
  sniffer = await mqtt.connectAsync(controller.mqttUrl, {
    clientId: 'ops-e2e-sniffer',
    username: 'controller',
    password: readFileSync(join(dataDir, 'broker-secret'), 'utf8').trim(),
  });
  sniffer.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString()) as Command));
  await sniffer.subscribeAsync(topics.commands(agentId), { qos: 1 });
  await waitFor('all five miners in inventory', async () => {
    const r = await controller.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM agent_miners');
    return Number(r!.n) === 5;
  });
}, 90_000);

afterAll(async () => {
  await sniffer?.endAsync();
  await agent?.stop();
  await sim?.stop();
  await controller?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const wm = () => sim.scenario.miners.filter((m) => m.profile === 'whatsminer-v3');
const stock = () => sim.scenario.miners.find((m) => m.profile === 'antminer-stock')!;

describe('operating profiles, pool restore and curtailment with the simulator, an agent and the controller', () => {
  it('applying a profile to the container changes reported power within tolerance; the Antminer is refused and sent nothing', async () => {
    const put = await api('operator', 'PUT', '/operating-profiles/kz-winter', {
      name: 'kz-winter',
      description: 'Kazakhstan winter: run every model at 80 % of nameplate',
      presets: [{ model: '*', powerTargetW: 2600 }],
      // The daemon restarts to apply a limit (2 s in this scenario); judge it after that.
      settleS: 5,
      tolerancePct: 8,
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const stockBefore = sim.miner(stock().id).powerLimitW;
    const limitBefore = new Map(wm().map((m) => [m.id, sim.miner(m.id).powerLimitW]));
    const t0 = Date.now();
    const applied = await api('operator', 'POST', '/operating-profiles/kz-winter/apply', {
      selector: { containerId: sim.scenario.containers[0]!.id },
      batchSize: 10,
      pauseS: 0,
    });
    expect(applied.status, JSON.stringify(applied.body)).toBe(202);
    const stockId = await minerIdOf(stock().id);
    const refused = applied.body.items.filter((i: { state: string }) => i.state === 'refused');
    expect(refused).toEqual([
      expect.objectContaining({
        minerId: stockId,
        // Named as a technician finds it (its label, model and place), never by its internal id.
        reason: expect.stringMatching(
          /^\S+ \(Antminer [^)]*\): firmware antminer-stock cannot do power\.target$/,
        ),
      }),
    ]);
    expect(refused[0].reason).not.toContain(stockId);
    await run('bulk-commands', t0);
    await waitFor('every Whatsminer at the new power limit', async () =>
      wm().every((m) => sim.miner(m.id).powerLimitW === 2600),
    );
    // The daemon restarts to apply the limit; the runner verifies samples taken after the settle time.
    const done = await waitFor(
      'the application verified',
      async () => {
        await poll();
        await run('bulk-commands', Date.now());
        const job = (await api('operator', 'GET', `/commands/bulk/${applied.body.id}`)).body;
        return job.state === 'done' ? job : null;
      },
      { timeoutMs: 40_000, everyMs: 1000 },
    );
    expect(done.progress, JSON.stringify(done.items)).toEqual({ verified: 4, refused: 1 });
    for (const m of wm()) {
      const latest = await controller.db.get<{ power_w: number }>(
        'SELECT power_w FROM miner_latest WHERE miner_id = ?',
        [await minerIdOf(m.id)],
      );
      expect(Math.abs(latest!.power_w - 2600)).toBeLessThanOrEqual(2600 * 0.08);
    }
    const stockKey = (await controller.db.get<{ miner_key: string }>(
      'SELECT miner_key FROM agent_miners WHERE miner_id = ?',
      [stockId],
    ))!.miner_key;
    expect(
      received.filter((c) => c.action.target.kind === 'miner' && c.action.target.minerKey === stockKey),
    ).toEqual([]);
    expect(received.filter((c) => c.action.op === 'power.target')).toHaveLength(4);
    expect(sim.miner(stock().id).powerLimitW).toBe(stockBefore);

    // Roll back: each miner gets back the limit it reported before the profile.
    const rb = await api('operator', 'POST', `/operating-profiles/applications/${applied.body.id}/rollback`, {
      batchSize: 10,
      pauseS: 0,
    });
    expect(rb.status, JSON.stringify(rb.body)).toBe(202);
    await run('bulk-commands', Date.now());
    await waitFor('limits restored', async () =>
      wm().every((m) => sim.miner(m.id).powerLimitW === limitBefore.get(m.id)),
    );
    // Restoring the limit restarts each daemon; the next test needs their APIs back.
    await waitFor('Whatsminer APIs back after the restart', async () =>
      wm().every((m) => sim.miner(m.id).apiUp),
    );
  }, 60_000);

  it('a pool changed behind our back is put back by a pool.set approved by a second person', async () => {
    const target = wm()[0]!;
    const good = sim.miner(target.id).pool;
    await sim.setFault(target.id, { kind: 'pool-changed' });
    expect(sim.miner(target.id).pool.url).not.toBe(good.url);
    const minerId = await minerIdOf(target.id);
    const req = await api('operator', 'POST', `/miners/${minerId}/commands`, {
      op: 'pool.set',
      url: good.url,
      user: good.user,
      password: 'x',
    });
    expect(req.body.state).toBe('pending_approval');
    expect((await api('operator', 'POST', `/commands/${req.body.id}/approve`)).status).toBe(403);
    const ok = await api('admin', 'POST', `/commands/${req.body.id}/approve`);
    expect(ok.body.state).toBe('sent');
    await waitFor(
      'the simulator mines on the known-good pool again',
      async () => sim.miner(target.id).pool.url === good.url,
    );
    expect(sim.miner(target.id).pool.user).toBe(good.user);
  }, 30_000);

  it('curtailment by tariff threshold sleeps the miners two per step, then wakes them the same way', async () => {
    const siteId = sim.scenario.containers[0]!.siteId;
    // Expensive only in one UTC hour twelve hours from now, so the real-time timer never wants it.
    const hour = (new Date().getUTCHours() + 12) % 24;
    const perKwh = Array.from({ length: 12 }, () =>
      Array.from({ length: 24 }, (_, h) => (h === hour ? 0.09 : 0.03)),
    );
    await controller.db.run('UPDATE sites SET timezone = ?, tariff_json = ? WHERE id = ?', [
      'UTC',
      JSON.stringify({ currency: 'USD', perKwh }),
      siteId,
    ]);
    const ids = await Promise.all(wm().map((m) => minerIdOf(m.id)));
    const created = await api('operator', 'POST', '/curtailment', {
      name: 'peak price',
      siteId,
      selector: { minerIds: ids },
      trigger: { kind: 'tariff', abovePerKwh: 0.05 },
      action: { kind: 'sleep' },
      stepSize: 2,
      stepEveryS: 300,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const d = new Date();
    const peak = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1, hour, 0);
    const sleeping = () =>
      wm()
        .filter((m) => sim.miner(m.id).mode === 'sleep')
        .map((m) => m.id);
    const until = (n: number) => waitFor(`${n} miners asleep`, async () => sleeping().length === n);

    await run('curtailment', peak);
    await until(2);
    const first = sleeping();
    await run('curtailment', peak + 299_000);
    expect(sleeping()).toEqual(first);
    await run('curtailment', peak + 300_000);
    await until(4);
    // The hour after is cheap again: wake, ramped the same way, the first put to sleep first.
    await run('curtailment', peak + 3_600_000);
    await until(2);
    expect(sleeping().filter((id) => first.includes(id))).toEqual([]);
    await run('curtailment', peak + 3_900_000);
    await until(0);
    const audit = await controller.db.all<{ action: string }>(
      `SELECT action FROM audit_log WHERE action LIKE 'curtailment.%'`,
    );
    expect(audit.map((a) => a.action).sort()).toEqual([
      'curtailment.create',
      'curtailment.curtail',
      'curtailment.curtail',
      'curtailment.restore',
      'curtailment.restore',
    ]);
  }, 60_000);
});
