import type { Audit } from '../core/audit.js';
import type { Principal } from '../core/auth/roles.js';
import { insertColumns } from '../core/storage/bulk.js';
import type { Db } from '../core/storage/db.js';
import type { MinerHour } from '../energy/index.js';
import { canonicalText, sha256Hex } from './canonical.js';
import { byText, type CloseResult, closePeriod, type PayoutColumns } from './close.js';
import { INPUTS_SCHEMA, type InputsSchema, inputsAsVersion, parseInputsDoc } from './close-inputs.js';
import { assertNextInOrder, completenessOf, storeCompleteness } from './completeness.js';
import { type AdjustmentLine, adjustmentErrors, type JournalLine } from './journal.js';
import { closableUnderRule, loadCloseInputs, noCreditError, readMinerHours } from './load-inputs.js';
import { parsePeriodId } from './period.js';
import { AccountingError, type StoredRule } from './register.js';
import type { Period } from './types.js';

/**
 * The stored side of a close: runs the pure close on inputs gathered from SQL and appends the
 * close, the payouts and the journal in one transaction. Closing a closed period returns the
 * stored result untouched. On PostgreSQL the close holds an advisory lock per schema, so of several
 * controller replicas exactly one closes a period (docs/architecture.md §7).
 */
const PG_CLOSE_LOCK = 7_345_100;

export interface CloseSummary {
  periodId: string;
  startMs: number;
  endMs: number;
  ruleVersion: number;
  inputsSha256: string;
  outputsSha256: string;
  netSats: bigint;
  stakerPoolSats: bigint;
  lossCarriedOutSats: bigint;
  closedBy: string;
  closedAt: number;
  alreadyClosed: boolean;
}

interface CloseRow {
  period_id: string;
  start_ms: number;
  end_ms: number;
  rule_version: number;
  inputs_sha256: string;
  outputs_sha256: string;
  net_sats: bigint;
  staker_pool_sats: bigint;
  loss_carried_out_sats: bigint;
  closed_by: string;
  closed_at: number;
}

const SUMMARY_COLUMNS =
  'period_id, start_ms, end_ms, rule_version, inputs_sha256, outputs_sha256, net_sats, staker_pool_sats, loss_carried_out_sats, closed_by, closed_at';

const toSummary = (r: CloseRow, alreadyClosed: boolean): CloseSummary => ({
  periodId: r.period_id,
  startMs: Number(r.start_ms),
  endMs: Number(r.end_ms),
  ruleVersion: Number(r.rule_version),
  inputsSha256: r.inputs_sha256,
  outputsSha256: r.outputs_sha256,
  netSats: r.net_sats,
  stakerPoolSats: r.staker_pool_sats,
  lossCarriedOutSats: r.loss_carried_out_sats,
  closedBy: r.closed_by,
  closedAt: Number(r.closed_at),
  alreadyClosed,
});

export async function getClose(db: Db, periodId: string): Promise<CloseSummary | null> {
  const r = await db.get<CloseRow>(`SELECT ${SUMMARY_COLUMNS} FROM acct_closes WHERE period_id = ?`, [
    periodId,
  ]);
  return r ? toSummary(r, true) : null;
}

export async function listCloses(db: Db): Promise<CloseSummary[]> {
  const rows = await db.all<CloseRow>(`SELECT ${SUMMARY_COLUMNS} FROM acct_closes ORDER BY start_ms DESC`);
  return rows.map((r) => toSummary(r, true));
}

export interface LedgerDeps {
  db: Db;
  audit: Audit;
  now(): number;
}

