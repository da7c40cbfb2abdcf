import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig, startAgent } from '@hashfleet/agent';
import { createToken, type Db, type RunningController } from '@hashfleet/controller';
import {
  createMiner,
  ensureSlots,
  moveMiner,
  slotId,
  upsertContainer,
  upsertSite,
} from '@hashfleet/controller/fleet/inventory/index';
import { loadScenario, parseScenario, type Simulation, startSimulation } from '@hashfleet/simulator';
import type { MinerSpec, Scenario } from '@hashfleet/simulator/scenario/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentConfigFor, agentIdOf } from '../src/agents.js';
import { waitFor } from '../src/wait.js';
import { startTestController } from './harness.js';

/**
 * Relocation end to end: 20 Antminers leave a Sichuan container for a Kazakhstan container. The
 * simulator stands in for the physical move: each unit's twin in the Kazakhstan container (same
 * serial and MAC, new IP, new slot) is powered on when the original is powered off at packing.
 * One twin carries another serial: the unit that arrived is not the one that left.
 */
const SWAPPED = 7;

function relocationScenario(): { scenario: Scenario; leaving: MinerSpec[]; twins: MinerSpec[] } {
  const demo = loadScenario('demo');
  // Whatsminer v3 units: their API reports the serial (how the controller knows a unit again)
  // and the agent can put them to sleep with the v3 token.
  const block = (id: string) =>
    demo.containers
      .find((c) => c.id === id)!
      .ipBlock.split('/')[0]!
      .split('.')
      .slice(0, 3)
      .join('.');
  const units = demo.miners.filter((m) => m.profile === 'whatsminer-v3').slice(0, 20);
  const leaving = units.map((m, i) => ({
    ...m,
    id: `sc-c1-r1-s${String(i + 1).padStart(2, '0')}`,
    containerId: 'sc-c1',
    rack: 'R1',
    slot: `S${i + 1}`,
    ip: `${block('sc-c1')}.${10 + i}`,
    pdu: null,
  }));
  const twins = leaving.map((m, i) => ({
    ...m,
    id: `${m.id}-arrived`,
    containerId: 'kz-c1',
    rack: 'R5',
    slot: `S${i + 1}`,
    ip: `${block('kz-c1')}.${200 + i}`,
    ...(i === SWAPPED ? { serial: `${m.serial}X`, mac: '02:00:00:00:00:07' } : {}),
  }));
  const scenario = parseScenario({
    ...demo,
    addressing: 'free-block',
    timing: { bootS: 1, restartS: 1, outletCycleS: 1 },
    containers: demo.containers.filter((c) => c.id === 'sc-c1' || c.id === 'kz-c1'),
    miners: [...leaving, ...twins],
    pdus: [],
    faults: [],
  });
  return { scenario, leaving, twins };
}

/** Inventory as an operator entered it: sites, containers, slots, and the 20 units in Sichuan. */
async function seed(db: Db) {
  // The demo's controller runs on the real clock, so the seed does too.
  const now = Date.now();
  for (const site of scenario.sites) {
    await upsertSite(
      db,
      {
        id: site.id,
        name: site.name,
        timezone: 'UTC',
        capacityMw: site.capacityMw,
        tariff: { currency: 'USD', perKwh: site.tariffUsdPerKwh },
      },
      now,
    );
  }
  for (const c of scenario.containers) {
    await upsertContainer(db, { id: c.id, siteId: c.siteId, name: c.name, agentId: agentIdOf(c.id) }, now);
    const here = scenario.miners.filter((m) => m.containerId === c.id);
    await ensureSlots(
      db,
      c.id,
      here.map((m) => ({ rack: m.rack, slot: m.slot })),
    );
  }
  for (const m of leaving) {
    await createMiner(db, { id: m.id, serial: m.serial, model: m.model, profile: m.profile }, now);
    await moveMiner(
      db,
      m.id,
      {
        siteId: 'sichuan',
        containerId: 'sc-c1',
        slotId: slotId('sc-c1', m.rack, m.slot),
        status: 'in_service',
        reason: 'seed',
      },
      { now },
    );
  }
}

