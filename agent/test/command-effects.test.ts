import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandAction, MinerOp } from '@hashfleet/contracts';
import { type FirmwareProfile, getProfile } from '@hashfleet/firmware-profiles';
import { ALL_PROFILES, type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerTokens } from '../src/auth/vnish.js';
import { type ExecuteDeps, execute, type Outcome } from '../src/commands/execute.js';
import { CommandIntake, type ResultBody } from '../src/commands/intake.js';
import { loadCommandKeys } from '../src/commands/verify.js';
import type { AgentConfig } from '../src/config.js';
import { healthy } from '../src/poll/health.js';
import type { Target } from '../src/poll/poller.js';
import { loadKnownHosts } from '../src/transport/ssh.js';
import { Signer, simAgentConfig } from './helpers.js';

/**
 * Issue 16 must-show, per firmware over the simulator: every control operation of every profile
 * the simulator speaks is carried out by the executor and ends `verified` by a later reading (or
 * `unverified` with the reason, where no reading can show it); every refusal form ends `failed`
 * with the miner's own words. The executor reads the miner itself in the commanded window, on
 * the simulation's clock.
 */
const SSH_PORT = 22_122;
const HTTP_PORT = 18_180;
const NEW_POOL = { url: 'stratum+tcp://btc.new-pool.example:3333', user: 'hashshare.moved', password: 'x' };
const profiles = ALL_PROFILES.map((id) => getProfile(id)).filter((p): p is FirmwareProfile => !!p);
/** Refusal miners after one per profile: a read-only cgminer API, and wrong passwords. */
const REFUSALS = ['cgminer-read-only', 'whatsminer-v2-bad-password', 'whatsminer-v3-bad-password'] as const;

let sim: Simulation;
let config: AgentConfig;
let badConfig: AgentConfig;
const targets = new Map<string, Target>();

beforeAll(async () => {
  const scenario = smallScenario({
    miners: profiles.length + REFUSALS.length,
    profiles: [...profiles.map((p) => p.id), 'cgminer', 'whatsminer-v2', 'whatsminer-v3'] as never,
    pdus: false,
    seed: 16,
    bootS: 120,
    restartS: 3,
  });
  // The cgminer refusal miner runs with --api-allow R:0/0: reads only (cgminer API-README).
  scenario.miners[profiles.length]!.apiAllow = 'R:0/0';
  scenario.containers[0]!.ipBlock = '127.98.0.0/22';
  for (const [i, m] of scenario.miners.entries()) m.ip = `127.98.0.${10 + i}`;
  sim = await startSimulation(scenario, {
    startMs: Date.UTC(2026, 5, 1),
    sshPort: SSH_PORT,
    httpPort: HTTP_PORT,
  });
  const dir = simAgentConfig(sim, 'mqtt://127.0.0.1:1').spool.dir;
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, sim.miners.map((m) => `${m.ip} ${sim.sshHostKey}\n`).join(''));
  const secrets: Record<string, string> = {
    'antminer-stock': 'root',
    'braiins-os': 'root',
    'whatsminer-v2': 'admin',
    'whatsminer-v3': 'super',
    avalon: 'root',
    luxos: 'root',
    vnish: 'admin',
  };
  const ssh: Record<string, string> = { 'antminer-stock': 'miner', 'braiins-os': 'root' };
  const byProfile = (wrong: boolean) =>
    Object.fromEntries(
      Object.entries(secrets).map(([profile, pw]) => {
        process.env[`EFFECT_PW_${profile}`] = wrong ? 'not-the-password' : pw;
        process.env[`EFFECT_SSH_${profile}`] = ssh[profile] ?? 'root';
        const password = { env: `EFFECT_PW_${profile}` };
        return [
          profile,
          {
            rpc: { ...(profile === 'whatsminer-v3' ? { user: 'super' } : {}), password },
            web: { password },
            ssh: { password: { env: `EFFECT_SSH_${profile}` } },
          },
        ];
      }),
    );
  const base = (wrong: boolean) =>
    simAgentConfig(sim, 'mqtt://127.0.0.1:1', {
      miners: {
        ranges: ['127.98.0.0/24'],
        ports: {
          rpc: sim.miners[0]!.ports.rpc,
          wmV3: sim.miners.find((m) => m.ports.wmV3)?.ports.wmV3 ?? 4433,
          ssh: SSH_PORT,
          http: HTTP_PORT,
        },
      },
      credentials: { byProfile: byProfile(wrong), knownHostsFile: knownHosts },
    } as never);
  config = base(false);
  badConfig = base(true);
  for (const [i, m] of sim.miners.entries()) {
    const profile = getProfile(scenario.miners[i]!.profile)!;
    targets.set(m.id, {
      ip: m.ip,
      profile,
      port: profile.id === 'whatsminer-v3' ? 4433 : 4028,
      model: sim.miner(m.id).model,
      firmwareVersion: null,
      minerKey: m.id,
      health: healthy(),
      busy: false,
    });
  }
});
afterAll(() => sim?.stop());

