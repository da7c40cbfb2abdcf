import { PowerModeSchema } from '@hashfleet/contracts';
import { z } from 'zod';

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h, site-local time)');
const Name = z.string().min(1).max(200);

/**
 * Where a desired state applies. A field a miner's more specific scope sets wins over a broader
 * one: selection > container > model > site (resolve.ts). A selection is a named, saved list of
 * miners.
 */
export const ScopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('site'), siteId: Name }).strict(),
  z.object({ kind: z.literal('container'), containerId: Name }).strict(),
  z.object({ kind: z.literal('model'), model: Name }).strict(),
  z
    .object({
      kind: z.literal('selection'),
      name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes'),
      minerIds: z.array(Name).min(1).max(100_000),
    })
    .strict(),
]);
export type Scope = z.infer<typeof ScopeSchema>;

/** The stable key of a scope: `site:kz`, `container:kz-c1`, `model:Antminer S19`, `selection:name`. */
export function scopeKey(s: Scope): string {
  switch (s.kind) {
    case 'site':
      return `site:${s.siteId}`;
    case 'container':
      return `container:${s.containerId}`;
    case 'model':
      return `model:${s.model}`;
    case 'selection':
      return `selection:${s.name}`;
  }
}

/**
 * The pool a miner should mine on. `workerPattern` names each miner's worker from its place:
 * `{site}`, `{container}`, `{rack}`, `{slot}` are replaced (e.g. `hashshare.{container}.{rack}.{slot}`);
 * `slotWorkers` names single slots (`"R1/S3": "hashshare.spare"`) over the pattern.
 */
export const DesiredPoolSchema = z
  .object({
    url: z.string().min(1).max(500),
    workerPattern: z.string().min(1).max(200),
    password: z.string().max(200).default('x'),
    slotWorkers: z
      .record(z.string().regex(/^[^/]+\/[^/]+$/, 'rack/slot'), z.string().min(1).max(200))
      .optional(),
  })
  .strict();
export type DesiredPool = z.infer<typeof DesiredPoolSchema>;

/** A power limit in watts, or a vendor mode with the power it should give (readings carry no mode). */
export const DesiredPowerSchema = z.union([
  z.object({ targetW: z.number().int().min(100).max(20_000) }).strict(),
  z.object({ mode: PowerModeSchema, expectPowerW: z.number().positive().max(20_000) }).strict(),
]);
export type DesiredPower = z.infer<typeof DesiredPowerSchema>;

/** The firmware a miner should run; upgrades are rolled out by the firmware transport (issue 20 item 4). */
export const DesiredFirmwareSchema = z
  .object({
    family: Name,
    version: Name,
    imageSha256: z.string().regex(/^[0-9a-f]{64}$/, 'lower-case hex SHA-256'),
  })
  .strict();

export const SleepWindowSchema = z.object({ from: HHMM, to: HHMM }).strict();
export type SleepWindow = z.infer<typeof SleepWindowSchema>;

/** What a scope's miners should be; a field left out is not managed by this scope. */
export const DesiredSpecSchema = z
  .object({
    pool: DesiredPoolSchema.optional(),
    power: DesiredPowerSchema.optional(),
    /** Site-local windows in which the miners sleep; an empty list means "never asleep". */
    sleepWindows: z.array(SleepWindowSchema).max(24).optional(),
    firmware: DesiredFirmwareSchema.optional(),
    /** How far reported power may be from the target before it counts as drift (percent). */
    powerTolerancePct: z.number().positive().max(50).default(10),
  })
  .strict()
  .refine((s) => s.pool || s.power || s.sleepWindows || s.firmware, {
    message: 'a desired state sets at least one of pool, power, sleepWindows, firmware',
  });
export type DesiredSpec = z.infer<typeof DesiredSpecSchema>;

/** The fields drift is judged on, in the order they are shown. */
export const DRIFT_FIELDS = ['pool', 'worker', 'power', 'sleep', 'firmware'] as const;
export type DriftField = (typeof DRIFT_FIELDS)[number];

/** Which spec fields need a second person to change (like a pool change today). */
export const touchesGuarded = (prev: DesiredSpec | null, next: DesiredSpec): boolean =>
  JSON.stringify(prev?.pool ?? null) !== JSON.stringify(next.pool ?? null) ||
  JSON.stringify(prev?.firmware ?? null) !== JSON.stringify(next.firmware ?? null);
