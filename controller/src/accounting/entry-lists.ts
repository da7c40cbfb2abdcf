import type { Db } from '../core/storage/db.js';
import type { StakeEntryRow } from './register.js';
import { presentEntry } from './register.js';

/**
 * The entered close inputs read back, newest first (issue 19 item 6): pool credits and other costs,
 * of one period when `periodId` is given, and the stake register's entries across stakers. The
 * routes are in routes/entry-list-routes.ts.
 */

/** A fiat amount in micro-units as the decimal text it was entered as (`120.5`). */
const microText = (micro: bigint): string => {
  const whole = micro / 1_000_000n;
  const frac = (micro % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
};

const wherePeriod = (periodId: string | undefined) =>
  periodId === undefined
    ? { sql: '', args: [] as string[] }
    : { sql: 'WHERE period_id = ?', args: [periodId] };

export async function listCredits(db: Db, periodId: string | undefined, limit: number) {
  const w = wherePeriod(periodId);
  const rows = await db.all<{
    period_id: string;
    pool: string;
    reference: string;
    amount_sats: bigint | number | string;
    entered_by: string;
    entered_at: number;
  }>(
    `SELECT period_id, pool, reference, amount_sats, entered_by, entered_at FROM acct_credits ${w.sql}
     ORDER BY entered_at DESC, period_id DESC, pool, reference LIMIT ?`,
    [...w.args, limit],
  );
  return rows.map((r) => ({
    periodId: r.period_id,
    pool: r.pool,
    reference: r.reference,
    amountSats: BigInt(r.amount_sats),
    enteredBy: r.entered_by,
    enteredAt: new Date(Number(r.entered_at)).toISOString(),
  }));
}

export async function listCosts(db: Db, periodId: string | undefined, limit: number) {
  const w = wherePeriod(periodId);
  const rows = await db.all<{
    period_id: string;
    description: string;
    currency: string;
    amount_sats: bigint | number | string | null;
    amount_micro: bigint | number | string | null;
    entered_by: string;
    entered_at: number;
  }>(
    `SELECT period_id, description, currency, amount_sats, amount_micro, entered_by, entered_at FROM acct_costs
     ${w.sql} ORDER BY entered_at DESC, period_id DESC, id LIMIT ?`,
    [...w.args, limit],
  );
  return rows.map((r) => ({
    periodId: r.period_id,
    description: r.description,
    currency: r.currency,
    amount: r.amount_micro === null ? null : microText(BigInt(r.amount_micro)),
    amountSats: r.amount_sats === null ? null : BigInt(r.amount_sats),
    enteredBy: r.entered_by,
    enteredAt: new Date(Number(r.entered_at)).toISOString(),
  }));
}

export async function listStakeEntries(db: Db, limit: number) {
  const rows = await db.all<StakeEntryRow & { staker_name: string; node_name: string }>(
    `SELECT e.*, s.name AS staker_name, n.name AS node_name FROM acct_stake_entries e
     JOIN acct_stakers s ON s.id = e.staker_id JOIN acct_nodes n ON n.id = e.node_id
     ORDER BY e.seq DESC LIMIT ?`,
    [limit],
  );
  return rows.map((r) => ({ ...presentEntry(r), stakerName: r.staker_name, nodeName: r.node_name }));
}
