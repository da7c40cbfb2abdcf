import { generateKeyPairSync, sign } from 'node:crypto';
import { type Command, CommandSchema, commandSigningBytes, exampleCommand } from '@hashfleet/contracts';
import { describe, expect, it } from 'vitest';
import { loadPublicKey, verifyCommand } from '../src/commands/verify.js';

const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const spki = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');

function signed(overrides: Partial<Command> = {}, key = privateKey): Command {
  const { signature: _s, ...unsigned } = { ...exampleCommand, ...overrides };
  const sig = sign(null, commandSigningBytes(unsigned), key).toString('base64');
  return CommandSchema.parse({ ...unsigned, signature: { alg: 'ed25519', keyId: 'k', sig } });
}

const ctx = {
  agentId: 'sc-c01',
  publicKey: loadPublicKey({ base64: spki }),
  now: exampleCommand.issuedAt + 1000,
  lastSeq: 6,
};

describe('command verification', () => {
  it('accepts a signed, fresh command with the next seq', () => {
    const v = verifyCommand(JSON.stringify(signed()), ctx);
    expect(v.ok).toBe(true);
  });
  it.each([
    ['replayed: seq at or below the last accepted', signed({ seq: 6 }), 'replayed'],
    ['expired', signed({ expiresAt: ctx.now - 1 }), 'expired'],
    ['signed by another key', signed({}, other.privateKey), 'bad_signature'],
    ['for another agent', signed({ agentId: 'kz-c07' }), 'wrong_agent'],
  ] as const)('refuses %s', (_n, command, refusal) => {
    const v = verifyCommand(JSON.stringify(command), ctx);
    expect(v).toMatchObject({ ok: false, refusal, commandId: command.id });
  });
  it('refuses a command whose fields were changed after signing', () => {
    const c = signed();
    const tampered = { ...c, action: { op: 'reboot', target: { kind: 'miner', minerKey: 'SN-OTHER' } } };
    expect(verifyCommand(JSON.stringify(tampered), ctx)).toMatchObject({
      ok: false,
      refusal: 'bad_signature',
    });
  });
  it('refuses unsigned and malformed payloads without throwing', () => {
    const { signature: _s, ...unsigned } = signed();
    expect(verifyCommand(JSON.stringify(unsigned), ctx)).toMatchObject({
      refusal: 'unsigned',
      commandSeq: 7,
    });
    expect(verifyCommand('{not json', ctx)).toMatchObject({ refusal: 'malformed', commandId: 'unknown' });
    expect(verifyCommand(JSON.stringify({ ...signed(), seq: -1 }), ctx)).toMatchObject({
      refusal: 'malformed',
    });
  });
  it('refuses everything when no controller key is configured', () => {
    expect(verifyCommand(JSON.stringify(signed()), { ...ctx, publicKey: null })).toMatchObject({
      refusal: 'bad_signature',
    });
  });
});
