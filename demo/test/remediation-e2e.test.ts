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
import { freePort } from '../src/ports.js';
import { waitFor } from '../src/wait.js';
import { startTestController } from './harness.js';

/**
 * The escalation ladder end to end: simulated LuxOS miners (restart, reboot and sleep over RPC with a logon session,
 * no stored credentials) on a simulated APC PDU, their agent, and the controller with its embedded
 * broker, all on one manual clock (the simulator's). The test drives the jobs' `run(now)` itself:
 * an agent poll, the alert evaluation, then remediation. Commands, SNMP and the miners' protocols
 * are real; only time is ours.
 *
 * The agent's own local safety is set to act only while the broker is unreachable, so that what
 * sleeps the hot miner here is the controller's ladder (the broker stays up throughout).
 */
const MIN = 60_000;
const HOUR = 60 * MIN;
const SIM_HUNG = 'm0001';
const SIM_HOT = 'm0002';
const SIM_DEAD = 'm0003';
/** Controller asset ids of the simulated miners (found by the IP the agent observed). */
let HUNG: string;
let HOT: string;
let DEAD: string;

let sim: Simulation;
let controller: RunningController;
let agent: RunningAgent;
let dataDir: string;
let technician: string;
let operator: string;
let rem: Remediation;
let alerts: ReturnType<typeof alertsFor>;
const now = () => sim.clock.now();

