import type { Db } from '../core/storage/db.js';
import { type AttributedHashrate, attributedHashrate, ratio } from './attribution.js';
import { accountBalances, journalBalances } from './journal.js';
import { closeSummaryDoc, type InputsDrift, inputsDrift, journalOf } from './ledger.js';
import { AccountingError } from './register.js';

/**
 * Read models for stakers and the operator, built from the stored closes. A statement is what a
 * staker needs to check their payout: their stake-time, its share of all eligible stake-time, the
 * sats, the hashes and where to fetch the inputs the hash covers.
 */
export interface Statement {
  periodId: string;
  start: string;
  end: string;
  holder: string;
  stakeUnitsSeconds: string;
  totalEligibleUnitsSeconds: string;
  stakeShare: number;
  /** `attributedHashrate.ths` (the one definition, attribution.ts, over the period). */
  attributedThs: number;
  attributedHashrate: AttributedHashrate;
  payoutSats: bigint;
  adjustmentSats: bigint;
  totalSats: bigint;
  ruleVersion: number;
  inputsSha256: string;
  outputsSha256: string;
  inputsUrl: string;
  outputsUrl: string;
}

interface Row {
  period_id: string;
  start_ms: number;
  end_ms: number;
  holder: string;
  weight_units_s: string;
  amount_sats: bigint;
  rule_version: number;
  inputs_sha256: string;
  outputs_sha256: string;
}

async function adjustmentsFor(db: Db, periodId: string, holder: string): Promise<bigint> {
  const rows = await db.all<{ debit_sats: bigint; credit_sats: bigint }>(
    "SELECT debit_sats, credit_sats FROM acct_journal WHERE period_id = ? AND kind = 'adjustment' AND account = ?",
    [periodId, `liability:staker:${holder}`],
  );
  // A liability grows with credits: what the operator now owes the staker.
  return rows.reduce((s, r) => s + r.credit_sats - r.debit_sats, 0n);
}

async function toStatement(db: Db, r: Row): Promise<Statement> {
  const out = (await closeSummaryDoc(db, r.period_id)) as {
    totalWeight: string;
    fleet: { diff1Shares: number };
  };
  const share = ratio(BigInt(r.weight_units_s), BigInt(out.totalWeight));
  const attributed = attributedHashrate(
    out.fleet.diff1Shares,
    Number(r.start_ms),
    Number(r.end_ms),
    BigInt(r.weight_units_s),
    BigInt(out.totalWeight),
  );
  const adjustment = await adjustmentsFor(db, r.period_id, r.holder);
  return {
    periodId: r.period_id,
    start: new Date(Number(r.start_ms)).toISOString(),
    end: new Date(Number(r.end_ms)).toISOString(),
    holder: r.holder,
    stakeUnitsSeconds: r.weight_units_s,
    totalEligibleUnitsSeconds: out.totalWeight,
    stakeShare: share,
    attributedThs: attributed.ths,
    attributedHashrate: attributed,
    payoutSats: r.amount_sats,
    adjustmentSats: adjustment,
    totalSats: r.amount_sats + adjustment,
    ruleVersion: Number(r.rule_version),
    inputsSha256: r.inputs_sha256,
    outputsSha256: r.outputs_sha256,
    inputsUrl: `/api/v1/periods/${r.period_id}/inputs`,
    outputsUrl: `/api/v1/periods/${r.period_id}/outputs`,
  };
}

const STATEMENT_SQL = `SELECT p.period_id, c.start_ms, c.end_ms, p.holder, p.weight_units_s, p.amount_sats, c.rule_version,
  c.inputs_sha256, c.outputs_sha256
  FROM acct_payouts p JOIN acct_closes c ON c.period_id = p.period_id WHERE p.staker_id = ?`;

