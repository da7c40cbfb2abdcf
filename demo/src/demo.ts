import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadAgentConfig, startAgent } from '@hashfleet/agent';
import {
  createToken,
  loadControllerConfig,
  type RunningController,
  startController,
} from '@hashfleet/controller';
import {
  loadScenario,
  type Scenario,
  type ScenarioName,
  type Simulation,
  startSimulation,
} from '@hashfleet/simulator';
import { moveScenario } from '@hashfleet/simulator/simulation';
import { agentConfigFor, agentIdOf } from './agents.js';
import type { BannerInput } from './banner.js';
import type { DemoOptions } from './flags.js';
import { ensurePortFree } from './ports.js';
import { importAssets, seedAlertRules, seedInventory, setRelocationSites } from './seed.js';
import { closeYesterday, seedStakes } from './stakes.js';

export type Agent = Awaited<ReturnType<typeof startAgent>>;

export interface DemoTokens {
  admin: string;
  operator: string;
  technician: string;
  stakers: { stakerId: string; token: string }[];
}

export interface RunningDemo {
  controller: RunningController;
  simulation: Simulation;
  agents: Agent[];
  /** The scenario as running: addresses are the simulation's (moved to the chosen block). */
  scenario: Scenario;
  tokens: DemoTokens;
  summary: BannerInput;
  /** Stops agents, then the simulation, then the controller. */
  stop(): Promise<void>;
}

export interface DemoHooks {
  /** Quiet for tests: controller log level (default warn). */
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'silent';
  /** Shrinks the scenario (tests): keep only the first n miners of each container. */
  minersPerContainer?: number;
  /** Shrinks the scenario (tests): keep only the first n miners of each firmware in each container. */
  minersPerProfile?: number;
  /** `free-block` (tests): the simulation picks an unused 127.N/16 instead of --miners-ip-block. */
  addressing?: 'fixed' | 'free-block';
  /** `off`: no simulated PDUs and no SNMP polling (a leaner fleet for tests). Default `on`. */
  pdus?: 'on' | 'off';
  /** `manual` (tests): agents poll only on pollNow(), so a test counts poll cycles exactly. */
  schedule?: 'timers' | 'manual';
}

