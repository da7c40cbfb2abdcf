import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulation, smallScenario, startSimulation } from '../src/index.js';
import { json, parse, rpc } from './client.js';

/**
 * Issue 16: the simulated cgminer keeps pool priorities as cgminer does (addpool at the lowest,
 * switchpool to priority 0 with the rest moved down), leaves the old pool's stratum connection up
 * for a while after a switch (both `Stratum Active`, as a real cgminer 4.11.1 did for 85-95 s),
 * refuses privileged commands to a read-only API with Code 45, and loses run-time pools on restart.
 */
let sim: Simulation;
beforeAll(async () => {
  const s = smallScenario({ miners: 2, profiles: ['cgminer'], pdus: false, seed: 3, restartS: 3 });
  s.miners[1]!.apiAllow = 'R:0/0';
  sim = await startSimulation(s);
});
afterAll(() => sim?.stop());

const call = async (i: number, command: string, parameter?: string) =>
  parse(await rpc(sim.miners[i]!.ip, sim.miners[i]!.ports.rpc, json(command, parameter)));
const pools = async (i: number) =>
  ((await call(i, 'pools')).POOLS as Record<string, unknown>[]).map((p) => [
    p.URL,
    p.Priority,
    p['Stratum Active'],
  ]);

describe('simulated cgminer pools', () => {
  it('adds at the lowest priority, switches to priority 0, and keeps the old connection for 90 s', async () => {
    const before = await pools(0);
    const added = await call(0, 'addpool', 'stratum+tcp://new.example:3333,w.new,x');
    const n = before.length;
    expect((added.STATUS as { Msg: string }[])[0]!.Msg).toBe(
      `Added pool ${n}: 'stratum+tcp://new.example:3333'`,
    );
    expect((await pools(0)).at(-1)).toEqual(['stratum+tcp://new.example:3333', n, false]);
    await call(0, 'switchpool', String(n));
    const switched = await pools(0);
    expect(switched.at(-1)).toEqual(['stratum+tcp://new.example:3333', 0, true]);
    expect(switched[0]).toEqual([before[0]![0], 1, true]);
    await sim.tick(91_000);
    expect((await pools(0))[0]).toEqual([before[0]![0], 1, false]);
  });

  it('a restart drops the API for the restart time and forgets the pool added at run time', async () => {
    const configured = (await pools(0)).length - 1;
    await call(0, 'restart');
    await expect(call(0, 'pools')).rejects.toThrow();
    await sim.tick(4_000);
    const after = await pools(0);
    expect(after).toHaveLength(configured);
    expect(after[0]![1]).toBe(0);
    expect(after[0]![2]).toBe(true);
  });

  it('a read-only API answers reads and refuses privileged commands with Code 45', async () => {
    expect(((await call(1, 'summary')).STATUS as { STATUS: string }[])[0]!.STATUS).toBe('S');
    const denied = (await call(1, 'switchpool', '0')).STATUS as {
      STATUS: string;
      Code: number;
      Msg: string;
    }[];
    expect(denied[0]).toMatchObject({ STATUS: 'E', Code: 45, Msg: "Access denied to 'switchpool' command" });
  });
});