export async function statementsOf(db: Db, stakerId: string): Promise<Statement[]> {
  const rows = await db.all<Row>(`${STATEMENT_SQL} ORDER BY c.start_ms DESC`, [stakerId]);
  const out: Statement[] = [];
  for (const r of rows) out.push(await toStatement(db, r));
  return out;
}

export async function statementOf(db: Db, stakerId: string, periodId: string): Promise<Statement> {
  const r = await db.get<Row>(`${STATEMENT_SQL} AND p.period_id = ?`, [stakerId, periodId]);
  if (!r) throw new AccountingError(`staker ${stakerId}: no statement for period ${periodId}`, 404);
  return toStatement(db, r);
}

/** Whether a staker was paid (had eligible stake) in a period: then they may read its inputs. */
export async function stakerInPeriod(db: Db, stakerId: string, periodId: string): Promise<boolean> {
  return !!(await db.get('SELECT 1 AS x FROM acct_payouts WHERE staker_id = ? AND period_id = ?', [
    stakerId,
    periodId,
  ]));
}

const CSV_COLUMNS: (keyof Statement)[] = [
  'periodId',
  'start',
  'end',
  'stakeShare',
  'attributedThs',
  'payoutSats',
  'adjustmentSats',
  'totalSats',
  'ruleVersion',
  'inputsSha256',
  'inputsUrl',
];

export function statementsCsv(statements: readonly Statement[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const s of statements) lines.push(CSV_COLUMNS.map((c) => String(s[c])).join(','));
  return `${lines.join('\n')}\n`;
}

export interface ReconciliationView {
  periodId: string;
  creditedSats: bigint;
  expectedSats: bigint | null;
  shortfallSats: bigint | null;
  shortfallBps: number | null;
  poolShortfallFlagged: boolean;
  costsSats: bigint;
  netSats: bigint;
  paidToStakersSats: bigint;
  journalBalanced: boolean;
  adjustments: number;
  balances: Record<string, bigint>;
  inputsDrift: InputsDrift;
}

export async function reconciliationOf(db: Db, periodId: string): Promise<ReconciliationView> {
  const doc = await closeSummaryDoc(db, periodId);
  if (!doc) throw new AccountingError(`period ${periodId}: not closed`, 404);
  const o = doc as {
    creditedSats: string;
    costsSats: string;
    netSats: string;
    stakerPoolSats: string;
    unallocatedSats: string;
    reconciliation: {
      expectedSats: string;
      shortfallSats: string;
      shortfallBps: number;
      flagged: boolean;
    } | null;
  };
  const journal = await journalOf(db, periodId);
  const balances = accountBalances(journal);
  const aggregated: Record<string, bigint> = {};
  for (const [account, v] of balances) {
    const key = account.startsWith('liability:staker:') ? 'liability:staker:*' : account;
    aggregated[key] = (aggregated[key] ?? 0n) + v;
  }
  return {
    periodId,
    creditedSats: BigInt(o.creditedSats),
    expectedSats: o.reconciliation ? BigInt(o.reconciliation.expectedSats) : null,
    shortfallSats: o.reconciliation ? BigInt(o.reconciliation.shortfallSats) : null,
    shortfallBps: o.reconciliation?.shortfallBps ?? null,
    poolShortfallFlagged: o.reconciliation?.flagged ?? false,
    costsSats: BigInt(o.costsSats),
    netSats: BigInt(o.netSats),
    paidToStakersSats: BigInt(o.stakerPoolSats) - BigInt(o.unallocatedSats),
    journalBalanced: journalBalances(journal),
    adjustments: new Set(journal.filter((l) => l.kind === 'adjustment').map((l) => l.tx)).size,
    balances: aggregated,
    inputsDrift: await inputsDrift(db, periodId),
  };
}

/** Every staker's id and holder hash (the ledger names stakers by holder). */
export async function stakerHolders(db: Db) {
  return db.all<{ id: string; holder: string }>('SELECT id, holder FROM acct_stakers');
}

