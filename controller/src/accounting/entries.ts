import { randomUUID } from 'node:crypto';
import type { Db } from '../core/storage/db.js';
import { parsePeriodId } from './period.js';
import { AccountingError, closedUntil } from './register.js';

/**
 * Operator-entered inputs of a close: pool credits, other costs, BTC prices, network stats.
 * All append-only; an input of a period that is already closed is refused (correct it with an
 * adjusting entry instead).
 */

async function assertOpen(db: Db, periodId: string): Promise<void> {
  let startMs: number;
  try {
    startMs = parsePeriodId(periodId).startMs;
  } catch (e) {
    throw new AccountingError((e as Error).message);
  }
  const c = await db.get('SELECT period_id FROM acct_closes WHERE period_id = ?', [periodId]);
  if (c)
    throw new AccountingError(`period ${periodId}: already closed; enter a correction as an adjustment`, 409);
  // Periods close in order, so one before the last close can never close: its input would be lost.
  const closed = await closedUntil(db);
  if (startMs < closed) {
    throw new AccountingError(
      `period ${periodId}: a later period is closed (closed until ${new Date(closed).toISOString()}); enter this as an adjustment`,
      409,
    );
  }
}

/** Periods with inputs entered but not closed yet, oldest first. */
export async function openPeriods(
  db: Db,
): Promise<{ periodId: string; creditedSats: bigint; credits: number }[]> {
  const rows = await db.all<{ period_id: string; credited_sats: bigint; n: number }>(
    `SELECT period_id, SUM(amount_sats) AS credited_sats, COUNT(*) AS n FROM acct_credits
     WHERE period_id NOT IN (SELECT period_id FROM acct_closes) GROUP BY period_id ORDER BY period_id`,
  );
  return rows.map((r) => ({
    periodId: r.period_id,
    creditedSats: BigInt(r.credited_sats),
    credits: Number(r.n),
  }));
}

export async function addCredit(
  db: Db,
  c: { periodId: string; pool: string; reference: string; amountSats: bigint },
  by: string,
  now: number,
): Promise<{ id: string; created: boolean }> {
  const prior = await db.get<{ id: string; period_id: string; amount_sats: bigint }>(
    'SELECT id, period_id, amount_sats FROM acct_credits WHERE pool = ? AND reference = ?',
    [c.pool, c.reference],
  );
  if (prior) {
    if (prior.period_id !== c.periodId || prior.amount_sats !== c.amountSats) {
      throw new AccountingError(`credit ${c.pool}/${c.reference}: already recorded with other values`, 409);
    }
    return { id: prior.id, created: false };
  }
  await assertOpen(db, c.periodId);
  if (c.amountSats < 0n)
    throw new AccountingError(`credit ${c.pool}/${c.reference}: amount must not be negative`);
  const id = randomUUID();
  await db.run(
    'INSERT INTO acct_credits (id, period_id, pool, reference, amount_sats, entered_by, entered_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [id, c.periodId, c.pool, c.reference, c.amountSats, by, now],
  );
  return { id, created: true };
}

export async function addCost(
  db: Db,
  c: { periodId: string; description: string; currency: string; amountSats?: bigint; amountMicro?: bigint },
  by: string,
  now: number,
): Promise<{ id: string }> {
  await assertOpen(db, c.periodId);
  const isBtc = c.currency === 'BTC';
  if (isBtc ? c.amountSats === undefined : c.amountMicro === undefined) {
    throw new AccountingError(
      `cost "${c.description}": ${isBtc ? 'BTC costs need amountSats' : `${c.currency} costs need amount`}`,
    );
  }
  const id = randomUUID();
  await db.run(
    'INSERT INTO acct_costs (id, period_id, description, currency, amount_sats, amount_micro, entered_by, entered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    [
      id,
      c.periodId,
      c.description,
      c.currency,
      isBtc ? c.amountSats! : null,
      isBtc ? null : c.amountMicro!,
      by,
      now,
    ],
  );
  return { id };
}

export async function addBtcPrice(
  db: Db,
  p: { currency: string; priceMicro: bigint; source: string; observedAtMs: number },
  by: string,
  now: number,
): Promise<{ id: string }> {
  if (p.priceMicro <= 0n) throw new AccountingError(`BTC price in ${p.currency}: must be positive`);
  const id = randomUUID();
  await db.run(
    'INSERT INTO acct_btc_prices (id, currency, price_micro, source, observed_at, entered_by, entered_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [id, p.currency, p.priceMicro, p.source, p.observedAtMs, by, now],
  );
  return { id };
}

export async function addNetworkStats(
  db: Db,
  n: {
    difficulty: number;
    blockHeight: number;
    feesPerBlockSats: bigint;
    source: string;
    observedAtMs: number;
  },
  by: string,
  now: number,
): Promise<{ id: string }> {
  const id = randomUUID();
  await db.run(
    'INSERT INTO acct_network (id, difficulty, block_height, fees_per_block_sats, source, observed_at, entered_by, entered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    [id, n.difficulty, n.blockHeight, n.feesPerBlockSats, n.source, n.observedAtMs, by, now],
  );
  return { id };
}
