import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig, startAgent } from '@hashfleet/agent';
import { createToken, type RunningController } from '@hashfleet/controller';
import { bindAgentPlaces } from '@hashfleet/controller/core/auth/agent-places';
import { loadScenario, parseScenario, type Simulation, startSimulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfigFor, agentIdOf } from '../src/agents.js';
import { waitFor } from '../src/wait.js';
import { metricValue, startTestController } from './harness.js';

/**
 * Issue 17 items 1 and 4 with real agents on the embedded broker. Agent one's token is bound to
 * its own container: everything it publishes (birth, status, telemetry, events) is accepted, and
 * its data seq, counted (the missing gauge has its line), has no gap across its birth and polls.
 * Agent two's token is bound to agent one's container while it polls its own (a misbinding, or a
 * stolen token used elsewhere): every message that names its container is refused and counted,
 * and none of its miners enters the inventory. Agent three's token is bound to nothing: its
 * messages are refused (reason unbound) and kept in its spool; once an operator binds it, the
 * polls it made while unbound reach the inventory without a new poll.
 */
function scenario() {
  const demo = loadScenario('demo');
  const containers = demo.containers.slice(0, 3);
  const miners = containers.flatMap((c) =>
    demo.miners
      .filter((m) => m.containerId === c.id)
      .slice(0, 2)
      .map((m) => ({ ...m, pdu: null })),
  );
  return parseScenario({ ...demo, addressing: 'free-block', containers, miners, pdus: [], faults: [] });
}

type Agent = Awaited<ReturnType<typeof startAgent>>;
let controller: RunningController;
let sim: Simulation;
const agents: Agent[] = [];
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hashfleet-places-e2e-'));
  // The default the harness relaxes for other tests: an agent bound nowhere is refused.
  controller = await startTestController(dataDir, { config: { ingest: { unboundAgents: 'refuse' } } });
  sim = await startSimulation(scenario(), { pdus: false });
  const [one, two, three] = sim.scenario.containers;
  const bound = { siteId: one!.siteId, containerId: one!.id };
  for (const container of [one!, two!, three!]) {
    const agentId = agentIdOf(container.id);
    // The third agent's token is bound to nothing (a deployment that has not bound it yet).
    const places = container === three ? [] : [bound];
    const token = await createToken(controller.db, { role: 'agent', name: agentId, places });
    const config = loadAgentConfig(
      agentConfigFor(sim.scenario, container, {
        mqttUrl: controller.mqttUrl,
        dataDir: join(dataDir, agentId),
        agentToken: token,
        commandPublicKeyPem: controller.commandPublicKey,
        pollS: 1,
        logLevel: 'warn',
      }) as Record<string, unknown>,
      join(dataDir, agentId),
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

describe('real agents bound to their place', () => {
  it('accepts the bound agent with no seq gap, refuses the misbound one and keeps its miners out', async () => {
    const [one, two] = sim.scenario.containers;
    const [agentOne, agentTwo] = [agentIdOf(one!.id), agentIdOf(two!.id)];
    for (let round = 0; round < 3; round++) {
      await agents[0]!.pollNow();
      await agents[1]!.pollNow();
    }
    const containerOf = async (c: string) =>
      (await controller.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM miners WHERE container_id = ?', [c]))
        ?.n ?? 0;
    await waitFor('agent one miners in the inventory', async () => (await containerOf(one!.id)) === 2);
    await waitFor(
      'agent two refused',
      async () =>
        (await metricValue(
          controller.url,
          `hashfleet_ingest_rejected_total{reason="foreign_place",agent="${agentTwo}"}`,
        )) > 0,
    );
    expect(await containerOf(two!.id)).toBe(0);
    expect(
      await metricValue(
        controller.url,
        `hashfleet_ingest_rejected_total{reason="foreign_place",agent="${agentOne}"}`,
      ),
    ).toBe(0);
    expect(await metricValue(controller.url, `hashfleet_ingest_seq_gaps_total{agent="${agentOne}"}`)).toBe(0);
    expect(await (await fetch(`${controller.url}/metrics`)).text()).toContain(
      `hashfleet_ingest_seq_missing{agent="${agentOne}"} 0`,
    );
    const audit = await controller.db.all<{ actor_name: string }>(
      "SELECT DISTINCT actor_name FROM audit_log WHERE action = 'ingest.reject'",
    );
    // Agent three (bound to nothing) is refused and audited too; agent one never is.
    expect(audit.map((r) => r.actor_name)).toContain(agentTwo);
    expect(audit.map((r) => r.actor_name)).not.toContain(agentOne);
  });

  it('refuses the unbound agent and keeps its polls in its spool until it is bound', async () => {
    const three = sim.scenario.containers[2]!;
    const agentThree = agentIdOf(three.id);
    await agents[2]!.pollNow();
    await waitFor(
      'agent three refused as unbound',
      async () =>
        (await metricValue(
          controller.url,
          `hashfleet_ingest_rejected_total{reason="unbound",agent="${agentThree}"}`,
        )) > 0,
    );
    const inThree = async () =>
      (
        await controller.db.get<{ n: number }>(
          'SELECT COUNT(*) AS n FROM miner_latest l JOIN miners m ON m.id = l.miner_id WHERE m.container_id = ?',
          [three.id],
        )
      )?.n ?? 0;
    expect(await inThree()).toBe(0);
    expect(agents[2]!.metrics().spool.messages).toBeGreaterThan(0);
    await bindAgentPlaces(
      controller.db,
      agentThree,
      [{ siteId: three.siteId, containerId: three.id }],
      Date.now(),
    );
    // No new poll: the spooled messages are republished (mqtt.ackTimeoutMs) and now applied.
    await waitFor('agent three miners in the inventory', async () => (await inThree()) === 2, {
      timeoutMs: 120_000,
    });
  });
});
