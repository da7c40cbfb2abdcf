import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig, type RunningAgent, startAgent } from '@hashfleet/agent';
import { createToken, type RunningController } from '@hashfleet/controller';
import { alertsFor } from '@hashfleet/controller/alerts/index';
import { createRemediation, type Remediation } from '@hashfleet/controller/remediation/index';
import { type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfigFor, agentIdOf } from '../src/agents.js';
import { waitFor } from '../src/wait.js';
import { startTestController } from './harness.js';

/**
 * Issue 16 must-show, end to end through the controller and its embedded broker: simulated generic
 * cgminer miners, a real agent, the controller's commands, alerts and remediation, all on the
 * simulator's manual clock (the agent's effect reads run every 2 s of wall time; the miners' time
 * moves only when the test ticks it).
 * - a restart: sent, acknowledged, verified; while the miner's API is down on command no offline
 *   alert opens (it would, two evaluations of an unreachable report, without the window) and the
 *   ladder takes no step; one poll after it answers, its slot in the container grid is hashing;
 * - a restart refused by a read-only API (`--api-allow R:0/0`): failed, in cgminer's words;
 * - a pool change on generic cgminer: the miner mines on the new pool, the command is verified,
 *   no worker_changed alert.
 */
const RESTART_S = 10;
const SIM_RESTART = 'm0001';
const SIM_READ_ONLY = 'm0002';
const SIM_POOL = 'm0003';
const NEW_POOL = { url: 'stratum+tcp://btc.new-pool.example:3333', user: 'hashshare.moved', password: 'x' };

let sim: Simulation;
let controller: RunningController;
let agent: RunningAgent;
let dataDir: string;
let operator: string;
let admin: string;
let rem: Remediation;
let alerts: ReturnType<typeof alertsFor>;
const asset = new Map<string, string>();
const now = () => sim.clock.now();

