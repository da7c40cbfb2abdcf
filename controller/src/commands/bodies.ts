import { PowerModeSchema } from '@hashfleet/contracts';
import { z } from 'zod';

// The body is the action without its target: the route names the target.
export const MinerCommandBody = z.discriminatedUnion('op', [
  z.object({ op: z.literal('reboot') }),
  z.object({ op: z.literal('restart') }),
  z.object({ op: z.literal('sleep') }),
  z.object({ op: z.literal('wake') }),
  z.object({ op: z.literal('led'), on: z.boolean() }),
  z.object({
    op: z.literal('pool.set'),
    url: z.string().min(1).max(256),
    user: z.string().min(1).max(256),
    password: z.string().max(256),
  }),
  z.object({ op: z.literal('power.target'), watts: z.number().int().min(100).max(20000) }),
  z.object({ op: z.literal('power.mode'), mode: PowerModeSchema }),
  z.object({ op: z.literal('poll.stop') }),
  z.object({ op: z.literal('poll.resume') }),
]);
export type MinerCommandBody = z.infer<typeof MinerCommandBody>;