const api = async <T>(token: string, method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown) => {
  const res = await fetch(`${controller.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : null,
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

/** One poll of every miner, ingested (the agent's spool drains only after the controller commits). */
async function observe() {
  await agent.pollNow();
  if (!(await agent.drained(10_000))) throw new Error('agent spool did not drain');
}

/** The alert evaluation; a run of the controller's own timer at the same moment may race it once. */
const evaluate = () => alerts.tick(now()).catch(() => alerts.tick(now()));

type Step = {
  rung: string;
  outcome: string;
  code: string | null;
  at: number;
  command_id: string | null;
  result: string | null;
};
const steps = (minerId: string) =>
  controller.db.all<Step>(
    'SELECT rung, outcome, code, at, command_id, result FROM remediation_steps WHERE miner_id = ? ORDER BY seq',
    [minerId],
  );
const summary = async (minerId: string) =>
  (await steps(minerId)).map((s) => `${s.rung} ${s.outcome}${s.code ? `/${s.code}` : ''}`);
const openAlerts = async (minerId: string) =>
  (
    await controller.db.all<{ kind: string }>(
      `SELECT kind FROM alerts WHERE miner_id = ? AND state = 'open' ORDER BY kind`,
      [minerId],
    )
  ).map((a) => a.kind);
const commandsTo = (minerId: string) =>
  controller.db.all<{
    id: string;
    op: string;
    issuer: string;
    created_at: number;
    result_status: string | null;
  }>(
    'SELECT id, op, issuer, created_at, result_status FROM commands WHERE miner_id = ? ORDER BY created_at, seq',
    [minerId],
  );

/** Waits (wall clock) until the agent has reported a result for every command sent so far. */
async function results() {
  await waitFor(
    'command results from the agent',
    async () =>
      Number(
        (
          await controller.db.get<{ n: number }>(
            `SELECT COUNT(*) AS n FROM commands WHERE result_status IS NULL AND state IN ('sent', 'signing')`,
          )
        )?.n,
      ) === 0,
    { timeoutMs: 30_000, everyMs: 100 },
  );
}

/** One cycle as the controller runs it: a poll, the alert evaluation, the ladder, and the agent carrying out its commands. */
async function cycle() {
  await observe();
  await evaluate();
  await rem.tick(now());
  await results();
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hashfleet-remediation-'));
  const base = smallScenario({
    miners: 4,
    profiles: ['luxos'],
    seed: 11,
    bootS: 120,
    restartS: 10,
    pduPort: await freePort(),
  });
  // A warm container (32 °C at the inlet): with one fan stopped the chips pass the 90 °C limit. The
  // agent scans the miners' block (127.99.1.x), not the scenario's whole /16 (65,536 probes).
  sim = await startSimulation(
    {
      ...base,
      containers: base.containers.map((c) => ({ ...c, inletOffsetC: 12, ipBlock: '127.99.1.0/24' })),
    },
    { startMs: Date.now() },
  );
  // The test runs the alerts and remediation jobs itself; the controller's own alerts job (every
  // 10 s, remediation right after it) would add a remediation pass between them (a throttled step).
  controller = await startTestController(dataDir, { now, config: { alerts: { evaluateEveryS: 3_600 } } });
  technician = await createToken(controller.db, { role: 'technician', name: 'tech-1' });
  operator = await createToken(controller.db, { role: 'operator', name: 'op-1' });
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
  const config = loadAgentConfig(
    {
      ...wiring,
      // A hung miner's command gives up after 2 s of wall time instead of 30.
      commands: { ...wiring.commands, timeoutMs: 2000 },
      safety: { mode: 'whenDisconnected' },
    } as Record<string, unknown>,
    dataDir,
  );
  agent = await startAgent(config, { schedule: 'manual', now });
  await agent.scanNow();
  await waitFor('4 miners in inventory, in service', async () => {
    await observe();
    const r = await controller.db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM miners WHERE status = 'in_service' AND slot_id IS NOT NULL",
    );
    return Number(r?.n) === 4;
  });
  const assetOf = async (simId: string) =>
    (await controller.db.get<{ miner_id: string }>(
      "SELECT miner_id FROM miner_identities WHERE kind = 'ip' AND value = ?",
      [sim.info(simId).ip],
    ))!.miner_id;
  [HUNG, HOT, DEAD] = [await assetOf(SIM_HUNG), await assetOf(SIM_HOT), await assetOf(SIM_DEAD)];
  alerts = alertsFor(controller.app.hashfleet);
  rem = createRemediation(controller.app.hashfleet);
  // The agent waits out the outlet's off time on the wall clock: 1 s, not the default 10 s.
  await api(operator, 'PUT', `/remediation/settings/${container.siteId}`, { outletOffS: 1 });
  for (let i = 0; i < 3; i++) await cycle();
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await sim?.stop();
  await controller?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('remediation with the simulator, a real agent and the controller', () => {
  it('healthy miners raise no alert and the ladder does nothing', async () => {
    expect(
      await controller.db.all(`SELECT kind, miner_id, message FROM alerts WHERE state = 'open'`),
    ).toEqual([]);
    expect(await controller.db.all('SELECT id FROM remediation_steps')).toEqual([]);
  });

  it('a hung miner: restart and reboot time out, the PDU outlet is power-cycled over SNMP, it boots and the alert resolves', async () => {
    await sim.setFault(SIM_HUNG, { kind: 'hung' });
    for (let i = 0; i < 3 && !(await openAlerts(HUNG)).includes('offline'); i++) await cycle();
    expect(await openAlerts(HUNG)).toEqual(['offline']);
    expect(await summary(HUNG)).toEqual(['restart pending']);

    // Each cycle is 11 minutes apart: past the 10-minute cool-down between commands.
    for (let i = 0; i < 4 && (await summary(HUNG)).length < 3; i++) {
      await sim.tick(11 * MIN);
      await cycle();
    }
    expect(await summary(HUNG)).toEqual(['restart failed', 'reboot failed', 'power_cycle pending']);
    // The outlet cycle really cut the miner's power (which clears a hung daemon); it boots in 120 s.
    expect(sim.miner(SIM_HUNG).faults.map((f) => f.kind)).not.toContain('hung');
    await sim.tick(3 * MIN);
    for (let i = 0; i < 4 && (await openAlerts(HUNG)).length > 0; i++) await cycle();
    expect(await openAlerts(HUNG)).toEqual([]);
    await rem.tick(now());
    expect(await summary(HUNG)).toEqual(['restart failed', 'reboot failed', 'power_cycle verified']);

    const rows = await steps(HUNG);
    expect(rows.map((s) => s.result)).toEqual([
      expect.stringMatching(/^command timeout/),
      expect.stringMatching(/^command timeout/),
      'alert resolved',
    ]);
    const cmds = await commandsTo(HUNG);
    expect(cmds.map((c) => [c.op, c.issuer, c.result_status])).toEqual([
      ['restart', 'remediation:offline', 'timeout'],
      ['reboot', 'remediation:offline', 'timeout'],
      ['outlet.cycle', 'remediation:offline', 'succeeded'],
    ]);
    const latest = await controller.db.get<{ online: number; state: string }>(
      'SELECT online, state FROM miner_latest WHERE miner_id = ?',
      [HUNG],
    );
    expect(latest).toEqual({ online: 1, state: 'hashing' });
    // Audited: each command as issued by the system, each step and its verdict.
    const audit = await controller.db.all<{ action: string; actor_name: string }>(
      `SELECT action, actor_name FROM audit_log WHERE subject = ? ORDER BY at`,
      [`miner ${HUNG}`],
    );
    expect(audit.map((a) => a.action).filter((a) => a.startsWith('remediation.'))).toEqual([
      'remediation.step',
      'remediation.failed',
      'remediation.step',
      'remediation.failed',
      'remediation.step',
      'remediation.verified',
    ]);
    expect(new Set(audit.map((a) => a.actor_name))).toEqual(new Set(['system']));
  }, 180_000);

  it('a failed fan: a ticket at once, then over temperature the miner is put to sleep; never restarted, rebooted or power-cycled', async () => {
    await sim.setFault(SIM_HOT, { kind: 'failed-fan', fan: 0 });
    for (let i = 0; i < 3 && !(await openAlerts(HOT)).includes('fan_failed'); i++) {
      await sim.tick(20_000);
      await cycle();
    }
    expect(await openAlerts(HOT)).toContain('fan_failed');
    expect(await summary(HOT)).toEqual(['ticket ticket']);

    // The chips heat up over the next minutes without the fan.
    for (let i = 0; i < 20 && !(await summary(HOT)).includes('sleep pending'); i++) {
      await sim.tick(MIN);
      await cycle();
    }
    expect(sim.miner(SIM_HOT).mode).toBe('sleep');
    // The sleep is done when its agent reads the miner no longer hashing (issue 16): the miner
    // winds down in simulated time, read by the agent every 2 s of wall time.
    await waitFor(
      'the sleep verified by its agent',
      async () => {
        await sim.tick(5_000);
        const c = await controller.db.get<{ state: string }>(
          `SELECT state FROM commands WHERE miner_id = ? AND op = 'sleep'`,
          [HOT],
        );
        return c?.state === 'verified';
      },
      { timeoutMs: 30_000, everyMs: 1_000 },
    );
    await rem.tick(now());
    const ladder = await summary(HOT);
    expect(ladder).toEqual(['ticket ticket', 'sleep verified', 'ticket ticket']);

    // A day later: still nothing but the sleep (the ladder stopped at the ticket).
    for (let i = 0; i < 6; i++) {
      await sim.tick(4 * HOUR);
      await cycle();
    }
    expect((await commandsTo(HOT)).map((c) => [c.op, c.issuer])).toEqual([
      ['sleep', expect.stringMatching(/^remediation:(chip|board)_overtemp$/)],
    ]);

    // One ticket for the miner with both alerts in it, in the technician's list; they take and close it.
    const tickets = await api<{ id: string; state: string; slotId: string; source: string }[]>(
      technician,
      'GET',
      `/tickets?minerId=${HOT}`,
    );
    expect(tickets).toHaveLength(1);
    expect(tickets[0]).toMatchObject({
      state: 'open',
      source: 'remediation',
      slotId: `c1/${sim.info(SIM_HOT).rack}/${sim.info(SIM_HOT).slot}`,
    });
    const one = await api<{ title: string; notes: { text: string }[] }>(
      technician,
      'GET',
      `/tickets/${tickets[0]!.id}`,
    );
    expect(one.title).toMatch(/^fan_failed on /);
    expect(one.notes.map((n) => n.text).join('\n')).toMatch(
      /_overtemp on .*: ladder stopped after sleep sent/,
    );
    await api(technician, 'POST', `/tickets/${tickets[0]!.id}/take`, {});
    const closed = await api<{ state: string }>(technician, 'POST', `/tickets/${tickets[0]!.id}/close`, {
      note: 'fan 0 replaced',
    });
    expect(closed.state).toBe('done');
  }, 240_000);

  it('no reboot loop: over a simulated day a dead miner gets at most 4 commands, 10 min apart, and the ladder ends at a ticket', async () => {
    await sim.setFault(SIM_DEAD, { kind: 'dead' });
    const start = now();
    let closedOnce = false;
    while (now() - start < 24 * HOUR) {
      await cycle();
      // A technician closes the first ticket without fixing anything: the climb starts over, within the throttles.
      const open = await api<{ id: string }[]>(technician, 'GET', `/tickets?minerId=${DEAD}&state=open`);
      if (!closedOnce && open.length === 1 && now() - start > 3 * HOUR) {
        await api(technician, 'POST', `/tickets/${open[0]!.id}/close`, { note: 'reseated, no change' });
        closedOnce = true;
      }
      await sim.tick(10 * MIN);
    }
    expect(closedOnce).toBe(true);
    const cmds = await commandsTo(DEAD);
    expect(cmds.map((c) => c.op)).toEqual(['restart', 'reboot', 'outlet.cycle', 'restart']);
    for (const [i, c] of cmds.entries()) {
      expect(c.issuer).toBe('remediation:offline');
      if (i > 0) expect(c.created_at - cmds[i - 1]!.created_at).toBeGreaterThanOrEqual(10 * MIN);
    }
    expect(cmds.at(-1)!.created_at - cmds[0]!.created_at).toBeLessThan(24 * HOUR);
    expect(await summary(DEAD)).toEqual([
      'restart failed',
      'reboot failed',
      'power_cycle failed',
      'ticket ticket',
      'restart failed',
      'reboot throttled/daily_cap',
      'ticket ticket',
    ]);
    const tickets = await api<{ state: string }[]>(technician, 'GET', `/tickets?minerId=${DEAD}`);
    expect(tickets.map((t) => t.state).sort()).toEqual(['done', 'open']);
    expect(await openAlerts(DEAD)).toEqual(['offline']);
  }, 600_000);
});
