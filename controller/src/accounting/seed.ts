import type { Db } from '../core/storage/db.js';
import { addBtcPrice, addCredit, addNetworkStats } from './entries.js';
import { parseHss } from './hss.js';
import { periodContaining } from './period.js';
import { AccountingError, addStakeEntry, createNode, createStaker } from './register.js';

/**
 * Demo register for `npm start`: 20 stakers, 8 nodes (six solo nodes above the minimum, one solo
 * node under 10,000 HSS that is therefore ineligible, one shared node pooling 13 small stakes),
 * a few stake changes during yesterday, a BTC price, network difficulty, and yesterday's pool
 * credit so that yesterday can be closed at once. Safe to call again, also on a later day: the
 * register is seeded once, and each call adds the credit of its own yesterday.
 */
const SOLO: [string, string, string][] = [
  ['node-01', 'staker-01', '50000'],
  ['node-02', 'staker-02', '20000'],
  ['node-03', 'staker-03', '35000'],
  ['node-04', 'staker-04', '12000'],
  ['node-05', 'staker-05', '10000'],
  ['node-06', 'staker-06', '64000'],
  ['node-07', 'staker-07', '8000'],
];
const SHARED_STAKES = [
  '500',
  '750',
  '1000',
  '1200',
  '400',
  '2500',
  '900',
  '600',
  '1500',
  '800',
  '300',
  '1100',
  '650',
];

export async function seedDemoStakes(
  db: Db,
  now: number,
): Promise<{ stakers: number; nodes: number; entries: number }> {
  const by = 'demo-seed';
  const yesterday = periodContaining(now - 86_400_000);
  const start = yesterday.startMs - 86_400_000;
  const hour = 3_600_000;
  return db.tx(async (tx) => {
    let entries = 0;
    let key = 0;
    const stake = async (stakerId: string, nodeId: string, hss: string, at: number) => {
      const r = await addStakeEntry(
        tx,
        {
          stakerId,
          nodeId,
          amountUnits: parseHss(hss),
          effectiveAtMs: at,
          source: 'demo-seed',
          idempotencyKey: `demo-seed-${++key}`,
          enteredBy: by,
        },
        now,
      );
      if (r.created) entries++;
    };
    for (let i = 1; i <= 20; i++) {
      const id = `staker-${String(i).padStart(2, '0')}`;
      await createStaker(tx, { id, name: `Demo staker ${i}` }, now);
    }
    for (const [nodeId] of SOLO)
      await createNode(tx, { id: nodeId, name: `Solo ${nodeId}`, kind: 'solo' }, now);
    await createNode(tx, { id: 'node-08', name: 'Shared pool node', kind: 'shared' }, now);
    // The register is seeded once: on a later start "yesterday" has moved and may be closed.
    const registered = await tx.get('SELECT seq FROM acct_stake_entries WHERE source = ? LIMIT 1', [
      'demo-seed',
    ]);
    if (!registered) {
      for (const [nodeId, stakerId, hss] of SOLO) await stake(stakerId, nodeId, hss, start);
      for (const [i, hss] of SHARED_STAKES.entries()) {
        await stake(`staker-${String(i + 8).padStart(2, '0')}`, 'node-08', hss, start);
      }
      // Changes during yesterday: a top-up at 06:00, a partial withdrawal at 12:00, a late joiner at 18:00.
      await stake('staker-02', 'node-02', '30000', yesterday.startMs + 6 * hour);
      await stake('staker-03', 'node-03', '15000', yesterday.startMs + 12 * hour);
      await stake('staker-20', 'node-08', '2000', yesterday.startMs + 18 * hour);
    }
    const seeded = await tx.get('SELECT id FROM acct_btc_prices WHERE source = ? LIMIT 1', ['demo seed']);
    if (!seeded) {
      await addBtcPrice(
        tx,
        { currency: 'USD', priceMicro: 95_000_000_000n, source: 'demo seed', observedAtMs: start },
        by,
        now,
      );
      await addNetworkStats(
        tx,
        {
          difficulty: 1.2e14,
          blockHeight: 925_000,
          feesPerBlockSats: 2_000_000n,
          source: 'demo seed',
          observedAtMs: start,
        },
        by,
        now,
      );
    }
    await addCredit(
      tx,
      {
        periodId: yesterday.id,
        pool: 'demo-pool',
        reference: `demo-${yesterday.id}`,
        amountSats: 25_000_000n,
      },
      by,
      now,
    ).catch((e: unknown) => {
      // Seeding again after yesterday was closed: its credit is already part of the close.
      if (!(e instanceof AccountingError)) throw e;
    });
    return { stakers: 20, nodes: 8, entries };
  });
}
