import type { Db } from '../core/storage/db.js';
import { holderOf, newHolderSalt } from './holder.js';
import { formatHss, unitsFromText } from './hss.js';
import { checkPeriodSeconds } from './period.js';
import type { NodeKind, PayoutRule, StakeEntry, StakingNode } from './types.js';

/**
 * The stake register in SQL: stakers, staking nodes and effective-dated stake entries. Entries
 * are only ever inserted (the table refuses UPDATE/DELETE); a change of stake is a new entry.
 */

export class AccountingError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 409 = 400,
  ) {
    super(message);
  }
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface StakerRow {
  id: string;
  name: string;
  holder: string;
  holder_salt: string;
  created_at: number;
}

export async function createStaker(db: Db, s: { id: string; name: string }, now: number): Promise<StakerRow> {
  if (!ID.test(s.id))
    throw new AccountingError(`staker ${s.id}: id must be 1-64 letters, digits, ".", "_" or "-"`);
  const existing = await getStaker(db, s.id);
  if (existing) {
    if (existing.name !== s.name) throw new AccountingError(`staker ${s.id}: exists with another name`, 409);
    return existing;
  }
  const salt = newHolderSalt();
  const row: StakerRow = {
    id: s.id,
    name: s.name,
    holder: holderOf(s.id, salt),
    holder_salt: salt,
    created_at: now,
  };
  await db.run(
    'INSERT INTO acct_stakers (id, name, holder, holder_salt, created_at) VALUES (?, ?, ?, ?, ?)',
    [row.id, row.name, row.holder, row.holder_salt, row.created_at],
  );
  return row;
}

export const getStaker = (db: Db, id: string) =>
  db.get<StakerRow>('SELECT * FROM acct_stakers WHERE id = ?', [id]);
export const listStakers = (db: Db) => db.all<StakerRow>('SELECT * FROM acct_stakers ORDER BY id');

export async function createNode(
  db: Db,
  n: { id: string; name: string; kind: NodeKind },
  now: number,
): Promise<StakingNode> {
  if (!ID.test(n.id))
    throw new AccountingError(`node ${n.id}: id must be 1-64 letters, digits, ".", "_" or "-"`);
  const existing = await db.get<{ kind: NodeKind }>('SELECT kind FROM acct_nodes WHERE id = ?', [n.id]);
  if (existing) {
    if (existing.kind !== n.kind)
      throw new AccountingError(`node ${n.id}: exists as a ${existing.kind} node`, 409);
    return { id: n.id, kind: existing.kind };
  }
  await db.run('INSERT INTO acct_nodes (id, name, kind, created_at) VALUES (?, ?, ?, ?)', [
    n.id,
    n.name,
    n.kind,
    now,
  ]);
  return { id: n.id, kind: n.kind };
}

export const listNodes = (db: Db) =>
  db.all<{ id: string; name: string; kind: NodeKind }>('SELECT id, name, kind FROM acct_nodes ORDER BY id');

export interface StakeEntryRow {
  seq: number;
  staker_id: string;
  node_id: string;
  amount_units: string;
  effective_at: number;
  source: string;
  idempotency_key: string | null;
  entered_by: string;
  entered_at: number;
}

export interface NewStakeEntry {
  stakerId: string;
  nodeId: string;
  amountUnits: bigint;
  effectiveAtMs: number;
  source: string;
  idempotencyKey?: string | null;
  enteredBy: string;
}

/** End of the last closed period: stake changes before it would rewrite a closed period. */
export async function closedUntil(db: Db): Promise<number> {
  const r = await db.get<{ end_ms: number | null }>('SELECT MAX(end_ms) AS end_ms FROM acct_closes');
  return Number(r?.end_ms ?? 0);
}

