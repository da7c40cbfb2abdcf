import { z } from 'zod';
import {
  EnvelopeSchema,
  EpochMs,
  IdSchema,
  LIMITS,
  NonNegInt,
  PROTOCOL_VERSION,
  ShortString,
} from './common.js';

export const MinerOpSchema = z.enum([
  'reboot',
  'restart',
  'pool.set',
  'power.target',
  'sleep',
  'wake',
  'led',
  'power.mode',
]);
export type MinerOp = z.infer<typeof MinerOpSchema>;
export const OutletOpSchema = z.enum(['outlet.cycle', 'outlet.off', 'outlet.on']);
export type OutletOp = z.infer<typeof OutletOpSchema>;
/**
 * Vendor work modes, where the documented API has them (docs/reference.md §7): Whatsminer v2
 * `set_low_power`/`set_normal_power`/`set_high_power`, v3 `set.miner.power_mode` low/normal/high.
 */
export const PowerModeSchema = z.enum(['low', 'normal', 'high']);
export type PowerMode = z.infer<typeof PowerModeSchema>;
/** Agent-local management: whether the agent polls a miner at all (a miner being moved is not polled). */
export const PollOpSchema = z.enum(['poll.stop', 'poll.resume']);
export type PollOp = z.infer<typeof PollOpSchema>;

const minerTarget = z.object({ kind: z.literal('miner'), minerKey: ShortString.min(1) });
/**
 * A firmware image for `firmware.upgrade` (issue 20 item 4). `url` is where the agent fetches it:
 * a path the controller serves (`/api/v1/firmware/images/<id>/content`, fetched from the agent's
 * controller with its agent token) or an absolute http(s) URL. The agent refuses bytes whose
 * SHA-256 or size differ from these before anything reaches the miner.
 */
export const FirmwareImageRefSchema = z.object({
  url: z
    .string()
    .min(1)
    .max(LIMITS.maxString)
    .refine((u) => u.startsWith('/') || /^https?:\/\//.test(u), 'a controller path (/...) or an http(s) URL'),
  /** Lower-case hex SHA-256 of the image bytes. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'lower-case hex SHA-256'),
  sizeBytes: z
    .number()
    .int()
    .positive()
    .max(2 ** 31),
  /** The firmware version the miner reports once it runs this image (what the effect reads back). */
  version: ShortString.min(1),
});
export type FirmwareImageRef = z.infer<typeof FirmwareImageRefSchema>;

const outletTarget = z.object({
  kind: z.literal('outlet'),
  pduId: IdSchema,
  outlet: z.number().int().min(1),
});

/** Operation and its parameters; one variant per operation. */
export const CommandActionSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('reboot'), target: minerTarget }),
  z.object({ op: z.literal('restart'), target: minerTarget }),
  z.object({ op: z.literal('sleep'), target: minerTarget }),
  z.object({ op: z.literal('wake'), target: minerTarget }),
  z.object({ op: z.literal('led'), target: minerTarget, on: z.boolean() }),
  z.object({
    op: z.literal('pool.set'),
    target: minerTarget,
    url: z.string().min(1).max(LIMITS.maxString),
    user: z.string().min(1).max(LIMITS.maxString),
    password: z.string().max(LIMITS.maxString),
  }),
  z.object({
    op: z.literal('power.target'),
    target: minerTarget,
    watts: z.number().int().min(100).max(20000),
  }),
  z.object({ op: z.literal('power.mode'), target: minerTarget, mode: PowerModeSchema }),
  z.object({
    op: z.literal('outlet.cycle'),
    target: outletTarget,
    offSeconds: z.number().int().min(1).max(600),
  }),
  z.object({ op: z.literal('outlet.off'), target: outletTarget }),
  z.object({ op: z.literal('outlet.on'), target: outletTarget }),
  z.object({ op: z.literal('poll.stop'), target: minerTarget }),
  /**
   * Flash a firmware image with the transport the miner's profile names (`upgrade` in
   * firmware-profiles); `family` is the profile id the image is for, and a miner of another
   * firmware refuses it.
   */
  z.object({
    op: z.literal('firmware.upgrade'),
    target: minerTarget,
    family: ShortString.min(1),
    image: FirmwareImageRefSchema,
  }),
  z.object({ op: z.literal('poll.resume'), target: minerTarget }),
]);
export type CommandAction = z.infer<typeof CommandActionSchema>;

