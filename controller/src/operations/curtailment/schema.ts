import { z } from 'zod';
import { WindowSchema } from '../profiles/schema.js';
import { SelectorSchema } from '../selector.js';

/** When miners are curtailed: inside site-local time windows, or while the site's tariff is above a price. */
export const TriggerSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('windows'), windows: z.array(WindowSchema).min(1).max(24) }),
  z.object({ kind: z.literal('tariff'), abovePerKwh: z.number().nonnegative().finite() }),
]);
export type Trigger = z.infer<typeof TriggerSchema>;

/** What curtailing does to a miner; restoring undoes it (wake, or the power limit before). */
export const CurtailActionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sleep') }),
  z.object({
    kind: z.literal('power'),
    watts: z.number().int().min(100).max(20000),
    restoreWatts: z.number().int().min(100).max(20000),
  }),
]);
export type CurtailAction = z.infer<typeof CurtailActionSchema>;

export const ScheduleSchema = z
  .object({
    name: z.string().min(1).max(100),
    siteId: z.string().min(1).max(200),
    selector: SelectorSchema.optional(),
    trigger: TriggerSchema,
    action: CurtailActionSchema.default({ kind: 'sleep' }),
    /** Miners changed per step (the ramp), and the time between steps. */
    stepSize: z.number().int().min(1).max(10_000).default(10),
    stepEveryS: z.number().int().min(0).max(3600).default(60),
  })
  .strict();
export type Schedule = z.infer<typeof ScheduleSchema>;