/** Validates and appends one entry (inside the caller's transaction). Returns the stored row. */
export async function addStakeEntry(
  db: Db,
  e: NewStakeEntry,
  now: number,
): Promise<{ row: StakeEntryRow; created: boolean }> {
  const where = `stake ${e.stakerId}@${e.nodeId}`;
  if (e.idempotencyKey) {
    const prior = await db.get<StakeEntryRow>('SELECT * FROM acct_stake_entries WHERE idempotency_key = ?', [
      e.idempotencyKey,
    ]);
    if (prior) {
      const same =
        prior.staker_id === e.stakerId &&
        prior.node_id === e.nodeId &&
        prior.amount_units === e.amountUnits.toString() &&
        Number(prior.effective_at) === e.effectiveAtMs;
      if (!same)
        throw new AccountingError(
          `${where}: idempotency key ${e.idempotencyKey} was used for another entry`,
          409,
        );
      return { row: prior, created: false };
    }
  }
  if (!Number.isSafeInteger(e.effectiveAtMs) || e.effectiveAtMs % 1000 !== 0 || e.effectiveAtMs < 0) {
    throw new AccountingError(`${where}: effective time must be a whole second`);
  }
  if (e.amountUnits < 0n) throw new AccountingError(`${where}: amount must not be negative`);
  if (!(await getStaker(db, e.stakerId)))
    throw new AccountingError(`${where}: unknown staker ${e.stakerId}`, 404);
  const node = await db.get<{ kind: NodeKind }>('SELECT kind FROM acct_nodes WHERE id = ?', [e.nodeId]);
  if (!node) throw new AccountingError(`${where}: unknown node ${e.nodeId}`, 404);
  const closed = await closedUntil(db);
  if (e.effectiveAtMs < closed) {
    throw new AccountingError(
      `${where}: effective ${new Date(e.effectiveAtMs).toISOString()} falls in a closed period (closed until ${new Date(closed).toISOString()}); correct a closed period with an adjusting entry`,
      409,
    );
  }
  if (node.kind === 'solo') {
    const other = await db.get<{ staker_id: string }>(
      'SELECT staker_id FROM acct_stake_entries WHERE node_id = ? AND staker_id <> ? LIMIT 1',
      [e.nodeId, e.stakerId],
    );
    if (other)
      throw new AccountingError(
        `${where}: node ${e.nodeId} is a solo node held by ${other.staker_id}; pool stakes in a shared node`,
        409,
      );
  }
  const next = await db.get<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM acct_stake_entries');
  const row: StakeEntryRow = {
    seq: Number(next?.seq ?? 0) + 1,
    staker_id: e.stakerId,
    node_id: e.nodeId,
    amount_units: e.amountUnits.toString(),
    effective_at: e.effectiveAtMs,
    source: e.source,
    idempotency_key: e.idempotencyKey ?? null,
    entered_by: e.enteredBy,
    entered_at: now,
  };
  await db.run(
    `INSERT INTO acct_stake_entries (seq, staker_id, node_id, amount_units, effective_at, source, idempotency_key, entered_by, entered_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      row.seq,
      row.staker_id,
      row.node_id,
      row.amount_units,
      row.effective_at,
      row.source,
      row.idempotency_key,
      row.entered_by,
      row.entered_at,
    ],
  );
  return { row, created: true };
}

export function stakeEntriesOf(db: Db, stakerId: string): Promise<StakeEntryRow[]> {
  return db.all<StakeEntryRow>(
    'SELECT * FROM acct_stake_entries WHERE staker_id = ? ORDER BY effective_at, seq',
    [stakerId],
  );
}

/** Entries as the pure functions take them, with stakers as holders; effective before `untilMs`. */
export async function stakeEntriesUntil(
  db: Db,
  untilMs: number,
): Promise<{ entries: StakeEntry[]; holderOf: Map<string, string> }> {
  const rows = await db.all<StakeEntryRow & { holder: string }>(
    `SELECT e.seq, e.staker_id, e.node_id, e.amount_units, e.effective_at, e.entered_at, s.holder
     FROM acct_stake_entries e JOIN acct_stakers s ON s.id = e.staker_id
     WHERE e.effective_at < ? ORDER BY e.seq`,
    [untilMs],
  );
  const holders = new Map<string, string>();
  const entries = rows.map((r) => {
    holders.set(r.holder, r.staker_id);
    return {
      seq: Number(r.seq),
      holder: r.holder,
      nodeId: r.node_id,
      amountUnits: unitsFromText(r.amount_units, `stake entry ${r.seq}`),
      effectiveAtMs: Number(r.effective_at),
      recordedAtMs: Number(r.entered_at),
    };
  });
  return { entries, holderOf: holders };
}

/** Stakers per page of `stakeEntriesPaged`. */
export const STAKERS_PER_PAGE = 20_000;

/**
 * The same entries as `stakeEntriesUntil`, read a page of stakers at a time (keyset on the staker
 * id, their entries by the acct_stake_entries_staker index) and handed to `page` with the page's
 * holder -> staker id: every entry of a staker comes in one page, so a page can be pruned on its
 * own; a page's entries come by staker, node, time and seq, each holding's together in its order.
 * At 1,000,000 stakers the driver's rows of one read of all 1,100,000 entries were held at
 * once beside the entries made of them (issue 15 item 3); a page's rows are dropped after it.
 */
export async function stakeEntriesPaged(
  db: Db,
  untilMs: number,
  page: (entries: StakeEntry[], holderOf: Map<string, string>) => void,
): Promise<void> {
  let after: string | null = null;
  for (;;) {
    const stakers: { id: string; holder: string }[] = await db.all<{ id: string; holder: string }>(
      after === null
        ? `SELECT id, holder FROM acct_stakers ORDER BY id LIMIT ${STAKERS_PER_PAGE}`
        : `SELECT id, holder FROM acct_stakers WHERE id > ? ORDER BY id LIMIT ${STAKERS_PER_PAGE}`,
      after === null ? [] : [after],
    );
    if (stakers.length === 0) return;
    const holderOfStaker = new Map(stakers.map((s) => [s.id, s.holder]));
    const rows = await db.all<StakeEntryRow>(
      `SELECT seq, staker_id, node_id, amount_units, effective_at, entered_at FROM acct_stake_entries
       WHERE staker_id >= ? AND staker_id <= ? AND effective_at < ? ORDER BY staker_id, node_id, effective_at, seq`,
      [stakers[0]!.id, stakers[stakers.length - 1]!.id, untilMs],
    );
    const holders = new Map<string, string>();
    const entries = rows.map((r) => {
      const holder = holderOfStaker.get(r.staker_id)!;
      holders.set(holder, r.staker_id);
      return {
        seq: Number(r.seq),
        holder,
        nodeId: r.node_id,
        amountUnits: unitsFromText(r.amount_units, `stake entry ${r.seq}`),
        effectiveAtMs: Number(r.effective_at),
        recordedAtMs: Number(r.entered_at),
      };
    });
    page(entries, holders);
    if (stakers.length < STAKERS_PER_PAGE) return;
    after = stakers[stakers.length - 1]!.id;
  }
}

/** The view a person reads: amounts in HSS as decimal text. */
export function presentEntry(r: StakeEntryRow) {
  return {
    seq: Number(r.seq),
    stakerId: r.staker_id,
    nodeId: r.node_id,
    amountHss: formatHss(BigInt(r.amount_units)),
    amountUnits: r.amount_units,
    effectiveAt: new Date(Number(r.effective_at)).toISOString(),
    source: r.source,
    enteredBy: r.entered_by,
    enteredAt: new Date(Number(r.entered_at)).toISOString(),
  };
}

interface RuleRow {
  version: number;
  staker_bps: number;
  reinvest_bps: number;
  operator_bps: number;
  loss_rule: 'carry_forward' | 'pay_zero';
  period_s: number;
  min_node_collateral_units: string;
  effective_from: number;
}

export interface StoredRule extends PayoutRule {
  periodSeconds: number;
  effectiveFromMs: number;
}

const toRule = (r: RuleRow): StoredRule => ({
  version: Number(r.version),
  stakerBps: Number(r.staker_bps),
  reinvestBps: Number(r.reinvest_bps),
  operatorBps: Number(r.operator_bps),
  lossRule: r.loss_rule,
  minNodeCollateralUnits: BigInt(r.min_node_collateral_units),
  periodSeconds: Number(r.period_s),
  effectiveFromMs: Number(r.effective_from),
});

/** The rule version in force at an instant (the latest with effective_from <= at). */
export async function ruleAt(db: Db, atMs: number): Promise<StoredRule> {
  const r = await db.get<RuleRow>(
    'SELECT * FROM acct_rules WHERE effective_from <= ? ORDER BY effective_from DESC, version DESC LIMIT 1',
    [atMs],
  );
  if (!r) throw new AccountingError(`no payout rule in force at ${new Date(atMs).toISOString()}`, 409);
  return toRule(r);
}

export async function listRules(db: Db): Promise<StoredRule[]> {
  return (await db.all<RuleRow>('SELECT * FROM acct_rules ORDER BY version')).map(toRule);
}

export async function addRule(
  db: Db,
  r: Omit<StoredRule, 'version'>,
  by: string,
  now: number,
): Promise<StoredRule> {
  if (r.stakerBps + r.reinvestBps + r.operatorBps !== 10_000) {
    throw new AccountingError(
      `rule: shares ${r.stakerBps}+${r.reinvestBps}+${r.operatorBps} bps must sum to 10000`,
    );
  }
  try {
    checkPeriodSeconds(r.periodSeconds);
  } catch (e) {
    throw new AccountingError(`rule: ${(e as Error).message}`);
  }
  const closed = await closedUntil(db);
  if (r.effectiveFromMs < closed)
    throw new AccountingError('rule: effective_from falls in a closed period', 409);
  const last = await db.get<{ v: number | null }>('SELECT MAX(version) AS v FROM acct_rules');
  const version = Number(last?.v ?? 0) + 1;
  await db.run(
    `INSERT INTO acct_rules (version, staker_bps, reinvest_bps, operator_bps, loss_rule, period_s, min_node_collateral_units, effective_from, created_by, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      version,
      r.stakerBps,
      r.reinvestBps,
      r.operatorBps,
      r.lossRule,
      r.periodSeconds,
      r.minNodeCollateralUnits.toString(),
      r.effectiveFromMs,
      by,
      now,
    ],
  );
  return { ...r, version };
}
