import type { Db } from '@hashfleet/controller';
import {
  addStakeEntry,
  createNode,
  createStaker,
  getStaker,
} from '@hashfleet/controller/accounting/register';

/** HSS has 18 decimals; amounts are base units. */
const HSS = 10n ** 18n;

/** Three stakers: one with a solo node, two pooling in a shared node. Effective a week back. */
const STAKES: { stakerId: string; name: string; nodeId: string; kind: 'solo' | 'shared'; hss: bigint }[] = [
  { stakerId: 'alice', name: 'Alice', nodeId: 'node-solo-1', kind: 'solo', hss: 25_000n },
  { stakerId: 'bob', name: 'Bob', nodeId: 'node-shared-1', kind: 'shared', hss: 6_000n },
  { stakerId: 'carol', name: 'Carol', nodeId: 'node-shared-1', kind: 'shared', hss: 9_000n },
];

/** Seeds the stake register (idempotent); returns the staker ids. */
export async function seedStakes(db: Db, now = Date.now()): Promise<string[]> {
  const effectiveAtMs = Math.floor((now - 7 * 86_400_000) / 86_400_000) * 86_400_000;
  for (const s of STAKES) {
    if (await getStaker(db, s.stakerId)) continue;
    await createStaker(db, { id: s.stakerId, name: s.name }, now);
    await createNode(db, { id: s.nodeId, name: s.nodeId, kind: s.kind }, now);
    await addStakeEntry(
      db,
      {
        stakerId: s.stakerId,
        nodeId: s.nodeId,
        amountUnits: s.hss * HSS,
        effectiveAtMs,
        source: 'demo seed',
        idempotencyKey: `demo-${s.stakerId}-${s.nodeId}`,
        enteredBy: 'demo',
      },
      now,
    );
  }
  return STAKES.map((s) => s.stakerId);
}
