import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandSigningBytes, exampleCommand, type UnsignedCommand } from '@hashfleet/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  commandKeyDir,
  listCommandKeys,
  loadCommandKey,
  promoteNextCommandKey,
  stageNextCommandKey,
} from '../src/commands/keys.js';
import { buildApp } from '../src/core/app.js';
import { main } from '../src/core/cli/main.js';
import { loadControllerConfig } from '../src/core/config.js';

/**
 * The command-signing key and its rotation: `keys next` stages a key agents can learn before it is
 * used, `keys promote` makes it the signing key from the next start, the old one stays on record.
 */
const { signature: _s, ...unsigned } = exampleCommand;
const command: UnsignedCommand = unsigned;

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hashfleet-keys-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const verifiesWith = (publicKeyPem: string, signed: ReturnType<ReturnType<typeof loadCommandKey>['sign']>) =>
  verify(
    null,
    commandSigningBytes(command),
    createPublicKey(publicKeyPem),
    Buffer.from(signed.signature.sig, 'base64'),
  );

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const log = vi.spyOn(console, 'log').mockImplementation((s: unknown) => {
    out += `${String(s)}\n`;
  });
  const err = vi.spyOn(console, 'error').mockImplementation((s: unknown) => {
    out += `${String(s)}\n`;
  });
  try {
    return { code: await main(args), out };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

describe('command key', () => {
  it('is generated once into keys/ (mode 600) and loaded, with the same id, after that', () => {
    const dir = dataDir();
    const first = loadCommandKey(dir);
    const file = join(commandKeyDir(dir), 'command-key.pem');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadCommandKey(dir).keyId).toBe(first.keyId);
    expect(first.keyId).toMatch(/^hf-[0-9a-f]{16}$/);
    expect(verifiesWith(first.publicKeyPem, first.sign(command))).toBe(true);
  });

  it('adopts a key from before keys/ existed (dataDir/command-key.pem) instead of making a new one', () => {
    const dir = dataDir();
    const legacy = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' });
    writeFileSync(join(dir, 'command-key.pem'), legacy, { mode: 0o600 });
    const key = loadCommandKey(dir);
    expect(readFileSync(join(commandKeyDir(dir), 'command-key.pem'), 'utf8')).toBe(legacy);
    expect(existsSync(join(dir, 'command-key.pem'))).toBe(false);
    expect(verifiesWith(key.publicKeyPem, key.sign(command))).toBe(true);
  });

  it('next stages a second key without changing the signing key; promote switches it from the next load', () => {
    const dir = dataDir();
    const old = loadCommandKey(dir);
    const next = stageNextCommandKey(dir);
    expect(next.keyId).not.toBe(old.keyId);
    expect(stageNextCommandKey(dir).keyId).toBe(next.keyId);
    expect(loadCommandKey(dir).keyId).toBe(old.keyId);
    expect(listCommandKeys(dir)).toMatchObject({ active: { keyId: old.keyId }, next: { keyId: next.keyId } });

    expect(promoteNextCommandKey(dir)).toMatchObject({
      from: { keyId: old.keyId },
      to: { keyId: next.keyId },
    });
    const restarted = loadCommandKey(dir);
    const signed = restarted.sign(command);
    expect(signed.signature.keyId).toBe(next.keyId);
    expect(verifiesWith(next.publicKeyPem, signed)).toBe(true);
    expect(verifiesWith(old.publicKeyPem, signed)).toBe(false);
    expect(listCommandKeys(dir)).toEqual({
      active: expect.objectContaining({ keyId: next.keyId }),
      next: null,
      retired: [expect.objectContaining({ keyId: old.keyId, publicKeyPem: old.publicKeyPem })],
    });
  });

  it('promote with nothing staged is refused and changes nothing', () => {
    const dir = dataDir();
    const key = loadCommandKey(dir);
    expect(() => promoteNextCommandKey(dir)).toThrow(/nothing staged .* run "keys next"/);
    expect(loadCommandKey(dir).keyId).toBe(key.keyId);
  });
});

describe('keys CLI', () => {
  it('next and promote through the CLI: the restarted controller signs with the promoted key, both steps audited', async () => {
    const dir = dataDir();
    const config = join(dir, 'controller.yaml');
    writeFileSync(
      config,
      `dataDir: ${dir}\nstorage:\n  url: sqlite:${join(dir, 'c.db')}\nlog:\n  level: silent\n`,
    );
    const shown = await cli(['--config', config, 'keys', 'show']);
    const old = listCommandKeys(dir).active;
    expect(shown.code).toBe(0);
    expect(shown.out).toContain(`active  ${old.keyId}`);
    expect(shown.out).toContain(`- base64: ${old.spkiBase64}   # ${old.keyId} (active)`);

    const staged = await cli(['--config', config, 'keys', 'next']);
    const next = listCommandKeys(dir).next!;
    expect(staged.code).toBe(0);
    expect(staged.out).toContain(`- base64: ${next.spkiBase64}   # ${next.keyId} (next)`);
    expect((await cli(['--config', config, 'keys', 'promote'])).code).toBe(0);
    expect((await cli(['--config', config, 'keys', 'rotate'])).code).toBe(2);

    const app = await buildApp(loadControllerConfig(config, {}));
    try {
      expect(app.hashfleet.commands.keyId).toBe(next.keyId);
      const audit = await app.hashfleet.db.all<{ action: string; subject: string }>(
        `SELECT action, subject FROM audit_log WHERE action LIKE 'command-key.%' ORDER BY at`,
      );
      expect(audit).toEqual([
        { action: 'command-key.next', subject: `command key ${next.keyId}` },
        { action: 'command-key.promote', subject: `command key ${next.keyId}` },
      ]);
    } finally {
      await app.close();
    }
  });
});
