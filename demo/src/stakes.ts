import type { Db } from '@hashfleet/controller';
import { seedDemoStakes } from '@hashfleet/controller/accounting/index';

/**
 * The accounting engineer's demo register (20 stakers, solo and shared nodes, yesterday's pool
 * credit). The demo hands out tokens for two of them: one with a solo node, one pooling in the
 * shared node.
 */
export const DEMO_STAKERS = ['staker-01', 'staker-10'];

export async function seedStakes(db: Db, now = Date.now()): Promise<string[]> {
  await seedDemoStakes(db, now);
  return DEMO_STAKERS;
}
