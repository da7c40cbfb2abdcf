import type { Db } from '../core/storage/db.js';
import { ratio } from './attribution.js';
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
  attributedThs: number;
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
    fleet: { hashrateThs: number };
  };
  const share = ratio(BigInt(r.weight_units_s), BigInt(out.totalWeight));
  const adjustment = await adjustmentsFor(db, r.period_id, r.holder);
  return {
    periodId: r.period_id,
    start: new Date(Number(r.start_ms)).toISOString(),
    end: new Date(Number(r.end_ms)).toISOString(),
    holder: r.holder,
    stakeUnitsSeconds: r.weight_units_s,
    totalEligibleUnitsSeconds: out.totalWeight,
    stakeShare: share,
    attributedThs: out.fleet.hashrateThs * share,
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
