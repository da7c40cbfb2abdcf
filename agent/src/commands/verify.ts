import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  type Command,
  CommandSchema,
  commandSigningBytes,
  formatIssues,
  type Refusal,
} from '@hashfleet/contracts';

export type Verdict =
  | { ok: true; command: Command }
  | { ok: false; refusal: Refusal; commandId: string; commandSeq: number | null; message: string };

/** The controller keys this agent accepts, by key id. Empty: every command is refused. */
export type CommandKeys = ReadonlyMap<string, KeyObject>;

export type VerifyContext = {
  agentId: string;
  publicKeys: CommandKeys;
  now: number;
  lastSeq: number | null;
};

/** PEM text, or base64 of a DER SubjectPublicKeyInfo, to an Ed25519 key. */
export function loadPublicKey(source: { pem: string } | { base64: string }): KeyObject {
  if ('pem' in source) return createPublicKey(source.pem);
  return createPublicKey({ key: Buffer.from(source.base64, 'base64'), format: 'der', type: 'spki' });
}

/**
 * The id a command's `signature.keyId` names a key by. Derived from the public key itself, so an
 * agent needs no id in its config; controller/src/commands/keys.ts derives the same one.
 */
export function commandKeyId(key: KeyObject): string {
  const der = key.export({ type: 'spki', format: 'der' });
  return `hf-${createHash('sha256').update(der).digest('hex').slice(0, 16)}`;
}

type KeyRef = { file: string } | { base64: string };

/**
 * Loads `commands.publicKey` and `commands.publicKeys` (during a key rotation: the current and the
 * next controller key). A key that cannot be read or parsed throws, naming the config key.
 */
export function loadCommandKeys(commands: {
  publicKey?: KeyRef | undefined;
  publicKeys: KeyRef[];
}): CommandKeys {
  const refs: [string, KeyRef][] = [
    ...(commands.publicKey ? [['commands.publicKey', commands.publicKey] as [string, KeyRef]] : []),
    ...commands.publicKeys.map((ref, i): [string, KeyRef] => [`commands.publicKeys[${i}]`, ref]),
  ];
  const keys = new Map<string, KeyObject>();
  for (const [where, ref] of refs) {
    let key: KeyObject;
    try {
      key = loadPublicKey('file' in ref ? { pem: readFileSync(ref.file, 'utf8') } : ref);
    } catch (err) {
      const source = 'file' in ref ? ref.file : 'base64';
      throw new Error(`${where}: ${source}: not a public key: ${(err as Error).message}`);
    }
    if (key.asymmetricKeyType !== 'ed25519')
      throw new Error(`${where}: an ${key.asymmetricKeyType} key; commands are signed with ed25519`);
    keys.set(commandKeyId(key), key);
  }
  return keys;
}

/**
 * The key a command names. With a single key configured it is tried whatever the id says (signers
 * from before key ids mattered); with several, the id chooses and an unknown id is refused.
 */
function keyFor(keys: CommandKeys, keyId: string): KeyObject | string {
  const named = keys.get(keyId);
  if (named) return named;
  if (keys.size === 1) return [...keys.values()][0]!;
  return `unknown keyId ${keyId}; this agent accepts ${[...keys.keys()].join(', ')}`;
}

/**
 * Decides whether a command may run. The signature is checked before anything the command says is
 * trusted; then expiry; then the sequence (a seq at or below the last accepted one is a replay).
 */
export function verifyCommand(payload: Uint8Array | string, ctx: VerifyContext): Verdict {
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8'));
  } catch (err) {
    return refuse('malformed', 'unknown', null, `not JSON: ${(err as Error).message}`);
  }
  const obj = (json !== null && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  const id = typeof obj['id'] === 'string' ? obj['id'].slice(0, 64) : 'unknown';
  const seq =
    typeof obj['seq'] === 'number' && Number.isInteger(obj['seq']) && obj['seq'] >= 0 ? obj['seq'] : null;
  if (obj['signature'] === undefined || obj['signature'] === null) {
    return refuse('unsigned', id, seq, 'command carries no signature');
  }
  const parsed = CommandSchema.safeParse(json);
  if (!parsed.success) return refuse('malformed', id, seq, formatIssues(parsed.error, 'command'));
  const command = parsed.data;
  if (command.agentId !== ctx.agentId) {
    return refuse(
      'wrong_agent',
      id,
      seq,
      `command is for agent "${command.agentId}", this is "${ctx.agentId}"`,
    );
  }
  if (ctx.publicKeys.size === 0)
    return refuse('bad_signature', id, seq, 'no controller public key configured');
  const key = keyFor(ctx.publicKeys, command.signature.keyId);
  if (typeof key === 'string') return refuse('bad_signature', id, seq, key);
  let good = false;
  try {
    good = verify(null, commandSigningBytes(command), key, Buffer.from(command.signature.sig, 'base64'));
  } catch {
    good = false;
  }
  if (!good)
    return refuse('bad_signature', id, seq, `signature does not verify (keyId ${command.signature.keyId})`);
  if (command.expiresAt <= ctx.now) {
    return refuse('expired', id, seq, `expired at ${new Date(command.expiresAt).toISOString()}`);
  }
  if (ctx.lastSeq !== null && command.seq <= ctx.lastSeq) {
    return refuse(
      'replayed',
      id,
      seq,
      `seq ${command.seq} is not after the last accepted seq ${ctx.lastSeq}`,
    );
  }
  return { ok: true, command };
}

function refuse(refusal: Refusal, commandId: string, commandSeq: number | null, message: string): Verdict {
  return { ok: false, refusal, commandId, commandSeq, message };
}