const api = async <T>(token: string, method: 'GET' | 'POST', path: string, body?: unknown) => {
  const res = await fetch(`${controller.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : null,
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

async function observe() {
  await agent.pollNow();
  if (!(await agent.drained(10_000))) throw new Error('agent spool did not drain');
}
/** The alert evaluation; a run of the controller's own timer at the same moment may race it once. */
const evaluate = () => alerts.tick(now()).catch(() => alerts.tick(now()));
const openAlerts = async (minerId: string) =>
  (
    await controller.db.all<{ kind: string }>(
      `SELECT kind FROM alerts WHERE miner_id = ? AND state = 'open' ORDER BY kind`,
      [minerId],
    )
  ).map((a) => a.kind);

type States = {
  state: string;
  states: { state: string; reply: string | null; observed: string | null; windowEndsAt: number | null }[];
};
const states = (id: string) => api<States>(operator, 'GET', `/commands/${id}/states`);
const commandState = async (id: string) =>
  (await controller.db.get<{ state: string }>('SELECT state FROM commands WHERE id = ?', [id]))?.state;
const until = (id: string, wanted: string) =>
  waitFor(`command ${id} ${wanted}`, async () => (await commandState(id)) === wanted, {
    timeoutMs: 30_000,
    everyMs: 100,
  });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hashfleet-commands-e2e-'));
  const scenario = smallScenario({
    miners: 3,
    profiles: ['cgminer'],
    pdus: false,
    seed: 16,
    restartS: RESTART_S,
  });
  // cgminer --api-allow R:0/0: every address may read, none may run privileged commands.
  scenario.miners[1]!.apiAllow = 'R:0/0';
  // The agent scans the miners' block (127.99.1.x), not the scenario's whole /16 (65,536 probes,
  // most of a minute on a loaded machine).
  scenario.containers[0]!.ipBlock = '127.99.1.0/24';
  sim = await startSimulation(scenario, { startMs: Date.now() });
  controller = await startTestController(dataDir, { now });
  operator = await createToken(controller.db, { role: 'operator', name: 'op-1' });
  admin = await createToken(controller.db, { role: 'admin', name: 'admin-1' });
  const container = sim.scenario.containers[0]!;
  const agentId = agentIdOf(container.id);
  const wiring = agentConfigFor(sim.scenario, container, {
    mqttUrl: controller.mqttUrl,
    dataDir,
    agentToken: await createToken(controller.db, { role: 'agent', name: agentId }),
    commandPublicKeyPem: controller.commandPublicKey,
    pollS: 1,
    logLevel: 'error',
  });
  agent = await startAgent(loadAgentConfig(wiring as Record<string, unknown>, dataDir), {
    schedule: 'manual',
    now,
  });
  await agent.scanNow();
  await waitFor('3 miners in inventory, in service', async () => {
    await observe();
    const r = await controller.db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM miners WHERE status = 'in_service' AND slot_id IS NOT NULL",
    );
    return Number(r?.n) === 3;
  });
  for (const id of [SIM_RESTART, SIM_READ_ONLY, SIM_POOL]) {
    const row = await controller.db.get<{ miner_id: string }>(
      "SELECT miner_id FROM miner_identities WHERE kind = 'ip' AND value = ?",
      [sim.info(id).ip],
    );
    asset.set(id, row!.miner_id);
  }
  alerts = alertsFor(controller.app.hashfleet);
  rem = createRemediation(controller.app.hashfleet);
  for (let i = 0; i < 2; i++) {
    await sim.tick(1000);
    await observe();
    await evaluate();
  }
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await sim?.stop();
  await controller?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('commands verified by their effect, through the controller', () => {
  it('a restart: acknowledged, then verified; no offline alert and no remediation step while it is down; hashing in its grid one poll after it answers', async () => {
    const minerId = asset.get(SIM_RESTART)!;
    expect(await openAlerts(minerId)).toEqual([]);
    const issued = await api<{ id: string; state: string }>(operator, 'POST', `/miners/${minerId}/commands`, {
      op: 'restart',
    });
    expect(issued.state).toBe('sent');
    await until(issued.id, 'acknowledged');

    // Down on command: its agent reports it unreachable; two evaluations would open offline.
    for (let i = 0; i < 2; i++) {
      await sim.tick(2000);
      await observe();
      await evaluate();
      await rem.tick(now());
    }
    const latest = await controller.db.get<{ online: number }>(
      'SELECT online FROM miner_latest WHERE miner_id = ?',
      [minerId],
    );
    expect(latest?.online).toBe(0);
    expect(await openAlerts(minerId)).toEqual([]);
    expect(await controller.db.all('SELECT id FROM remediation_steps WHERE miner_id = ?', [minerId])).toEqual(
      [],
    );

    // The daemon is back: the agent's next effect read sees a fresh uptime and hashing.
    await sim.tick(RESTART_S * 1000);
    await until(issued.id, 'verified');
    const s = await states(issued.id);
    expect(s.states.map((x) => x.state)).toEqual(['sent', 'acknowledged', 'verified']);
    expect(s.states[1]!.reply).toBe('RESTART');
    expect(s.states[1]!.windowEndsAt).toEqual(expect.any(Number));
    expect(s.states[2]!.observed).toMatch(/^answers with uptime \d+ s, .*hashing$/);

    // One poll after it answers, its slot in the container grid is online and hashing.
    await observe();
    const grid = await api<{ racks: { slots: { minerId: string; online: boolean; state: string }[] }[] }>(
      operator,
      'GET',
      `/containers/${sim.scenario.containers[0]!.id}`,
    );
    const slot = grid.racks.flatMap((r) => r.slots).find((x) => x.minerId === minerId);
    expect(slot).toMatchObject({ online: true, state: 'hashing' });
    await evaluate();
    await rem.tick(now());
    expect(await openAlerts(minerId)).toEqual([]);
    const commands = await controller.db.all<{ op: string }>('SELECT op FROM commands WHERE miner_id = ?', [
      minerId,
    ]);
    expect(commands.map((c) => c.op)).toEqual(['restart']);
    expect(
      await controller.db.get<{ n: number }>(
        "SELECT COUNT(*) AS n FROM alerts WHERE miner_id = ? AND kind = 'offline'",
        [minerId],
      ),
    ).toMatchObject({ n: 0 });
  }, 90_000);

  it('a restart refused by a read-only API is failed, with cgminer saying Access denied', async () => {
    const minerId = asset.get(SIM_READ_ONLY)!;
    const issued = await api<{ id: string }>(operator, 'POST', `/miners/${minerId}/commands`, {
      op: 'restart',
    });
    await until(issued.id, 'failed');
    const s = await states(issued.id);
    expect(s.states.map((x) => x.state)).toEqual(['sent', 'failed']);
    expect(s.states[1]!.reply).toMatch(/Code 45: Access denied to 'restart' command/);
    // No window was opened: the refused miner is judged as usual.
    const row = await controller.db.get<{ window_ends_at: number | null }>(
      'SELECT window_ends_at FROM commands WHERE id = ?',
      [issued.id],
    );
    expect(row?.window_ends_at).toBeNull();
  }, 60_000);

  it('a pool change on generic cgminer: mining on the new pool, verified, no worker_changed alert', async () => {
    const minerId = asset.get(SIM_POOL)!;
    const requested = await api<{ id: string; state: string }>(
      operator,
      'POST',
      `/miners/${minerId}/commands`,
      { op: 'pool.set', ...NEW_POOL },
    );
    expect(requested.state).toBe('pending_approval');
    await api(admin, 'POST', `/commands/${requested.id}/approve`);
    await until(requested.id, 'verified');
    const s = await states(requested.id);
    expect(s.states.map((x) => x.state)).toEqual(['sent', 'acknowledged', 'verified']);
    expect(s.states[2]!.observed).toBe(`active pool ${NEW_POOL.url} user ${NEW_POOL.user}`);
    for (let i = 0; i < 3; i++) {
      await sim.tick(2000);
      await observe();
      await evaluate();
    }
    const latest = await controller.db.get<{ pool_url: string; pool_user: string }>(
      'SELECT pool_url, pool_user FROM miner_latest WHERE miner_id = ?',
      [minerId],
    );
    expect(latest).toMatchObject({ pool_url: NEW_POOL.url, pool_user: NEW_POOL.user });
    expect(await openAlerts(minerId)).toEqual([]);
  }, 60_000);
});
