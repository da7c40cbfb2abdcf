import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { type Command, commandSigningBytes, type UnsignedCommand } from '@hashfleet/contracts';

export type CommandKey = {
  keyId: string;
  /** SPKI PEM: what agents are configured with. */
  publicKeyPem: string;
  sign(command: UnsignedCommand): Command;
};

/** A key's public half, as `keys show` lists it and agents are configured with. */
export type PublicCommandKey = { keyId: string; publicKeyPem: string; spkiBase64: string };

/**
 * Where the keys live: `<dataDir>/keys/`, a directory of its own so that replicas can share it
 * (compose mounts one volume there for every replica; every replica must sign with the same key).
 *   command-key.pem        the key commands are signed with
 *   command-key.next.pem   the next key, staged by `keys next` so agents can learn it first
 *   retired/<keyId>.pem    keys replaced by `keys promote`, kept for the record
 */
export function commandKeyDir(dataDir: string): string {
  return join(dataDir, 'keys');
}

const ACTIVE = 'command-key.pem';
const NEXT = 'command-key.next.pem';
const RETIRED = 'retired';

/** The key id is derived from the public key; the agent derives the same (agent/src/commands/verify.ts). */
function publicOf(privateKey: KeyObject): PublicCommandKey {
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return {
    keyId: `hf-${createHash('sha256').update(der).digest('hex').slice(0, 16)}`,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    spkiBase64: der.toString('base64'),
  };
}

function readKey(file: string): KeyObject {
  try {
    return createPrivateKey(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`command key ${file}: ${(err as Error).message}`);
  }
}

/**
 * Creates `file` with a fresh key unless it exists, atomically: the key is written to a temporary
 * file and hard-linked into place, so two replicas starting together on a shared directory both
 * end up with the one key that won, never a half-written file.
 */
function ensureKey(file: string): KeyObject {
  if (existsSync(file)) return readKey(file);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  writeFileSync(tmp, pem, { mode: 0o600 });
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(tmp, { force: true });
  }
  return readKey(file);
}

/** Keys from before `keys/` existed sat in the data dir itself; they move in once. */
function adoptLegacyKey(dataDir: string, dir: string): void {
  const legacy = join(dataDir, ACTIVE);
  if (existsSync(legacy) && !existsSync(join(dir, ACTIVE))) renameSync(legacy, join(dir, ACTIVE));
}

/**
 * The controller's Ed25519 command key: generated on first start, loaded after that (mode 600).
 * Read once at start: after `keys promote`, each replica signs with the new key once restarted.
 */
export function loadCommandKey(dataDir: string): CommandKey {
  const dir = commandKeyDir(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  adoptLegacyKey(dataDir, dir);
  const privateKey = ensureKey(join(dir, ACTIVE));
  const { keyId, publicKeyPem } = publicOf(privateKey);
  return {
    keyId,
    publicKeyPem,
    sign(command) {
      const sig = sign(null, commandSigningBytes(command), privateKey).toString('base64');
      return { ...command, signature: { alg: 'ed25519', keyId, sig } };
    },
  };
}

export type CommandKeySet = {
  active: PublicCommandKey;
  next: PublicCommandKey | null;
  retired: PublicCommandKey[];
};

/** Every key in the directory, public halves only. */
export function listCommandKeys(dataDir: string): CommandKeySet {
  const dir = loadCommandKeyDir(dataDir);
  const active = publicOf(readKey(join(dir, ACTIVE)));
  const nextFile = join(dir, NEXT);
  const retiredDir = join(dir, RETIRED);
  const retired = existsSync(retiredDir)
    ? readdirSync(retiredDir)
        .filter((f) => f.endsWith('.pem'))
        .sort()
        .map((f) => publicOf(readKey(join(retiredDir, f))))
    : [];
  return { active, next: existsSync(nextFile) ? publicOf(readKey(nextFile)) : null, retired };
}

/** The key directory, with its active key created (or adopted) if there was none. */
function loadCommandKeyDir(dataDir: string): string {
  loadCommandKey(dataDir);
  return commandKeyDir(dataDir);
}

/**
 * Step 1 of a rotation: a next key beside the active one (kept if already staged), whose public
 * key goes into every agent's `commands.publicKeys` before anything is signed with it.
 */
export function stageNextCommandKey(dataDir: string): PublicCommandKey {
  return publicOf(ensureKey(join(loadCommandKeyDir(dataDir), NEXT)));
}

/**
 * Step 2: the staged key becomes the active one; the old active key moves to `retired/`. Refused
 * when nothing is staged, so a promote can never produce a key no agent has heard of.
 */
export function promoteNextCommandKey(dataDir: string): { from: PublicCommandKey; to: PublicCommandKey } {
  const dir = loadCommandKeyDir(dataDir);
  const nextFile = join(dir, NEXT);
  if (!existsSync(nextFile))
    throw new Error(`command key: nothing staged in ${dir}; run "keys next" and give agents its key first`);
  const from = publicOf(readKey(join(dir, ACTIVE)));
  const to = publicOf(readKey(nextFile));
  mkdirSync(join(dir, RETIRED), { recursive: true, mode: 0o700 });
  // Link then replace: at no moment is there no active key for a starting replica to regenerate.
  const retired = join(dir, RETIRED, `${from.keyId}.pem`);
  if (!existsSync(retired)) linkSync(join(dir, ACTIVE), retired);
  renameSync(nextFile, join(dir, ACTIVE));
  return { from, to };
}
