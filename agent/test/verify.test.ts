import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { type Command, CommandSchema, commandSigningBytes, exampleCommand } from '@hashfleet/contracts';
import { describe, expect, it } from 'vitest';
import { commandKeyId, loadCommandKeys, verifyCommand } from '../src/commands/verify.js';

const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const spkiOf = (key: KeyObject) => key.export({ format: 'der', type: 'spki' }).toString('base64');
const spki = spkiOf(publicKey);

function signed(overrides: Partial<Command> = {}, key = privateKey, keyId = 'k'): Command {
  const { signature: _s, ...unsigned } = { ...exampleCommand, ...overrides };
  const sig = sign(null, commandSigningBytes(unsigned), key).toString('base64');
  return CommandSchema.parse({ ...unsigned, signature: { alg: 'ed25519', keyId, sig } });
}

const ctx = {
  agentId: 'sc-c01',
  publicKeys: loadCommandKeys({ publicKey: { base64: spki }, publicKeys: [] }),
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
    expect(verifyCommand(JSON.stringify(signed()), { ...ctx, publicKeys: new Map() })).toMatchObject({
      refusal: 'bad_signature',
    });
  });
});

describe('command key rotation', () => {
  const oldKey = { ...generateKeyPairSync('ed25519') };
  const newKey = { ...generateKeyPairSync('ed25519') };
  const oldId = commandKeyId(oldKey.publicKey);
  const newId = commandKeyId(newKey.publicKey);
  const byOld = JSON.stringify(signed({}, oldKey.privateKey, oldId));
  const byNew = JSON.stringify(signed({}, newKey.privateKey, newId));
  const agentWith = (publicKey: KeyObject | undefined, ...publicKeys: KeyObject[]) => ({
    ...ctx,
    publicKeys: loadCommandKeys({
      publicKey: publicKey && { base64: spkiOf(publicKey) },
      publicKeys: publicKeys.map((k) => ({ base64: spkiOf(k) })),
    }),
  });

  it.each([
    ['old in publicKey, new in publicKeys', agentWith(oldKey.publicKey, newKey.publicKey)],
    ['both in publicKeys', agentWith(undefined, oldKey.publicKey, newKey.publicKey)],
  ])('an agent with [old, new] (%s) accepts commands signed by either', (_n, agent) => {
    expect(verifyCommand(byOld, agent)).toMatchObject({ ok: true });
    expect(verifyCommand(byNew, agent)).toMatchObject({ ok: true });
  });

  it('once old is removed, an old-signed command is refused as bad_signature', () => {
    const agent = agentWith(undefined, newKey.publicKey);
    expect(verifyCommand(byNew, agent)).toMatchObject({ ok: true });
    expect(verifyCommand(byOld, agent)).toMatchObject({ ok: false, refusal: 'bad_signature' });
  });

  it('with several keys, a keyId no configured key has is refused by name, even if a key would verify', () => {
    const agent = agentWith(undefined, oldKey.publicKey, other.publicKey);
    const mislabelled = JSON.stringify(signed({}, oldKey.privateKey, newId));
    expect(verifyCommand(mislabelled, agent)).toMatchObject({ ok: false, refusal: 'bad_signature' });
    expect((verifyCommand(mislabelled, agent) as { message: string }).message).toContain(
      `unknown keyId ${newId}`,
    );
  });

  it("a command signed by the old key but labelled with the new key's id is refused: the id chooses the key", () => {
    const agent = agentWith(undefined, oldKey.publicKey, newKey.publicKey);
    const forged = JSON.stringify(signed({}, oldKey.privateKey, newId));
    expect(verifyCommand(forged, agent)).toMatchObject({ ok: false, refusal: 'bad_signature' });
  });

  it('a config key that is not an Ed25519 public key is an error naming it', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expect(() => loadCommandKeys({ publicKeys: [{ base64: spki }, { base64: spkiOf(rsa) }] })).toThrow(
      /commands\.publicKeys\[1\]: an rsa key/,
    );
    expect(() => loadCommandKeys({ publicKeys: [{ file: '/nonexistent/controller.pem' }] })).toThrow(
      /commands\.publicKeys\[0\]: \/nonexistent\/controller\.pem: not a public key/,
    );
  });
});