export interface PeriodBreakdown {
  periodId: string;
  start: string;
  end: string;
  ruleVersion: number;
  /** 1. BTC the pool credited for the period. */
  poolCreditSats: bigint;
  /** 2. Costs by site and kind (energy per site; other costs carry no site), as the journal books them. */
  costs: { kind: 'energy' | 'other'; siteId: string | null; account: string; sats: bigint; detail: string }[];
  costsSats: bigint;
  lossCarriedInSats: bigint;
  /** 3. net = credit - costs - loss carried in (negative: a loss, nothing is paid). */
  netSats: bigint;
  /** 4. The stakers' pool: floor(net x stakerBps / 10000) when net >= 0, else 0. */
  stakerBps: number;
  stakerPoolSats: bigint;
  /** 5. This staker's share of all eligible stake-time. */
  stakeUnitsSeconds: string;
  totalEligibleUnitsSeconds: string;
  stakeShare: number;
  /** 6. Payout = floor(pool x stake / total) + the leftover satoshi, if the largest-remainder split gave one. */
  proRataFloorSats: bigint;
  remainderSats: bigint;
  payoutSats: bigint;
  adjustmentSats: bigint;
  totalSats: bigint;
  lossCarriedOutSats: bigint;
  attributedHashrate: AttributedHashrate;
  inputsSha256: string;
  outputsSha256: string;
}

/** A staker's period from the pool credit to their payout, every step in satoshis (adds up exactly). */
export async function breakdownOf(db: Db, stakerId: string, periodId: string): Promise<PeriodBreakdown> {
  const r = await db.get<Row>(`${STATEMENT_SQL} AND p.period_id = ?`, [stakerId, periodId]);
  if (!r) throw new AccountingError(`staker ${stakerId}: no statement for period ${periodId}`, 404);
  const st = await toStatement(db, r);
  const out = (await closeSummaryDoc(db, periodId)) as {
    creditedSats: string;
    costs: { account: string; sats: string; detail: string }[];
    costsSats: string;
    lossCarriedInSats: string;
    netSats: string;
    stakerPoolSats: string;
    lossCarriedOutSats: string;
    totalWeight: string;
  };
  const rule = await db.get<{ staker_bps: number }>('SELECT staker_bps FROM acct_rules WHERE version = ?', [
    r.rule_version,
  ]);
  const pool = BigInt(out.stakerPoolSats);
  const total = BigInt(out.totalWeight);
  const floor = total === 0n ? 0n : (pool * BigInt(r.weight_units_s)) / total;
  return {
    periodId,
    start: st.start,
    end: st.end,
    ruleVersion: st.ruleVersion,
    poolCreditSats: BigInt(out.creditedSats),
    costs: out.costs.map((c) => {
      const energy = c.account.startsWith('expense:energy:');
      return {
        kind: energy ? ('energy' as const) : ('other' as const),
        siteId: energy ? c.account.slice('expense:energy:'.length) : null,
        account: c.account,
        sats: BigInt(c.sats),
        detail: c.detail,
      };
    }),
    costsSats: BigInt(out.costsSats),
    lossCarriedInSats: BigInt(out.lossCarriedInSats),
    netSats: BigInt(out.netSats),
    stakerBps: Number(rule?.staker_bps ?? 0),
    stakerPoolSats: pool,
    stakeUnitsSeconds: st.stakeUnitsSeconds,
    totalEligibleUnitsSeconds: st.totalEligibleUnitsSeconds,
    stakeShare: st.stakeShare,
    proRataFloorSats: floor,
    remainderSats: st.payoutSats - floor,
    payoutSats: st.payoutSats,
    adjustmentSats: st.adjustmentSats,
    totalSats: st.totalSats,
    lossCarriedOutSats: BigInt(out.lossCarriedOutSats),
    attributedHashrate: st.attributedHashrate,
    inputsSha256: st.inputsSha256,
    outputsSha256: st.outputsSha256,
  };
}