type Agent = Awaited<ReturnType<typeof startAgent>>;
let controller: RunningController;
let sim: Simulation;
let agents: Map<string, Agent>;
let dataDir: string;
let operator: string;
let admin: string;
let technician: string;
const { scenario, leaving, twins } = relocationScenario();

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hashfleet-reloc-'));
  controller = await startTestController(dataDir);
  const db = controller.db;
  await seed(db);
  operator = await createToken(db, { role: 'operator', name: 'op-1' });
  admin = await createToken(db, { role: 'admin', name: 'admin-1' });
  technician = await createToken(db, { role: 'technician', name: 'tech-1' });

  sim = await startSimulation(scenario, { clock: 'real', pdus: false });
  for (const t of twins) await sim.power(t.id, false);
  agents = new Map();
  for (const container of sim.scenario.containers) {
    const agentId = agentIdOf(container.id);
    const wiring = agentConfigFor(sim.scenario, container, {
      mqttUrl: controller.mqttUrl,
      dataDir,
      agentToken: await createToken(db, { role: 'agent', name: agentId }),
      commandPublicKeyPem: controller.commandPublicKey,
      pollS: 1,
    });
    // The Whatsminer v3 default account (the simulator keeps the firmware's default password).
    const rpcPassword = join(dataDir, `${agentId}.rpc`);
    writeFileSync(rpcPassword, 'super', { mode: 0o600 });
    const config = loadAgentConfig(
      { ...wiring, credentials: { rpc: { user: 'super', password: { file: rpcPassword } } } } as Record<
        string,
        unknown
      >,
      dataDir,
    );
    agents.set(container.id, await startAgent(config, { schedule: 'manual' }));
  }
}, 60_000);

