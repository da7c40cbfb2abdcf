import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig, type RunningAgent, startAgent } from '@hashfleet/agent';
import { topics } from '@hashfleet/contracts';
import { createToken, type RunningController } from '@hashfleet/controller';
import { brokerAuthenticator } from '@hashfleet/controller/core/broker/credentials';
import { type EmbeddedBroker, startEmbeddedBroker } from '@hashfleet/controller/core/broker/embedded';
import { safetyFeature } from '@hashfleet/controller/safety/index';
import { type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfigFor, agentIdOf } from '../src/agents.js';
import { freePort } from '../src/ports.js';
import { waitFor } from '../src/wait.js';
import { startTestController } from './harness.js';

/**
 * Local safety end to end: the controller with the broker it normally embeds started here instead
 * (the same aedes broker, ACL and logins, as an external broker), so the test can take the broker
 * down while the controller and the agent keep running. Braiins OS miners in the simulator (sleep
 * is an RPC `pause`, no credentials needed). The controller sends its default rule set on the
 * agent's birth; with the broker down a miner whose fan failed overheats and its agent puts it to
 * sleep; once the broker is back the action is in the audit log exactly once.
 */
const CONTROLLER_PASSWORD = 'controller-secret-for-tests';
let sim: Simulation;
let controller: RunningController;
let broker: EmbeddedBroker | null = null;
let brokerPort: number;
let agent: RunningAgent;
let dataDir: string;
let admin: string;
let operator: string;
let agentId: string;
let spoolDir: string;
/** While set, the broker turns the agent away (it would publish its spool before the controller resubscribed). */
let holdAgent = false;

async function openBroker(): Promise<void> {
  broker = await startEmbeddedBroker({
    host: '127.0.0.1',
    port: brokerPort,
    authenticate: async (username, password) => {
      if (username === agentId && holdAgent) return null;
      // Before the controller has started only the controller itself logs in.
      if (!controller)
        return username === 'controller' && password === CONTROLLER_PASSWORD ? { kind: 'controller' } : null;
      return brokerAuthenticator(controller.db, 'controller', CONTROLLER_PASSWORD)(username, password);
    },
    now: Date.now,
  });
}

/**
 * An aedes restart forgets every session, so the controller must subscribe again before the agent
 * replays its spool into the broker. A probe agent publishes its status until ingest has it: then
 * the controller's subscriptions are live and the agent is let in.
 */
async function reopenBrokerControllerFirst(): Promise<void> {
  holdAgent = true;
  await openBroker();
  const probeToken = await createToken(controller.db, { role: 'agent', name: 'probe' });
  const probe = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, {
    clientId: 'probe',
    username: 'probe',
    password: probeToken,
  });
  let seq = 0;
  const bootId = `probe-${Date.now()}`;
  await waitFor(
    'the controller to ingest again',
    async () => {
      const status = { v: 1, agentId: 'probe', bootId, seq: seq++, sentAt: Date.now(), kind: 'status' };
      await probe.publishAsync(
        topics.status('probe'),
        JSON.stringify({ ...status, historical: false, state: 'online', reason: 'connect' }),
        { qos: 1 },
      );
      return controller.db.get("SELECT id FROM agents WHERE id = 'probe' AND boot_id = ?", [bootId]);
    },
    { timeoutMs: 20_000, everyMs: 200 },
  );
  await probe.endAsync();
  holdAgent = false;
}

const heldRevision = () =>
  existsSync(join(spoolDir, 'safety-rules.json'))
    ? (JSON.parse(readFileSync(join(spoolDir, 'safety-rules.json'), 'utf8')) as { revision: number }).revision
    : null;