function deps(c: AgentConfig): ExecuteDeps {
  return {
    ctx: {
      ports: c.miners.ports,
      credentials: c.credentials,
      knownHosts: loadKnownHosts(c.credentials.knownHostsFile),
      bearer: bearerTokens(c),
    },
    targetByKey: (k) => targets.get(k),
    pdus: [],
    requestTimeoutMs: 3000,
    // Time in the commanded window passes on the simulation's clock: reboots take their boot time.
    sleep: (ms) => sim.tick(ms),
    verify: { now: () => sim.clock.now(), intervalMs: 5_000 },
  };
}

function action(op: MinerOp, minerKey: string): CommandAction {
  const target = { kind: 'miner' as const, minerKey };
  switch (op) {
    case 'pool.set':
      return { op, target, ...NEW_POOL };
    case 'power.target':
      return { op, target, watts: 2000 };
    case 'power.mode':
      return { op, target, mode: 'low' };
    case 'led':
      return { op, target, on: true };
    default:
      return { op, target } as CommandAction;
  }
}

/** Sleep before wake, so wake has something to undo; reboot last, it resets what came before. */
const ORDER: MinerOp[] = [
  'led',
  'pool.set',
  'power.target',
  'power.mode',
  'sleep',
  'wake',
  'restart',
  'reboot',
];

describe('each firmware: every operation verified by its effect, or unverified with the reason', () => {
  profiles.forEach((profile, i) => {
    const ops = ORDER.filter((op) => profile.controls.some((c) => c.op === op));
    it(`${profile.id}: ${ops.join(', ')}`, async () => {
      const id = sim.miners[i]!.id;
      const results: Record<string, Outcome> = {};
      for (const op of ops) results[op] = await execute(action(op, id), deps(config));
      const states = Object.fromEntries(
        Object.entries(results).map(([op, r]) => [op, `${r.status}/${r.effect?.state}`]),
      );
      const expected = Object.fromEntries(
        ops.map((op) => {
          const effect = profile.controls.find((c) => c.op === op)?.effect;
          return [op, effect?.kind === 'unobservable' ? 'succeeded/unverified' : 'succeeded/verified'];
        }),
      );
      expect(states, JSON.stringify(results, null, 1)).toEqual(expected);
      for (const r of Object.values(results)) expect(r.effect?.reply).toBeTruthy();
    });
  });
});

describe('a miner its polls keep busy', () => {
  it('the effect check still ends with its window: unverified, never read, instead of holding the command open', async () => {
    // Before, a check that found the target busy skipped the window's end, so a miner polled
    // back to back (fixed-rate cycles with jitter) left its command acknowledged for ever.
    const i = profiles.findIndex((p) =>
      p.controls.some((c) => c.op === 'power.target' && c.effect?.kind !== 'unobservable'),
    );
    expect(i, 'a profile whose power target a reading shows').toBeGreaterThanOrEqual(0);
    const id = sim.miners[i]!.id;
    const target = targets.get(id)!;
    const started = sim.clock.now();
    target.busy = true;
    let r: Outcome;
    try {
      r = await execute(action('power.target', id), {
        ...deps(config),
        // The command's own request goes out; only the checks that follow find the miner busy.
        sleep: async (ms) => {
          target.busy = true;
          await sim.tick(ms);
        },
      });
    } finally {
      target.busy = false;
    }
    expect(r.effect?.state, JSON.stringify(r)).toBe('unverified');
    expect(r.effect?.observed).toContain('busy with polls throughout');
    const windowS = profiles[i]!.controls.find((c) => c.op === 'power.target')!.effect!;
    expect(sim.clock.now() - started).toBeLessThan(((windowS as { windowS: number }).windowS + 10) * 1000);
  });
});

