import type { CommandAction } from '@hashfleet/contracts';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { bearerTokens } from '../src/auth/vnish.js';
import { CommandIntake, type ResultBody } from '../src/commands/intake.js';
import { loadCommandKeys } from '../src/commands/verify.js';
import { loadAgentConfig } from '../src/config.js';
import { loadKnownHosts } from '../src/transport/ssh.js';
import { Signer } from './helpers.js';

/**
 * The command intake alone, without an agent, broker or miner: real signatures (Ed25519 via the
 * test signer), the real verifier and executor. It proves the queue bound, that a command's seq is
 * spent and saved before it runs, that a replay is refused, and that poll.stop acts on the agent.
 */
const AGENT = 'intake-c1';
const signer = new Signer();
const config = loadAgentConfig({
  agentId: AGENT,
  siteId: 's',
  containerId: 'c',
  miners: { ranges: ['10.0.0.1'] },
  spool: { dir: '/nonexistent-never-written' },
  mqtt: { url: 'mqtt://127.0.0.1:1' },
  commands: { publicKeys: [{ base64: signer.publicKeyBase64 }] },
});

function intake(opts: { maxQueued?: number; known?: string[] } = {}) {
  const results: ResultBody[] = [];
  const saved: (number | null)[] = [];
  const dropped: string[] = [];
  const unmanaged = new Set<string>();
  const known = new Set(opts.known ?? []);
  const i: CommandIntake = new CommandIntake({
    config,
    publicKeys: loadCommandKeys(config.commands),
    ctx: {
      ports: config.miners.ports,
      credentials: config.credentials,
      knownHosts: loadKnownHosts(undefined),
      bearer: bearerTokens(config),
    },
    targetByKey: () => undefined,
    knows: (k) => known.has(k),
    unmanaged,
    lastSeq: null,
    persist: () => saved.push(i.lastSeq),
    publish: (r) => results.push(r),
    metrics: { dropped: (why) => dropped.push(why), command: () => {} },
    logger: pino({ level: 'silent' }),
    now: Date.now,
    ...(opts.maxQueued === undefined ? {} : { maxQueued: opts.maxQueued }),
  });
  return { i, results, saved, dropped, unmanaged };
}

const payload = (action: CommandAction, seq?: number) =>
  Buffer.from(JSON.stringify(signer.command(AGENT, action, seq === undefined ? {} : { seq })));

const stop = (minerKey: string): CommandAction => ({ op: 'poll.stop', target: { kind: 'miner', minerKey } });

describe('command intake', () => {
  it('spends and saves the seq before acting, applies poll.stop, and refuses a replay of it', async () => {
    const { i, results, saved, unmanaged } = intake({ known: ['m1'] });
    const p = payload(stop('m1'), 7);
    i.receive(p);
    i.receive(p);
    await i.idle();
    expect(results.map((r) => [r.commandSeq, r.status, r.refusal])).toEqual([
      [7, 'succeeded', null],
      [7, 'refused', 'replayed'],
    ]);
    expect(saved[0]).toBe(7);
    expect(i.lastSeq).toBe(7);
    expect([...unmanaged]).toEqual(['m1']);
    // Its effect is the agent's own polling set, read back: verified.
    expect(results[0]!.effect).toMatchObject({
      state: 'verified',
      observed: "miner m1 is out of this agent's polling",
    });
  });

  it('refuses a command for a miner it does not know, with a result, after spending its seq', async () => {
    const { i, results, saved } = intake();
    i.receive(payload({ op: 'reboot', target: { kind: 'miner', minerKey: 'nobody' } } as CommandAction, 3));
    await i.idle();
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ commandSeq: 3, status: 'refused', refusal: 'unknown_target' });
    expect(saved).toEqual([3]);
  });

  it('drops and counts what arrives beyond the queue bound, and still answers the rest in order', async () => {
    const { i, results, dropped } = intake({ maxQueued: 2, known: ['a', 'b', 'c'] });
    i.receive(payload(stop('a'), 1));
    i.receive(payload(stop('b'), 2));
    i.receive(payload(stop('c'), 3));
    await i.idle();
    expect(results.map((r) => r.commandSeq)).toEqual([1, 2]);
    expect(dropped).toEqual(['command-queue-full']);
  });

  it('answers garbage with a refusal instead of throwing', async () => {
    const { i, results } = intake();
    i.receive(Buffer.from('{"not":"a command"'));
    await i.idle();
    expect(results[0]).toMatchObject({ status: 'refused', refusal: 'malformed' });
  });
});