/** Starts everything `npm start` runs, in order, undoing what already started when a step fails. */
export async function startDemo(opts: DemoOptions, hooks: DemoHooks = {}): Promise<RunningDemo> {
  const dataDir = resolve(opts.dataDir);
  if (opts.fresh) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  await ensurePortFree(opts.host, opts.port, '--port');
  await ensurePortFree(opts.host, opts.mqttPort, '--mqtt-port');

  const loaded = shrink(loadScenario(scenarioName(opts.scenario)), hooks);
  const scenario = placed(loaded, opts, hooks);
  const undo: (() => Promise<void>)[] = [];
  const unwind = async () => {
    for (const u of undo.reverse()) await u().catch(() => {});
  };
  try {
    const controller = await startController(
      loadControllerConfig(
        {
          dataDir,
          http: { host: opts.host, port: opts.port },
          mqtt: { embeddedHost: opts.host, embeddedPort: opts.mqttPort },
          log: { level: hooks.logLevel ?? 'warn' },
        },
        {},
      ),
    );
    undo.push(() => controller.stop());
    const db = controller.db;
    await seedInventory(db, scenario);
    await seedAlertRules(db, scenario);
    const stakers = await seedStakes(db);
    const tokens: DemoTokens = {
      admin: await createToken(db, { role: 'admin', name: 'demo-admin' }),
      operator: await createToken(db, { role: 'operator', name: 'demo-operator' }),
      technician: await createToken(db, { role: 'technician', name: 'demo-technician' }),
      stakers: [],
    };
    for (const stakerId of stakers) {
      tokens.stakers.push({
        stakerId,
        token: await createToken(db, { role: 'staker', name: stakerId, stakerId }),
      });
    }

    await closeYesterday(controller.url, tokens.operator);

    const warnings: string[] = [];
    const simulation = await simulate(scenario, hooks, warnings);
    undo.push(() => simulation.stop());
    const running = simulation.scenario;
    await importAssets(controller.url, tokens.operator, running);
    await setRelocationSites(controller.url, tokens.operator);

    const agents: Agent[] = [];
    for (const container of running.containers) {
      const agentId = agentIdOf(container.id);
      // Bound to its container: the controller refuses what it says for any other (issue 17).
      const agentToken = await createToken(db, {
        role: 'agent',
        name: agentId,
        places: [{ siteId: container.siteId, containerId: container.id }],
      });
      const config = loadAgentConfig(
        agentConfigFor(running, container, {
          mqttUrl: controller.mqttUrl,
          dataDir,
          agentToken,
          commandPublicKeyPem: controller.commandPublicKey,
          pollS: opts.pollS,
          sshHostKey: simulation.sshHostKey,
          logLevel: hooks.logLevel === 'silent' ? 'fatal' : (hooks.logLevel ?? 'warn'),
        }) as Record<string, unknown>,
        dataDir,
      );
      const agent = await startAgent(config, { schedule: hooks.schedule ?? 'timers' });
      agents.push(agent);
      undo.push(() => agent.stop());
    }

    let stopped = false;
    return {
      controller,
      simulation,
      agents,
      scenario: running,
      tokens,
      summary: {
        url: controller.url,
        mqttUrl: controller.mqttUrl,
        dataDir,
        sites: scenario.sites.length,
        containers: scenario.containers.length,
        miners: scenario.miners.length,
        pollS: opts.pollS,
        firstContainerId: scenario.containers[0]?.id ?? null,
        warnings,
        tokens: [
          { role: 'admin', name: 'demo-admin', token: tokens.admin },
          { role: 'operator', name: 'demo-operator', token: tokens.operator },
          { role: 'technician', name: 'demo-technician', token: tokens.technician },
          ...tokens.stakers.map((s) => ({ role: 'staker', name: s.stakerId, token: s.token })),
        ],
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await Promise.all(agents.map((a) => a.stop()));
        await simulation.stop();
        await controller.stop();
      },
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}

/**
 * Starts the simulated fleet. When its PDUs cannot start (a simulator fault, not the operator's),
 * the fleet runs without them rather than not at all, and the banner says so.
 */
async function simulate(scenario: Scenario, hooks: DemoHooks, warnings: string[]): Promise<Simulation> {
  if (hooks.pdus === 'off') return startSimulation(withoutPdus(scenario), { clock: 'real', pdus: false });
  try {
    return await startSimulation(scenario, { clock: 'real' });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const simulation = await startSimulation(withoutPdus(scenario), { clock: 'real', pdus: false }).catch(
      () => {
        throw err;
      },
    );
    warnings.push(`simulated PDUs could not start (${why}); running without PDUs`);
    return simulation;
  }
}

function withoutPdus(s: Scenario): Scenario {
  return { ...s, pdus: [], miners: s.miners.map((m) => ({ ...m, pdu: null })) };
}

const SCENARIOS: ScenarioName[] = ['demo', 'bench'];

function scenarioName(name: string): ScenarioName {
  const found = SCENARIOS.find((s) => s === name);
  if (!found) throw new Error(`--scenario ${name}: unknown; choose one of ${SCENARIOS.join(', ')}`);
  return found;
}

/** Moves the fleet to the block chosen with --miners-ip-block, or lets the simulation pick one (tests). */
function placed(s: Scenario, opts: DemoOptions, hooks: DemoHooks): Scenario {
  if (hooks.addressing === 'free-block') return { ...s, addressing: 'free-block' };
  return { ...moveScenario(s, Number(opts.minersIpBlock.split('.')[1])), addressing: 'fixed' };
}

function shrink(s: Scenario, hooks: DemoHooks): Scenario {
  const { minersPerContainer: perContainer, minersPerProfile: perProfile } = hooks;
  if (perContainer === undefined && perProfile === undefined) return s;
  const kept = new Map<string, number>();
  const under = (group: string, n: number | undefined) => n === undefined || (kept.get(group) ?? 0) < n;
  const keep = new Set<string>();
  for (const m of s.miners) {
    const groups = [m.containerId, `${m.containerId}/${m.profile}`];
    if (!under(groups[0]!, perContainer) || !under(groups[1]!, perProfile)) continue;
    for (const g of groups) kept.set(g, (kept.get(g) ?? 0) + 1);
    keep.add(m.id);
  }
  return {
    ...s,
    miners: s.miners.filter((m) => keep.has(m.id)),
    faults: s.faults.filter((f) => keep.has(f.minerId)),
  };
}
