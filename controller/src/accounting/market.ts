import type { Db } from '../core/storage/db.js';
import type { NetworkStats } from '../energy/index.js';

/**
 * The newest operator-entered market figures (entries.ts), for views of the present such as
 * profit per day (controller/src/profit/): the newest network entry and the newest BTC price in a
 * currency, by observation time as load-inputs.ts picks them for a close. Null when none was entered.
 */
export async function latestNetwork(db: Db): Promise<NetworkStats | null> {
  const n = await db.get<{
    difficulty: number;
    block_height: number;
    fees_per_block_sats: bigint;
    source: string;
    observed_at: number;
  }>(
    'SELECT difficulty, block_height, fees_per_block_sats, source, observed_at FROM acct_network ORDER BY observed_at DESC, entered_at DESC LIMIT 1',
  );
  if (!n) return null;
  return {
    difficulty: Number(n.difficulty),
    blockHeight: Number(n.block_height),
    feesPerBlockSats: BigInt(n.fees_per_block_sats),
    source: n.source,
    observedAtMs: Number(n.observed_at),
  };
}

export async function latestBtcPrice(
  db: Db,
  currency: string,
): Promise<{ currency: string; priceMicro: bigint; source: string; observedAtMs: number } | null> {
  const p = await db.get<{ price_micro: number; source: string; observed_at: number }>(
    'SELECT price_micro, source, observed_at FROM acct_btc_prices WHERE currency = ? ORDER BY observed_at DESC, entered_at DESC LIMIT 1',
    [currency],
  );
  if (!p) return null;
  return {
    currency,
    priceMicro: BigInt(p.price_micro),
    source: p.source,
    observedAtMs: Number(p.observed_at),
  };
}