describe('refusals fail with the miner own words', () => {
  const refusal = (k: (typeof REFUSALS)[number]) => sim.miners[profiles.length + REFUSALS.indexOf(k)]!.id;

  it('cgminer with a read-only API: restart and pool.set fail with Code 45 "Access denied"', async () => {
    const id = refusal('cgminer-read-only');
    const before = sim.miner(id);
    for (const op of ['restart', 'pool.set'] as const) {
      const r = await execute(action(op, id), deps(config));
      expect(r.status, r.message).toBe('failed');
      expect(r.effect?.state).toBe('failed');
      expect(r.effect?.reply).toMatch(/Code 45: Access denied to '(restart|addpool)' command/);
    }
    const after = sim.miner(id);
    expect(after.elapsedS).toBeGreaterThanOrEqual(before.elapsedS);
    expect(after.pools).toEqual(before.pools);
  });

  it.each([
    ['whatsminer-v2-bad-password', 'whatsminer-v2'],
    ['whatsminer-v3-bad-password', 'whatsminer-v3'],
  ] as const)('%s: a wrong password fails every write in the firmware words', async (k, _profile) => {
    const id = refusal(k);
    const r = await execute(action('restart', id), deps(badConfig));
    expect(r.status, r.message).toBe('failed');
    expect(r.effect?.state).toBe('failed');
    expect(r.effect?.reply?.length).toBeGreaterThan(0);
    expect(sim.miner(id).apiUp).toBe(true);
  });

  it.each([
    ['cgminer', 'restart'],
    ['bfgminer', 'restart'],
    ['luxos', 'pool.set'],
    ['whatsminer-v2', 'pool.set'],
  ] as const)(
    '%s: a %s reply that reads as neither yes nor no fails the command, never succeeds it',
    async (profileId, op) => {
      const id = sim.miners[profiles.findIndex((p) => p.id === profileId)]!.id;
      await sim.setFault(id, { kind: 'garbage' });
      try {
        const r = await execute(action(op, id), deps(config));
        expect(r.status, r.message).toBe('failed');
        expect(r.effect?.state).toBe('failed');
        expect(r.message).toMatch(/no verdict|not a JSON|unreadable|get_token|logon/);
      } finally {
        await sim.clearFault(id, 'garbage');
        // The restart itself happened (only its answer was garbled): let the daemon come back.
        await sim.tick(10_000);
      }
    },
  );

  it.each([
    ['antminer-stock', 'reboot', /HTTP 401/],
    ['vnish', 'restart', /HTTP 40[13]|unlock/],
  ] as const)('%s: a rejected web login fails %s (%s)', async (profileId, op, words) => {
    const id = sim.miners[profiles.findIndex((p) => p.id === profileId)]!.id;
    const badWeb = { ...deps(badConfig), targetByKey: (k: string) => targets.get(k) };
    const r = await execute(action(op, id), badWeb);
    expect(r.status, r.message).toBe('failed');
    expect(r.effect?.state).toBe('failed');
    expect(r.effect?.reply).toMatch(words);
  });
});

describe('through the command intake: commanded downtime', () => {
  const signer = new Signer();
  function intake() {
    const results: ResultBody[] = [];
    const c = {
      ...config,
      agentId: 'lab-c1',
      commands: { ...config.commands, publicKeys: [{ base64: signer.publicKeyBase64 }] },
    };
    const i = new CommandIntake({
      config: c,
      publicKeys: loadCommandKeys(c.commands),
      ctx: deps(config).ctx,
      targetByKey: (k) => targets.get(k),
      knows: (k) => targets.has(k),
      unmanaged: new Set(),
      lastSeq: null,
      persist: () => {},
      publish: (r) => results.push(r),
      metrics: { dropped: () => {}, command: () => {} },
      logger: pino({ level: 'silent' }),
      now: () => sim.clock.now(),
    });
    return { i, results };
  }
  const send = (i: CommandIntake, a: CommandAction) =>
    i.receive(Buffer.from(JSON.stringify(signer.command('lab-c1', a, { now: sim.clock.now() }))));
  const until = async (ok: () => boolean) => {
    for (let n = 0; n < 200 && !ok(); n++) await new Promise((r) => setTimeout(r, 50));
    expect(ok()).toBe(true);
  };

  it('a restart is acknowledged with its window end, then verified once the miner answers anew, and the poll back-off is lifted', async () => {
    const id = sim.miners[profiles.findIndex((p) => p.id === 'cgminer')]!.id;
    const target = targets.get(id)!;
    // As the poller leaves a miner it could not reach: the next try 30 s away.
    target.health = {
      failures: 1,
      downSince: sim.clock.now(),
      lastError: 'connect ECONNREFUSED',
      nextAttemptAt: sim.clock.now() + 30_000,
    };
    const { i, results } = intake();
    const sentAt = sim.clock.now();
    send(i, action('restart', id));
    await until(() => results.length === 1);
    expect(results[0]).toMatchObject({
      status: 'succeeded',
      effect: { state: 'acknowledged', reply: 'RESTART', windowEndsAt: sentAt + 60_000 },
    });
    // The daemon is down for the firmware's restart time; the intake keeps reading on its short schedule.
    await sim.tick(4_000);
    await until(() => results.length === 2);
    expect(results[1]).toMatchObject({
      commandId: results[0]!.commandId,
      status: 'succeeded',
      effect: { state: 'verified' },
    });
    expect(results[1]!.effect!.observed).toMatch(/answers with uptime \d+ s/);
    expect(target.health.nextAttemptAt).toBe(0);
  });

  it('a refusal is one failed result with the miner words, and nothing is verified after it', async () => {
    const id = sim.miners[profiles.length + REFUSALS.indexOf('cgminer-read-only')]!.id;
    const { i, results } = intake();
    send(i, action('restart', id));
    await until(() => results.length === 1);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: 'failed', effect: { state: 'failed' } });
    expect(results[0]!.message).toContain("Code 45: Access denied to 'restart' command");
  });
});
