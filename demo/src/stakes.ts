import type { Db } from '@hashfleet/controller';
import { seedDemoStakes } from '@hashfleet/controller/accounting/index';
import { periodContaining } from '@hashfleet/controller/accounting/period';

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

/**
 * Closes yesterday's period through the public API as the operator would, so the staker portal
 * has a statement, a payout and an inputs hash to verify from the first minute. Closing twice
 * returns the same summary, so a restart is harmless. The demo fleet starts now, so yesterday has
 * no telemetry, energy or work: its completeness report is below the thresholds and the close is
 * an operator's override with that reason (audited as `accounting.period.close_override`, the
 * report stored with the period), never a silent one.
 */
export const DEMO_CLOSE_OVERRIDE =
  'demo: the simulated fleet started today, so yesterday has no telemetry, energy or work';

export async function closeYesterday(
  controllerUrl: string,
  operatorToken: string,
  now = Date.now(),
): Promise<string> {
  const periodId = periodContaining(now - 86_400_000).id;
  const res = await fetch(`${controllerUrl}/api/v1/periods/${periodId}/close`, {
    method: 'POST',
    headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ override: DEMO_CLOSE_OVERRIDE }),
  });
  if (!res.ok) throw new Error(`close period ${periodId}: ${res.status} ${await res.text()}`);
  return periodId;
}