export async function closeStoredPeriod(
  deps: LedgerDeps,
  periodId: string,
  actor: Principal,
  opts: { override?: string | undefined } = {},
): Promise<{ summary: CloseSummary; result: CloseResult | null }> {
  let period: ReturnType<typeof parsePeriodId>;
  try {
    period = parsePeriodId(periodId);
  } catch (e) {
    throw new AccountingError((e as Error).message);
  }
  return deps.db.tx(async (db) => {
    // Keyed by the deployment's schema too (the first on its search_path, core/storage/postgres.ts):
    // the replicas of one deployment share it, and deployments in other schemas of the same
    // database close on their own instead of waiting for each other.
    if (db.dialect === 'postgres')
      await db.get('SELECT pg_advisory_xact_lock(hashtext(current_schema()), ?)', [PG_CLOSE_LOCK]);
    const existing = await getClose(db, periodId);
    if (existing) return { summary: existing, result: null };
    if (period.endMs > deps.now()) throw new AccountingError(`period ${periodId}: has not ended yet`, 409);
    await assertNextInOrder(db, period, 'close');
    await closableUnderRule(db, period);
    // Never closed blind: below the thresholds only an operator's override (audited) closes it.
    // The report reads the period's container-hours alone, so it refuses before the register is
    // read and the close computed (a million stakers' worth of work for a period that may not close).
    // The period's miner-hours, read once for the report and the close's energy lines.
    const minerHours = await readMinerHours(db, period.startMs, period.endMs);
    const report = await completenessOf(db, period, minerHours);
    const reason = opts.override?.trim();
    if (!report.summary.creditPresent) throw noCreditError(`period ${periodId}`);
    if (!report.complete && !reason) {
      throw new AccountingError(
        `period ${periodId}: incomplete (${report.failures.join('; ')}); see GET /periods/${periodId}/completeness, then close with an override reason if it is to be booked as it is`,
        409,
      );
    }
    const { result, stakerOf, rule } = await loadAndClose(db, period, minerHours);
    const override = !report.complete && reason ? { reason, by: actor.name } : null;
    await storeCompleteness(db, report, override, deps.now());
    if (override) {
      await deps.audit.record({
        actor,
        action: 'accounting.period.close_override',
        subject: `period ${periodId}`,
        details: { reason: override.reason, failures: report.failures, flags: report.flags },
      });
    }
    const o = result.summary;
    const at = deps.now();
    await db.run(
      `INSERT INTO acct_closes (period_id, start_ms, end_ms, rule_version, inputs_json, inputs_sha256, outputs_json, outputs_sha256,
        net_sats, staker_pool_sats, loss_carried_out_sats, closed_by, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        periodId,
        period.startMs,
        period.endMs,
        rule.version,
        result.inputsText,
        result.inputsSha256,
        result.outputsText,
        result.outputsSha256,
        o.netSats,
        o.stakerPoolSats,
        o.lossCarriedOutSats,
        actor.name,
        at,
      ],
    );
    await insertPayouts(db, periodId, result.payouts, stakerOf);
    await db.run('INSERT INTO acct_close_summaries (period_id, summary_json) VALUES (?, ?)', [
      periodId,
      canonicalText(result.summary),
    ]);
    await appendJournal(db, periodId, 'close', result.journal, actor.name, at, null);
    await deps.audit.record({
      actor,
      action: 'accounting.period.close',
      subject: `period ${periodId}`,
      details: {
        inputsSha256: result.inputsSha256,
        outputsSha256: result.outputsSha256,
        netSats: o.netSats.toString(),
      },
    });
    const summary = (await getClose(db, periodId))!;
    return { summary: { ...summary, alreadyClosed: false }, result };
  });
}

/**
 * Reads the inputs and runs the pure close. The inputs (an object per stake entry, 1,100,000 at
 * 1,000,000 stakers) live only in here, so they are not kept alive while the close is written.
 */
async function loadAndClose(
  db: Db,
  period: Period,
  minerHours: readonly MinerHour[],
): Promise<{ result: CloseResult; stakerOf: Map<string, string>; rule: StoredRule }> {
  const { inputs, stakerOf, rule } = await loadCloseInputs(
    db,
    period,
    'close',
    INPUTS_SCHEMA,
    minerHours,
  ).catch((e: Error) => {
    throw e instanceof AccountingError ? e : new AccountingError(`period ${period.id}: ${e.message}`, 409);
  });
  try {
    return { result: closePeriod(inputs), stakerOf, rule };
  } catch (e) {
    throw new AccountingError((e as Error).message, 409);
  }
}

async function appendJournal(
  db: Db,
  periodId: string,
  kind: 'close' | 'adjustment',
  lines: Iterable<JournalLine>,
  by: string,
  at: number,
  idempotencyKey: string | null,
): Promise<number> {
  const lineNo = new Map<string, number>();
  return insertColumns(
    db,
    {
      table: 'acct_journal',
      columns: JOURNAL_COLUMNS,
      types: ['text', 'text', 'bigint', 'text', 'text', 'bigint', 'bigint', 'text', 'text', 'text', 'bigint'],
      row: (l: JournalLine, out) => {
        const n = lineNo.get(l.tx) ?? 0;
        lineNo.set(l.tx, n + 1);
        out[0] = periodId;
        out[1] = l.tx;
        out[2] = n;
        out[3] = kind;
        out[4] = l.account;
        out[5] = l.debitSats;
        out[6] = l.creditSats;
        out[7] = l.memo;
        out[8] = idempotencyKey;
        out[9] = by;
        out[10] = at;
      },
    },
    lines,
  );
}

/**
 * A close of 1,000,000 stakers stores 1,000,000 payouts and as many journal lines: written one
 * statement per row that was 2,000,000 round trips on PostgreSQL (issue 15 item 3). They go in
 * bulk (core/storage/bulk.ts `insertColumns`: arrays through `unnest` on PostgreSQL, multi-row
 * INSERTs on SQLite), in the caller's transaction, in the order of the close.
 */
export const JOURNAL_COLUMNS = [
  'period_id',
  'tx',
  'line_no',
  'kind',
  'account',
  'debit_sats',
  'credit_sats',
  'memo',
  'idempotency_key',
  'created_by',
  'created_at',
] as const;
export const PAYOUT_COLUMNS = ['period_id', 'staker_id', 'holder', 'weight_units_s', 'amount_sats'] as const;

/**
 * Payouts go in in staker id order, not the payouts' holder order: both of acct_payouts' indexes
 * lead with the staker id ((period_id, staker_id) and (staker_id, period_id)), and in holder order
 * each row went to a random place in each. On PostgreSQL, 1,000,000 payouts of one period took
 * 78.9 s of the server's time in holder order and 28.1 s in staker order (INSERT ... SELECT of the
 * same rows, load 10-13 on the 2 shared cores).
 */
async function insertPayouts(
  db: Db,
  periodId: string,
  payouts: PayoutColumns,
  stakerOf: ReadonlyMap<string, string>,
): Promise<number> {
  const { holders, weights, sats } = payouts;
  const ids = holders.map((h) => stakerOf.get(h)!);
  const order = Uint32Array.from(ids.keys()).sort((a, b) => byText(ids[a]!, ids[b]!));
  return insertColumns(
    db,
    {
      table: 'acct_payouts',
      columns: PAYOUT_COLUMNS,
      types: ['text', 'text', 'text', 'text', 'bigint'],
      row: (i: number, out) => {
        out[0] = periodId;
        out[1] = ids[i]!;
        out[2] = holders[i]!;
        out[3] = weights[i]!.toString();
        out[4] = sats[i]!;
      },
    },
    order,
  );
}

export interface Recomputed {
  periodId: string;
  identical: boolean;
  storedInputsSha256: string;
  recomputedInputsSha256: string;
  storedOutputsSha256: string;
  recomputedOutputsSha256: string;
}

/** Rebuilds the outputs from the stored inputs alone and compares the bytes. */
export async function recomputeStored(db: Db, periodId: string): Promise<Recomputed> {
  const row = await db.get<{
    inputs_json: string;
    inputs_sha256: string;
    outputs_json: string;
    outputs_sha256: string;
  }>('SELECT inputs_json, inputs_sha256, outputs_json, outputs_sha256 FROM acct_closes WHERE period_id = ?', [
    periodId,
  ]);
  if (!row) throw new AccountingError(`period ${periodId}: not closed`, 404);
  const again = closePeriod(parseInputsDoc(row.inputs_json, `period ${periodId}`));
  return {
    periodId,
    identical:
      again.inputsText === row.inputs_json &&
      again.outputsText === row.outputs_json &&
      sha256Hex(row.inputs_json) === row.inputs_sha256 &&
      again.outputsSha256 === row.outputs_sha256,
    storedInputsSha256: row.inputs_sha256,
    recomputedInputsSha256: again.inputsSha256,
    storedOutputsSha256: row.outputs_sha256,
    recomputedOutputsSha256: again.outputsSha256,
  };
}

export interface InputsDrift {
  /** True when the sources, read today, no longer give the inputs the close froze. */
  drifted: boolean;
  /** Top-level sections of the inputs document that differ (e.g. "work", "energy", "btcPrices"). */
  sections: string[];
  sourceInputsSha256: string | null;
}

/**
 * Late data (an agent's spool replayed after an outage, a corrected tariff, a price entered
 * afterwards) can change a closed period's sources. The close stays as it was; this says what
 * moved, so the operator can book an adjusting entry.
 */
export async function inputsDrift(db: Db, periodId: string): Promise<InputsDrift> {
  const stored = await storedDocument(db, periodId, 'inputs');
  if (stored === null) throw new AccountingError(`period ${periodId}: not closed`, 404);
  const frozen = JSON.parse(stored) as Record<string, unknown>;
  let today: Record<string, unknown>;
  let text: string;
  try {
    const { inputs } = await loadCloseInputs(
      db,
      parsePeriodId(periodId),
      'drift',
      frozen.schema as InputsSchema,
    );
    // A period closed under an older document version is compared in that version's shape.
    text = canonicalText(inputsAsVersion(inputs, frozen.schema as InputsSchema));
    today = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    return { drifted: true, sections: [`unreadable: ${(e as Error).message}`], sourceInputsSha256: null };
  }
  const keys = [...new Set([...Object.keys(frozen), ...Object.keys(today)])].sort();
  const sections = keys.filter((k) => JSON.stringify(frozen[k]) !== JSON.stringify(today[k]));
  return { drifted: sections.length > 0, sections, sourceInputsSha256: sha256Hex(text) };
}

export async function storedDocument(
  db: Db,
  periodId: string,
  which: 'inputs' | 'outputs',
): Promise<string | null> {
  const row = await db.get<{ doc: string }>(
    `SELECT ${which === 'inputs' ? 'inputs_json' : 'outputs_json'} AS doc FROM acct_closes WHERE period_id = ?`,
    [periodId],
  );
  return row?.doc ?? null;
}

/** The outputs document without payouts and journal (JSON, bigints as strings). */
export async function closeSummaryDoc(db: Db, periodId: string): Promise<Record<string, unknown> | null> {
  const s = await db.get<{ summary_json: string }>(
    'SELECT summary_json FROM acct_close_summaries WHERE period_id = ?',
    [periodId],
  );
  if (s) return JSON.parse(s.summary_json) as Record<string, unknown>;
  const doc = await storedDocument(db, periodId, 'outputs');
  return doc === null ? null : (JSON.parse(doc) as Record<string, unknown>);
}

export interface StoredJournalLine extends JournalLine {
  lineNo: number;
  kind: 'close' | 'adjustment';
  createdBy: string;
  createdAt: number;
}

export async function journalOf(db: Db, periodId: string): Promise<StoredJournalLine[]> {
  const rows = await db.all<{
    tx: string;
    line_no: number;
    kind: 'close' | 'adjustment';
    account: string;
    debit_sats: bigint;
    credit_sats: bigint;
    memo: string;
    created_by: string;
    created_at: number;
  }>('SELECT * FROM acct_journal WHERE period_id = ? ORDER BY created_at, tx, line_no', [periodId]);
  return rows.map((r) => ({
    tx: r.tx,
    lineNo: Number(r.line_no),
    kind: r.kind,
    account: r.account,
    debitSats: r.debit_sats,
    creditSats: r.credit_sats,
    memo: r.memo,
    createdBy: r.created_by,
    createdAt: Number(r.created_at),
  }));
}

/** Appends a balanced adjusting entry to a closed period. Same idempotency key, same result. */
export async function adjustPeriod(
  deps: LedgerDeps,
  periodId: string,
  adj: { memo: string; idempotencyKey: string; lines: AdjustmentLine[] },
  actor: Principal,
): Promise<{ tx: string; created: boolean }> {
  const errors = adjustmentErrors(adj.lines);
  if (errors.length) throw new AccountingError(`period ${periodId}: adjustment: ${errors.join('; ')}`);
  return deps.db.tx(async (db) => {
    if (!(await getClose(db, periodId)))
      throw new AccountingError(`period ${periodId}: not closed; adjust only closed periods`, 409);
    const prior = await db.get<{ tx: string; period_id: string }>(
      'SELECT tx, period_id FROM acct_journal WHERE idempotency_key = ? LIMIT 1',
      [adj.idempotencyKey],
    );
    if (prior) {
      if (prior.period_id !== periodId)
        throw new AccountingError(
          `idempotency key ${adj.idempotencyKey}: used for period ${prior.period_id}`,
          409,
        );
      return { tx: prior.tx, created: false };
    }
    const count = await db.get<{ n: number }>(
      "SELECT COUNT(DISTINCT tx) AS n FROM acct_journal WHERE period_id = ? AND kind = 'adjustment'",
      [periodId],
    );
    const tx = `${periodId}/adj/${Number(count?.n ?? 0) + 1}`;
    const at = deps.now();
    await appendJournal(
      db,
      periodId,
      'adjustment',
      adj.lines.map((l) => ({ ...l, tx, memo: adj.memo })),
      actor.name,
      at,
      adj.idempotencyKey,
    );
    await deps.audit.record({
      actor,
      action: 'accounting.period.adjust',
      subject: `period ${periodId}`,
      details: {
        tx,
        memo: adj.memo,
        lines: adj.lines.map((l) => ({ ...l, debitSats: `${l.debitSats}`, creditSats: `${l.creditSats}` })),
      },
    });
    return { tx, created: true };
  });
}
