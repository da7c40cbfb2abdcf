import { createPublicKey, type KeyObject, verify } from 'node:crypto';
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

export type VerifyContext = {
  agentId: string;
  publicKey: KeyObject | null;
  now: number;
  lastSeq: number | null;
};

/** PEM text, or base64 of a DER SubjectPublicKeyInfo, to an Ed25519 key. */
export function loadPublicKey(source: { pem: string } | { base64: string }): KeyObject {
  if ('pem' in source) return createPublicKey(source.pem);
  return createPublicKey({ key: Buffer.from(source.base64, 'base64'), format: 'der', type: 'spki' });
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
  if (!ctx.publicKey) return refuse('bad_signature', id, seq, 'no controller public key configured');
  let good = false;
  try {
    good = verify(
      null,
      commandSigningBytes(command),
      ctx.publicKey,
      Buffer.from(command.signature.sig, 'base64'),
    );
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