export const SignatureSchema = z.object({
  alg: z.literal('ed25519'),
  keyId: ShortString.min(1),
  /** base64 of the Ed25519 signature over `commandSigningBytes(command)`. */
  sig: z.string().min(1).max(200),
});

/** Controller -> agent. Signed; the agent rejects expired, replayed and unsigned commands. */
export const CommandSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  kind: z.literal('command'),
  id: z.string().uuid(),
  agentId: IdSchema,
  /** Who asked: a user or token id, or `remediation:<rule>` for automatic actions. */
  issuer: ShortString.min(1),
  issuedAt: EpochMs,
  expiresAt: EpochMs,
  /** Strictly increasing per agent; the agent refuses a seq it has already seen or passed. */
  seq: NonNegInt,
  action: CommandActionSchema,
  signature: SignatureSchema,
});
export type Command = z.infer<typeof CommandSchema>;
export type UnsignedCommand = Omit<Command, 'signature'>;

export const RefusalSchema = z.enum([
  'unsigned',
  'bad_signature',
  'expired',
  'replayed',
  'wrong_agent',
  'unknown_target',
  'unsupported',
  'malformed',
  /** firmware.upgrade: the image fetched is not the one the command names (SHA-256 or size); nothing reached the miner. */
  'bad_image',
]);
export type Refusal = z.infer<typeof RefusalSchema>;

/**
 * How far a miner command got (issue 16): `sent` (no answer from the miner), `acknowledged` (it
 * replied OK; nothing checked yet), `verified` (a later reading shows the effect), `failed` (it
 * refused, or the effect did not show within the commanded window), `unverified` (it replied OK
 * and no reading can show the effect; `observed` says why).
 */
export const CommandEffectStateSchema = z.enum(['sent', 'acknowledged', 'verified', 'failed', 'unverified']);
export type CommandEffectState = z.infer<typeof CommandEffectStateSchema>;

export const CommandEffectSchema = z.object({
  state: CommandEffectStateSchema,
  /** The miner's own words: its reply to the command (accepting or refusing), or its error. */
  reply: z.string().max(LIMITS.maxOutput).nullable(),
  /** What the readings after it showed, or why none could show it. */
  observed: z.string().max(LIMITS.maxOutput).nullable(),
  /** Agent time the commanded window ends (restart/reboot/sleep: downtime expected until then). */
  windowEndsAt: EpochMs.nullable(),
});
export type CommandEffect = z.infer<typeof CommandEffectSchema>;

/**
 * Agent -> controller, one for every command received, including refusals and timeouts; a miner
 * command whose effect a reading can show gets a second for the same commandId: first
 * `effect.state` acknowledged with `windowEndsAt`, then verified or failed. The last one stands.
 */
export const CommandResultSchema = EnvelopeSchema.extend({
  kind: z.literal('result'),
  commandId: z.string().max(64),
  commandSeq: NonNegInt.nullable(),
  status: z.enum(['succeeded', 'failed', 'refused', 'timeout']),
  refusal: RefusalSchema.nullable(),
  /** Which transport carried the operation (null when refused before execution). */
  transport: z.enum(['rpc', 'wm-v3', 'http', 'ssh', 'snmp']).nullable(),
  startedAt: EpochMs,
  finishedAt: EpochMs,
  message: z.string().max(LIMITS.maxOutput),
  /**
   * Miner commands from agents with effect checks; absent from older agents and for outlet and
   * refused commands. `status` stays the summary a reader without it needs: `succeeded` for
   * verified, unverified or acknowledged, `failed` for failed.
   */
  effect: CommandEffectSchema.optional(),
});
export type CommandResult = z.infer<typeof CommandResultSchema>;

/**
 * Canonical bytes a command signature covers: JSON with keys sorted at every level,
 * without the `signature` field. Both sides must use this function.
 */
export function commandSigningBytes(command: UnsignedCommand | Command): Uint8Array {
  const { signature: _ignored, ...unsigned } = command as Command;
  return new TextEncoder().encode(canonicalJson(unsigned));
}

/** JSON with object keys sorted recursively; arrays keep their order. Used for signatures and input hashes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}
