import type { CommandAction } from '@hashfleet/contracts';
import { getProfile } from '@hashfleet/firmware-profiles';
import { type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerTokens } from '../src/auth/vnish.js';
import { CommandIntake, type ResultBody } from '../src/commands/intake.js';
import { loadCommandKeys } from '../src/commands/verify.js';
import { healthy } from '../src/poll/health.js';
import type { Target } from '../src/poll/poller.js';
import { loadKnownHosts } from '../src/transport/ssh.js';
import { memoryLogger, Signer, simAgentConfig } from './helpers.js';

/**
 * Issue 16 item 7: a simulated generic cgminer run with `--api-allow R:0/0` (reads only) refuses
 * every write with Code 45. The intake fails each such command with cgminer's words and warns once
 * per miner, naming the setting that gives the agent write access; a second refusal adds no warning.
 */
const signer = new Signer();
let sim: Simulation;

beforeAll(async () => {
  const scenario = smallScenario({ miners: 1, profiles: ['cgminer'], pdus: false, seed: 7 });
  scenario.miners[0]!.apiAllow = 'R:0/0';
  sim = await startSimulation(scenario, { startMs: Date.UTC(2026, 5, 1) });
});
afterAll(() => sim?.stop());

describe('a read-only miner API', () => {
  it('fails each write in the miner words and warns once per miner with the --api-allow fix', async () => {
    const m = sim.miners[0]!;
    const config = simAgentConfig(sim, 'mqtt://127.0.0.1:1', {
      commands: { publicKeys: [{ base64: signer.publicKeyBase64 }] },
    } as never);
    const target: Target = {
      ip: m.ip,
      profile: getProfile('cgminer')!,
      port: m.ports.rpc,
      model: sim.miner(m.id).model,
      firmwareVersion: null,
      minerKey: m.id,
      health: healthy(),
      busy: false,
    };
    const { logger, lines } = memoryLogger();
    const results: ResultBody[] = [];
    const intake: CommandIntake = new CommandIntake({
      config,
      publicKeys: loadCommandKeys(config.commands),
      ctx: {
        ports: config.miners.ports,
        credentials: config.credentials,
        knownHosts: loadKnownHosts(undefined),
        bearer: bearerTokens(config),
      },
      targetByKey: (k) => (k === m.id ? target : undefined),
      knows: (k) => k === m.id,
      unmanaged: new Set(),
      lastSeq: null,
      persist: () => {},
      publish: (r) => results.push(r),
      metrics: { dropped: () => {}, command: () => {} },
      logger,
      now: () => sim.clock.now(),
    });
    const restart: CommandAction = { op: 'restart', target: { kind: 'miner', minerKey: m.id } };
    intake.receive(Buffer.from(JSON.stringify(signer.command(config.agentId, restart))));
    intake.receive(Buffer.from(JSON.stringify(signer.command(config.agentId, restart))));
    await intake.idle();
    expect(results.map((r) => [r.status, r.effect?.state])).toEqual([
      ['failed', 'failed'],
      ['failed', 'failed'],
    ]);
    expect(results[0]!.effect?.reply).toMatch(/Code 45: Access denied to 'restart' command/);
    const warnings = lines.filter((l) => l.includes('read-only for this agent'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!).msg).toMatch(
      new RegExp(
        `^miner ${m.ip.replace(/\./g, '\\.')}: its API is read-only .*--api-allow W:<agent address>`,
      ),
    );
  });
});
