import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemo } from '../src/demo.js';
import { parseFlags } from '../src/flags.js';
import { ensurePortFree, freePort } from '../src/ports.js';
import { apiGet, waitFor } from '../src/wait.js';

/**
 * The main job end to end on free ports with a small fleet (three miners per container): the
 * controller sees every miner through the agents, a fault injected into the simulator shows in
 * the container grid within two poll cycles, and everything shuts down cleanly. Agents poll on
 * demand here, so "two poll intervals" is counted in cycles, not measured in seconds.
 */
type Slot = {
  rack: string;
  slot: string;
  minerId: string | null;
  state: string | null;
  online: boolean;
  lastSeenAt: number | null;
  hashrateThs: number | null;
};
type Grid = { racks: { rack: string; slots: Slot[] }[] };

let demo: RunningDemo;
let dataDir: string;
let ports: number[];

const grid = (containerId: string) =>
  apiGet<Grid>(demo.controller.url, demo.tokens.technician, `/containers/${containerId}`);
const slotOf = (g: Grid, rack: string, slot: string) =>
  g.racks.find((r) => r.rack === rack)?.slots.find((s) => s.slot === slot) ?? null;

/** One poll cycle of a container's agent, then until the controller has ingested it. */
async function cycle(containerId: string, rack: string, slot: string): Promise<Slot> {
  const index = demo.scenario.containers.findIndex((c) => c.id === containerId);
  const agent = demo.agents[index]!;
  const before = Date.now();
  await agent.pollNow();
  await agent.drained(10_000);
  // The sample or the unreachable report of this cycle has reached the API once lastSeenAt or state moves.
  return waitFor(`${containerId} ${rack}/${slot} after a poll cycle`, async () => {
    const s = slotOf(await grid(containerId), rack, slot);
    return s && ((s.lastSeenAt ?? 0) >= before || !s.online) ? s : null;
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hashfleet-start-'));
  ports = [await freePort(), await freePort()];
  const parsed = parseFlags([
    '--port',
    String(ports[0]),
    '--mqtt-port',
    String(ports[1]),
    '--data-dir',
    dataDir,
  ]);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  demo = await startDemo(parsed.options, {
    logLevel: 'silent',
    minersPerContainer: 3,
    pdus: 'off',
    addressing: 'free-block',
    schedule: 'manual',
  });
  for (const agent of demo.agents) {
    await agent.scanNow();
    await agent.pollNow();
  }
});

afterAll(async () => {
  await demo?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start (the main job)', () => {
  it('seeds two sites and four containers, and the API shows every simulated miner hashing in its slot', async () => {
    const sites = await apiGet<{ id: string }[]>(demo.controller.url, demo.tokens.operator, '/sites');
    expect(sites.map((s) => s.id).sort()).toEqual(['kazakhstan', 'sichuan']);
    for (const c of demo.scenario.containers) {
      const wanted = demo.scenario.miners.filter((m) => m.containerId === c.id);
      const seen = await waitFor(`${c.id}: ${wanted.length} miners online`, async () => {
        const g = await grid(c.id);
        const online = wanted.map((m) => slotOf(g, m.rack, m.slot)).filter((s) => s?.online && s.minerId);
        return online.length === wanted.length ? online : null;
      });
      expect(seen.every((s) => (s!.hashrateThs ?? 0) > 0)).toBe(true);
    }
  });

  it('hands out a token per role, and a staker token sees only its own staker', async () => {
    const me = await apiGet<{ role: string }>(demo.controller.url, demo.tokens.technician, '/me');
    expect(me.role).toBe('technician');
    const [a, b] = demo.tokens.stakers;
    await expect(
      apiGet(demo.controller.url, a!.token, `/stakers/${a!.stakerId}/statements`),
    ).resolves.toBeDefined();
    await expect(apiGet(demo.controller.url, a!.token, `/stakers/${b!.stakerId}/statements`)).rejects.toThrow(
      /403/,
    );
  });

  it('shows a miner killed in the simulator as offline in its container grid within two poll cycles', async () => {
    const victim = demo.scenario.miners.find((m) => m.containerId === demo.scenario.containers[0]!.id)!;
    const before = await cycle(victim.containerId, victim.rack, victim.slot);
    expect(before.online).toBe(true);
    await demo.simulation.setFault(victim.id, { kind: 'dead' });
    let cycles = 0;
    let now = before;
    while (now.online && cycles < 3) {
      cycles++;
      now = await cycle(victim.containerId, victim.rack, victim.slot);
    }
    expect(now.online).toBe(false);
    expect(cycles).toBeLessThanOrEqual(2);
  });

  it('stops agents, simulation and controller, freeing both ports', async () => {
    await demo.stop();
    await expect(ensurePortFree('127.0.0.1', ports[0]!, '--port')).resolves.toBeUndefined();
    await expect(ensurePortFree('127.0.0.1', ports[1]!, '--mqtt-port')).resolves.toBeUndefined();
  });
});