afterAll(async () => {
  for (const a of agents?.values() ?? []) await a.stop();
  await sim?.stop();
  await controller?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const api = async (token: string, method: 'GET' | 'POST', path: string, body?: unknown) => {
  const res = await fetch(`${controller.url}/api/v1/relocation${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : null,
  });
  const json = (await res.json()) as Record<string, unknown> & { message?: string };
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${json.message ?? ''}`);
  return json;
};

/** Polls a container's miners until the controller has a fresh sample of each of `ids`. */
async function pollUntilSeen(containerId: string, ids: string[], since: number) {
  const agent = agents.get(containerId)!;
  await waitFor(
    `${containerId}: samples of ${ids.length} miners`,
    async () => {
      if (agent.metrics().targets < ids.length) await agent.scanNow();
      await agent.pollNow();
      await agent.drained(2000);
      const rows = await controller.db.all<{ miner_id: string }>(
        `SELECT miner_id FROM miner_latest WHERE at >= ? AND miner_id IN (${ids.map(() => '?').join(',')})`,
        [since, ...ids],
      );
      return rows.length === ids.length;
    },
    { timeoutMs: 30_000, everyMs: 300 },
  );
}

type Move = { id: string; minerId: string; state: string; flag: string | null; toSlot: string | null };

describe('relocation end to end with simulator, agents and controller', () => {
  it('moves 20 miners from Sichuan to Kazakhstan: new slots and IPs, same serials, verified; the swapped unit is flagged', async () => {
    const t0 = Date.now();
    await agents.get('sc-c1')!.scanNow();
    await agents.get('kz-c1')!.scanNow();
    await pollUntilSeen(
      'sc-c1',
      leaving.map((m) => m.id),
      t0,
    );

    const proposed = await api(operator, 'POST', '/plans', {
      name: 'dry season: sc-c1 to Pavlodar',
      assumptions: {
        start: '2026-12',
        horizonMonths: 4,
        market: { btcPriceUsd: 90_000, hashpriceBtcPerPhDay: 0.0006 },
        routes: [
          {
            from: 'sichuan',
            to: 'kazakhstan',
            transitDays: 14,
            costPerMinerUsd: 40,
            costPerContainerUsd: 60_000,
            customsPerMinerUsd: 5,
          },
        ],
        sites: { sichuan: { repairSite: true } },
      },
    });
    const plan = proposed.plan as { moves: { minerId: string; toSite: string; mode: string }[] };
    expect(plan.moves.map((m) => m.minerId).sort()).toEqual(leaving.map((m) => m.id).sort());
    expect(new Set(plan.moves.map((m) => `${m.toSite}/${m.mode}`))).toEqual(new Set(['kazakhstan/miner']));
    await api(admin, 'POST', `/plans/${proposed.id}/approve`);
    const moves = (await api(technician, 'GET', `/moves?planId=${proposed.id}`)) as unknown as Move[];
    expect(moves).toHaveLength(20);
    const step = (m: Move, to: string, extra: object = {}) =>
      api(technician, 'POST', `/moves/${m.id}/advance`, {
        to,
        ...extra,
      }) as Promise<unknown> as Promise<Move>;

    // Decommission: the sleep command goes through the Sichuan agent to each miner.
    for (const m of moves) await step(m, 'decommissioned');
    await waitFor(
      'all 20 leaving miners asleep',
      async () => leaving.every((m) => sim.miner(m.id).mode === 'sleep'),
      {
        timeoutMs: 20_000,
      },
    );
    // ...and poll.stop: the Sichuan agent takes none of them up any more, so unplugging them raises
    // no lost-miner alarm. The Kazakhstan agent never gets poll.stop (checked at the end).
    const stopped = (agentId: string) =>
      controller.db.get<{ n: number }>(
        `SELECT COUNT(*) AS n FROM commands WHERE op = 'poll.stop' AND agent_id = ? AND result_status = 'verified'`,
        [agentId],
      );
    await waitFor('20 poll.stop results from the Sichuan agent', async () =>
      Number((await stopped(agentIdOf('sc-c1')))?.n) === 20 ? true : null,
    );
    const sc = await agents.get('sc-c1')!.pollNow();
    expect(sc.polled + sc.failed + sc.skipped).toBe(0);

    // Packed (unplugged), on the road, arrived; at the other end the unit boots in its new slot.
    for (const m of moves) {
      await step(m, 'packed');
      await sim.power(m.minerId, false);
      await step(m, 'in_transit');
      await step(m, 'arrived');
    }
    const installedAt = Date.now();
    for (const [i, t] of twins.entries()) {
      await sim.power(t.id, true);
      const m = moves.find((x) => x.minerId === leaving[i]!.id)!;
      const r = await step(m, 'installed', { slot: slotId('kz-c1', t.rack, t.slot) });
      expect(r.state).toBe('installed');
    }
    // Workaround (simulator/src/simulation.ts sync): a miner powered on from off never reopens its
    // listeners when it finishes booting; any later sync does, and clearFault (no faults) is one.
    await new Promise((r) => setTimeout(r, 1500));
    for (const t of twins) await sim.clearFault(t.id);
    const kz = agents.get('kz-c1')!;
    await kz.scanNow();
    const arrivedIds = leaving.filter((_, i) => i !== SWAPPED).map((m) => m.id);
    await pollUntilSeen('kz-c1', arrivedIds, installedAt);
    await waitFor('the swapped unit in inventory', () =>
      controller.db.get('SELECT id FROM miners WHERE serial = ?', [twins[SWAPPED]!.serial]),
    );

    const verdicts = new Map<string, Move>();
    for (const m of moves) {
      const r = await waitFor(`verdict for ${m.minerId}`, async () => {
        try {
          return await step(m, 'verified');
        } catch (e) {
          if (/not verified yet/.test((e as Error).message)) {
            await kz.pollNow();
            return null;
          }
          throw e;
        }
      });
      verdicts.set(m.minerId, r);
    }
    const swappedId = leaving[SWAPPED]!.id;
    for (const id of arrivedIds)
      expect(verdicts.get(id)!.state, `${id}: ${verdicts.get(id)!.flag}`).toBe('verified');
    expect(verdicts.get(swappedId)).toMatchObject({ state: 'flagged' });
    expect(verdicts.get(swappedId)!.flag).toContain(twins[SWAPPED]!.serial);
    expect(Number((await stopped(agentIdOf('kz-c1')))?.n)).toBe(0);

    // Inventory followed: new container and slot, a new IP observed, the same serial; Sichuan slots free.
    const db = controller.db;
    for (const [i, m] of leaving.entries()) {
      if (i === SWAPPED) continue;
      const row = await db.get<{ container_id: string; slot_id: string; status: string; serial: string }>(
        'SELECT container_id, slot_id, status, serial FROM miners WHERE id = ?',
        [m.id],
      );
      expect(row).toEqual({
        container_id: 'kz-c1',
        slot_id: slotId('kz-c1', 'R5', `S${i + 1}`),
        status: 'in_service',
        serial: m.serial,
      });
      const ips = await db.all<{ value: string }>(
        "SELECT value FROM miner_identities WHERE miner_id = ? AND kind = 'ip'",
        [m.id],
      );
      expect(ips.map((x) => x.value)).toContain(sim.info(twins[i]!.id).ip);
      expect(ips.map((x) => x.value)).toContain(sim.info(m.id).ip);
    }
    const scOccupied = await db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM slots WHERE container_id = 'sc-c1' AND miner_id IS NOT NULL",
    );
    expect(Number(scOccupied!.n)).toBe(0);
    const flagged = (await api(technician, 'GET', '/moves?state=flagged')) as unknown as Move[];
    expect(flagged.map((m) => m.minerId)).toEqual([swappedId]);
  }, 120_000);
});