const api = async (token: string, method: 'GET' | 'PUT', path: string, body?: unknown) => {
  const res = await fetch(`${controller.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : null,
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<unknown>;
};

const publishJob = () => safetyFeature.jobs!(controller.app.hashfleet)[0]!;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hashfleet-safety-'));
  const scenario = smallScenario({ miners: 3, profiles: ['braiins-os'], pduPort: await freePort() });
  // The agent scans the miners' block (127.99.1.x), not the scenario's whole /16: 65,536 probes took
  // most of this hook's minute on a loaded machine and timed it out.
  scenario.containers[0]!.ipBlock = '127.99.1.0/24';
  sim = await startSimulation(scenario, { startMs: Date.now() });
  const container = sim.scenario.containers[0]!;
  agentId = agentIdOf(container.id);
  brokerPort = await freePort();
  await openBroker();
  controller = await startTestController(dataDir, {
    config: {
      mqtt: {
        url: `mqtt://127.0.0.1:${brokerPort}`,
        password: CONTROLLER_PASSWORD,
        protocolVersion: 4,
        sharedGroup: null,
      },
    },
  });
  admin = await createToken(controller.db, { role: 'admin', name: 'admin-1' });
  operator = await createToken(controller.db, { role: 'operator', name: 'op-1' });
  const wiring = agentConfigFor(sim.scenario, container, {
    mqttUrl: `mqtt://127.0.0.1:${brokerPort}`,
    dataDir,
    agentToken: await createToken(controller.db, { role: 'agent', name: agentId }),
    commandPublicKeyPem: controller.commandPublicKey,
    pollS: 30,
    logLevel: 'error',
  });
  const config = loadAgentConfig(wiring as Record<string, unknown>, dataDir);
  spoolDir = config.spool.dir;
  agent = await startAgent(config, { schedule: 'manual', now: () => sim.clock.now() });
  await agent.scanNow();
  await agent.pollNow();
  await waitFor('the agent birth', () =>
    controller.db.get('SELECT id FROM agents WHERE id = ? AND last_birth_at IS NOT NULL', [agentId]),
  );
  await publishJob().run(Date.now());
  await waitFor('the agent to hold the default rule set', async () => heldRevision() === 1);
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await sim?.stop();
  await controller?.stop();
  await broker?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('local safety, controller + agent + simulator', () => {
  it('refuses a rule set tampered with on the way and keeps revision 1; takes revision 2 made through the API', async () => {
    const sneaky = await mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, {
      clientId: 'sneaky-controller',
      username: 'controller',
      password: CONTROLLER_PASSWORD,
    });
    const genuine = JSON.parse(readFileSync(join(spoolDir, 'safety-rules.json'), 'utf8'));
    const tampered = { ...genuine, revision: 7, rules: [] };
    const { signature: _s, ...unsigned } = { ...genuine, revision: 8, rules: [] };
    for (const bad of [tampered, unsigned])
      await sneaky.publishAsync(topics.safety(agentId), JSON.stringify(bad), { qos: 1, retain: true });
    await sneaky.endAsync();
    await waitFor('both refusals counted', async () => {
      const text = await agent.metricsText();
      return /kind="safety-bad_signature"} 1/.test(text) && /kind="safety-unsigned"} 1/.test(text);
    });
    expect(heldRevision()).toBe(1);

    const rules = (await api(operator, 'GET', '/safety/rules')) as { rules: unknown[] };
    const updated = (await api(operator, 'PUT', '/safety/rules', { rules: rules.rules })) as {
      revision: number;
    };
    expect(updated.revision).toBe(2);
    await waitFor('the agent to hold revision 2', async () => heldRevision() === 2);
  });

  it('with the broker down, sleeps the overheating miner; the action reaches the audit log once the broker is back', async () => {
    const hot = sim.miners[0]!.id;
    await broker!.close();
    broker = null;
    await waitFor('the agent to notice', async () => !agent.metrics().connected);
    await sim.setFault(hot, { kind: 'failed-fan', fan: 0 });
    let cycles = 0;
    while (sim.miner(hot).mode !== 'sleep' && cycles < 20) {
      await sim.tick(30_000);
      await agent.pollNow();
      cycles++;
    }
    expect(sim.miner(hot).mode).toBe('sleep');
    expect(cycles).toBeGreaterThanOrEqual(2);
    for (const other of sim.miners.slice(1)) expect(sim.miner(other.id).mode).toBe('normal');
    await sim.tick(30_000);
    await agent.pollNow(); // the simulator now reports it sleeping; still hot, not acted on again

    await reopenBrokerControllerFirst();
    expect(await agent.drained(20_000)).toBe(true);
    const audit = (await waitFor('the audit entry', async () => {
      const rows = (await api(admin, 'GET', '/audit?action=safety.action.')) as unknown[];
      return rows.length > 0 ? rows : null;
    })) as { actor: { name: string; role: string }; subject: string; details: Record<string, unknown> }[];
    expect(audit).toHaveLength(1);
    const minerId = audit[0]!.details['minerId'] as string;
    expect(audit[0]).toMatchObject({
      actor: { name: agentId, role: 'agent' },
      subject: `miner ${minerId}`,
      details: { action: 'sleep', status: 'succeeded', connected: false, revision: 2, limit: 90 },
    });
    // Braiins OS reports a paused miner as idle (not hashing): that is what the controller shows.
    const latest = await controller.db.get<{ state: string; miner_key: string }>(
      `SELECT l.state, a.miner_key FROM miner_latest l JOIN agent_miners a ON a.miner_id = l.miner_id
       WHERE l.miner_id = ? AND a.agent_id = ?`,
      [minerId, agentId],
    );
    expect(latest?.miner_key).toBe(audit[0]!.details['minerKey']);
    expect(['sleeping', 'idle']).toContain(latest?.state);
    // Findable by miner, and the miner's event log has it too.
    expect(await api(admin, 'GET', `/audit?miner=${minerId}&role=agent`)).toHaveLength(1);
    const events = await controller.db.all(
      "SELECT id FROM events WHERE kind = 'safety.action' AND miner_id = ?",
      [minerId],
    );
    expect(events).toHaveLength(1);
  });
});
