import { type ControlOperation, PROFILES } from '@hashfleet/firmware-profiles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulation, smallScenario, startSimulation } from '../src/index.js';
import { parse, rpc } from './client.js';
import { rpcBody } from './poll.js';

/**
 * The profiles' control operations are data; this runs every RPC one that needs no secret (or
 * only a LuxOS session) against the simulated firmware and checks that it is accepted and that
 * the miner really changed. Shows the simulator and the profiles agree on the control wire format.
 */
const ORDER = ['led', 'pool.set', 'power.target', 'sleep', 'wake', 'restart', 'reboot'] as const;
const runnable = (c: ControlOperation) =>
  c.transport === 'rpc' &&
  (c.auth.kind === 'none' || c.auth.kind === 'luxos-session') &&
  (ORDER as readonly string[]).includes(c.op);
const cases = PROFILES.filter((p) => p.controls.some(runnable));

let sim: Simulation;
beforeAll(async () => {
  const s = smallScenario({ miners: cases.length, pdus: false, seed: 13, bootS: 30, restartS: 5 });
  for (const [i, p] of cases.entries()) s.miners[i]!.profile = p.id as (typeof s.miners)[number]['profile'];
  // Plain cgminer is driven with write access on its API (`--api-allow W:...`).
  sim = await startSimulation(s);
});
afterAll(() => sim?.stop());

const fill = (text: string, vars: Record<string, string>) =>
  text.replace(/\{(\w+)\}/g, (_m, k: string) => vars[k] ?? `{${k}}`);

describe('profile control operations against the simulated firmware', () => {
  cases.forEach((profile, i) => {
    const ops = ORDER.map((op) => profile.controls.find((c) => c.op === op && runnable(c))).filter(
      (c): c is ControlOperation => !!c,
    );
    it(`${profile.id}: ${ops.map((o) => o.op).join(', ')}`, async () => {
      const m = sim.miners[i]!;
      const vars: Record<string, string> = {
        url: 'stratum+tcp://btc.new-pool.example:3333',
        user: 'hashshare.moved',
        password: 'x',
        watts: '2000',
        on: '1',
        ledOn: '1',
        ledOnBool: 'true',
        unixTime: String(Math.floor(sim.clock.now() / 1000)),
        webUser: 'root',
        webPassword: 'root',
      };
      for (const op of ops) {
        if (op.auth.kind === 'luxos-session') {
          const logon = parse(await rpc(m.ip, 4028, '{"command":"logon"}')) as {
            SESSION: { SessionID: string }[];
          };
          vars.sessionId = logon.SESSION[0]!.SessionID;
        }
        for (const step of op.steps) {
          if (step.transport !== 'rpc') continue;
          const req = {
            ...step,
            command: fill(step.command, vars),
            ...(step.parameter !== undefined ? { parameter: fill(step.parameter, vars) } : {}),
          };
          const reply = (await rpc(m.ip, step.port, rpcBody(req))).toString('latin1');
          if (op.expect === 'status-ok') {
            const status =
              (parse(Buffer.from(reply, 'latin1')).STATUS as { STATUS: string }[] | string | undefined) ??
              'RESTART';
            const letter = Array.isArray(status) ? status[0]!.STATUS : status;
            expect(['S', 'I', 'RESTART', 'BYE'], `${profile.id} ${op.op}: ${reply}`).toContain(letter);
          }
        }
        await sim.tick(0);
        const after = sim.miner(m.id);
        if (op.op === 'led') expect(after.led).toBe(true);
        if (op.op === 'sleep') expect(after.mode).toBe('sleep');
        if (op.op === 'wake') expect(after.mode).toBe('normal');
        if (op.op === 'power.target') expect(after.powerLimitW).toBe(2000);
        if (op.op === 'restart' || op.op === 'reboot')
          expect(after.apiUp, `${profile.id} ${op.op} takes the API down`).toBe(false);
        // Disruptive operations (reboot, restart, Avalon's setpool + reboot) end with a boot.
        if (!after.apiUp) {
          await sim.tick(31_000);
          expect(sim.miner(m.id).elapsedS).toBeLessThan(31);
        }
        if (op.op === 'pool.set') expect(sim.miner(m.id).pools.map((p) => p.url)).toContain(vars.url);
      }
    });
  });
});
