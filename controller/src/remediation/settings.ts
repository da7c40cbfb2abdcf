import { z } from 'zod';

/**
 * Remediation settings of a site. Defaults below, overrides per site in `remediation_settings`
 * (`PUT /api/v1/remediation/settings/:siteId`). Each default is the documented one.
 */
export const SettingsSchema = z.strictObject({
  enabled: z.boolean().describe('whether the ladder acts at this site at all (false: watch only)'),
  maxActionsPerDay: z
    .number()
    .int()
    .min(0)
    .max(100)
    .describe('commands per miner in any 24 h (one full restart-reboot-power-cycle climb is 3)'),
  cooldownS: z.number().int().min(0).max(86_400).describe('least time between two commands to one miner'),
  maxConcurrentPerContainer: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .describe('miners of one container with a step in its verification window at once'),
  verifyS: z
    .strictObject({
      restart: z.number().int().min(10).max(86_400),
      reboot: z.number().int().min(10).max(86_400),
      power_cycle: z.number().int().min(10).max(86_400),
      sleep: z.number().int().min(10).max(86_400),
    })
    .describe('how long after a step the alert has to resolve (sleep: the command to succeed)'),
  outletOffS: z.number().int().min(1).max(600).describe('how long a power-cycle keeps the outlet off'),
  afterTicketS: z
    .number()
    .int()
    .min(0)
    .max(86_400)
    .describe('after a ticket is done, how long the alert has to clear before the ladder starts over'),
});
export type RemediationSettings = z.infer<typeof SettingsSchema>;

/**
 * 4 commands a day: one full climb plus one retry, so a flapping miner cannot be rebooted all day.
 * 10 min cool-down: longer than a restart or reboot takes to show its effect. 5 miners per
 * container: a power-cycle's inrush and a reboot's fan burst stay small next to a few hundred
 * miners. Windows: a daemon restart hashes again within minutes, a reboot takes up to ~3 min to
 * boot plus the ramp, a power-cycle adds the off time and a cold start. 15 min after a ticket is
 * done: the alert needs a few polls to clear, and a fresh ticket for a fixed miner helps nobody.
 */
export const DEFAULT_SETTINGS: RemediationSettings = {
  enabled: true,
  maxActionsPerDay: 4,
  cooldownS: 600,
  maxConcurrentPerContainer: 5,
  verifyS: { restart: 600, reboot: 900, power_cycle: 1200, sleep: 300 },
  outletOffS: 10,
  afterTicketS: 900,
};

/** A site's overrides: any subset, `verifyS` per rung too. */
export const OverridesSchema = SettingsSchema.partial().extend({
  verifyS: SettingsSchema.shape.verifyS.partial().optional(),
});
export type SettingsOverrides = z.infer<typeof OverridesSchema>;

export function mergeSettings(overrides: SettingsOverrides | null): RemediationSettings {
  if (!overrides) return DEFAULT_SETTINGS;
  return {
    ...DEFAULT_SETTINGS,
    ...overrides,
    verifyS: { ...DEFAULT_SETTINGS.verifyS, ...overrides.verifyS },
  };
}
