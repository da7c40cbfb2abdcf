import { PowerModeSchema } from '@hashfleet/contracts';
import { z } from 'zod';

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h, site-local time)');
export const WindowSchema = z.object({ from: HHMM, to: HHMM });
export type Window = z.infer<typeof WindowSchema>;

/** One model's settings in a profile. `model: "*"` applies to models without a row of their own. */
export const PresetSchema = z
  .object({
    model: z.string().min(1).max(200),
    powerTargetW: z.number().int().min(100).max(20000).optional(),
    powerMode: PowerModeSchema.optional(),
    /**
     * The reported power the mode should give (W): normalized readings carry no mode, so this is
     * what verification compares against.
     */
    expectPowerW: z.number().positive().max(20000).optional(),
    fanMode: z.enum(['auto', 'immersion', 'max']).optional(),
  })
  .strict()
  .refine((p) => p.powerTargetW !== undefined || p.powerMode !== undefined || p.fanMode !== undefined, {
    message: 'a preset sets at least one of powerTargetW, powerMode, fanMode',
  })
  .refine((p) => !(p.powerTargetW !== undefined && p.powerMode !== undefined), {
    message: 'a preset sets powerTargetW or powerMode, not both',
  })
  .refine((p) => p.powerMode === undefined || p.expectPowerW !== undefined, {
    message: 'powerMode needs expectPowerW: readings carry no mode, so power is what gets verified',
  });
export type Preset = z.infer<typeof PresetSchema>;

/** A named, per-model operating profile such as `kz-winter` or `sichuan-dry-eco`. */
export const OperatingProfileSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes'),
    description: z.string().max(500).default(''),
    presets: z.array(PresetSchema).min(1).max(200),
    /** Site-local windows in which the miners sleep (carried out by a curtailment schedule). */
    sleepWindows: z.array(WindowSchema).max(24).default([]),
    /** How far the reported power may be from the expected (percent). */
    tolerancePct: z.number().positive().max(50).default(10),
    /** How long after a change the miner is given before it is verified. */
    settleS: z.number().int().min(0).max(86_400).default(600),
  })
  .strict();
export type OperatingProfile = z.infer<typeof OperatingProfileSchema>;
