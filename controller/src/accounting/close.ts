import {
  type ContainerEnergyLine,
  energyParts,
  expectedSats,
  expectedSatsFloat,
  hashrateThs,
  microToSats,
  milliMicroToSats,
  type Reconciliation,
  reconcile,
} from '../energy/index.js';
import { apportionSorted, bpsOf } from './apportion.js';
import { CanonicalPart, type CanonicalWriter, canonicalWithHash, quoted } from './canonical.js';
import { type CloseInputs, INPUTS_SCHEMA, INPUTS_SCHEMA_V1, INPUTS_SCHEMA_V2 } from './close-inputs.js';
import { type JournalLine, journalBalances } from './journal.js';
import { buildTimeline, compactWeights, soloNodeConflict } from './stake-timeline.js';

/**
 * The period close as a pure function of its frozen inputs (docs/style.md §11):
 *   net = credited - costs - loss carried in
 *   net >= 0: stakers floor(net x stakerBps), reinvest floor(net x reinvestBps), operator the rest
 *   net < 0:  carry_forward -> nothing paid, the loss is carried into the next period;
 *             pay_zero      -> nothing paid, the operator absorbs the loss.
 * The staker pool is split by time-weighted eligible stake with apportion() (largest remainder).
 * With no eligible stake in the period the staker pool is booked to `staker_unallocated`.
 * The outputs document's version follows the inputs' (close-inputs.ts): @3 inputs give @3 outputs
 * (energy priced per container-hour line), @2 give @2 (expected revenue exact, solo nodes with one
 * staker at a time), @1 give @1. The outputs' shape is the same in all three.
 *
 * At a million stakers (issue 15 item 3) the close keeps payouts and the stakers' journal lines
 * as columns (holders, weights, sats), not an object each, and writes both documents straight into
 * their SHA-256 (canonical.ts `CanonicalWriter`); `CloseResult.outputs` builds the objects only
 * when read. The bytes are those of the close before (close-previous.ts, which the tests hold this
 * one to).
 */
export const OUTPUTS_SCHEMA = 'hashfleet/period-close-outputs@3';
export const OUTPUTS_SCHEMA_V2 = 'hashfleet/period-close-outputs@2';
export const OUTPUTS_SCHEMA_V1 = 'hashfleet/period-close-outputs@1';
export const RECONCILIATION_TOLERANCE_BPS = 500;

export interface CostLine {
  account: string;
  sats: bigint;
  detail: string;
}

export interface Payout {
  holder: string;
  /** HSS units x seconds of eligible stake in the period. */
  weight: bigint;
  sats: bigint;
}

export interface CloseOutputs {
  schema: typeof OUTPUTS_SCHEMA | typeof OUTPUTS_SCHEMA_V2 | typeof OUTPUTS_SCHEMA_V1;
  periodId: string;
  inputsSha256: string;
  ruleVersion: number;
  creditedSats: bigint;
  costs: CostLine[];
  costsSats: bigint;
  lossCarriedInSats: bigint;
  netSats: bigint;
  stakerPoolSats: bigint;
  reinvestSats: bigint;
  operatorSats: bigint;
  unallocatedSats: bigint;
  lossCarriedOutSats: bigint;
  totalWeight: bigint;
  fleet: { diff1Shares: number; hashrateThs: number };
  nodes: { nodeId: string; weight: bigint }[];
  payouts: Payout[];
  reconciliation: Reconciliation | null;
  journal: JournalLine[];
}

/** The outputs document without its two long lists (what acct_close_summaries stores). */
export type CloseSummaryDoc = Omit<CloseOutputs, 'payouts' | 'journal'>;

export interface CloseResult {
  inputsText: string;
  inputsSha256: string;
  outputsText: string;
  outputsSha256: string;
  summary: CloseSummaryDoc;
  payouts: PayoutColumns;
  journal: CloseJournal;
  /** The whole outputs as objects, built when first read: for small closes and tests. */
  readonly outputs: CloseOutputs;
}

export const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function priceFor(inputs: CloseInputs, currency: string): bigint {
  const p = inputs.btcPrices.find((x) => x.currency === currency);
  if (!p) throw new Error(`period ${inputs.period.id}: no BTC price in ${currency} to convert its costs`);
  return p.priceMicro;
}

/**
 * A line's Wh of a source with no miner-hours would be shown and not billed (energyParts bills
 * the sources with miner-hours): the ingest never writes one, so it is bad input, refused by name
 * as the standalone verifiers (tools/verify-payout.*) refuse it.
 */
function refuseUnbilled(e: ContainerEnergyLine): void {
  const unbilled = (['metered', 'reported', 'estimated'] as const)
    .filter((p) => e[`${p}MinerHours`] === 0)
    .reduce((n, p) => n + e[`${p}Wh`], 0);
  if (unbilled === 0) return;
  const hour =
    e.hourStartMs >= 253_402_300_800_000
      ? `${e.hourStartMs} ms`
      : `${new Date(e.hourStartMs).toISOString().slice(0, 16)}Z`;
  throw new Error(
    `energy line ${e.siteId}/${e.containerId} ${hour}: ${unbilled} Wh of a source with no miner-hours`,
  );
}

export function costLines(inputs: CloseInputs): CostLine[] {
  const bySite = new Map<string, { milliMicro: bigint; currency: string; wh: Map<string, number> }>();
  const perContainer = inputs.schema === INPUTS_SCHEMA;
  for (const e of inputs.energy) {
    if (perContainer === 'provenance' in e)
      throw new Error(
        `period ${inputs.period.id}: energy line of site ${e.siteId} at ${e.hourStartMs} is not in the shape of ${inputs.schema}`,
      );
    let s = bySite.get(e.siteId);
    if (!s) {
      s = { milliMicro: 0n, currency: e.currency, wh: new Map() };
      bySite.set(e.siteId, s);
    }
    if (s.currency !== e.currency)
      throw new Error(`site ${e.siteId}: tariff currency changed within the period`);
    if (perContainer) refuseUnbilled(e as ContainerEnergyLine);
    for (const p of energyParts(e)) {
      s.milliMicro += BigInt(p.wh) * e.ratePerKwhMicro;
      s.wh.set(p.provenance, (s.wh.get(p.provenance) ?? 0) + p.wh);
    }
  }
  const lines: CostLine[] = [];
  for (const site of [...bySite.keys()].sort(byText)) {
    const s = bySite.get(site)!;
    const wh = [...s.wh].sort((a, b) => byText(a[0], b[0])).map(([p, v]) => `${p} ${v} Wh`);
    lines.push({
      account: `expense:energy:${site}`,
      sats: milliMicroToSats(s.milliMicro, priceFor(inputs, s.currency)),
      detail: `${wh.join(', ')}; ${s.milliMicro / 1000n} micro-${s.currency}`,
    });
  }
  for (const c of [...inputs.otherCosts].sort((a, b) => byText(a.id, b.id))) {
    if (c.amount < 0n) throw new Error(`period ${inputs.period.id}: cost ${c.id} is negative`);
    const sats = c.currency === 'BTC' ? c.amount : microToSats(c.amount, priceFor(inputs, c.currency));
    lines.push({ account: `expense:other:${c.id}`, sats, detail: c.description });
  }
  return lines;
}

/** Payouts as columns, in holder order: the `payouts` array of the outputs document. */
export class PayoutColumns extends CanonicalPart {
  constructor(
    readonly holders: readonly string[],
    readonly weights: readonly bigint[],
    readonly sats: readonly bigint[],
  ) {
    super();
  }
  get length(): number {
    return this.holders.length;
  }
  at(i: number): Payout {
    return { holder: this.holders[i]!, weight: this.weights[i]!, sats: this.sats[i]! };
  }
  writeTo(w: CanonicalWriter): void {
    w.raw('[');
    for (let i = 0; i < this.holders.length; i++)
      w.raw(
        `${i ? ',' : ''}{"holder":${quoted(this.holders[i]!)},"sats":"${this.sats[i]}","weight":"${this.weights[i]}"}`,
      );
    w.raw(']');
  }
}

/**
 * The journal of a close: the lines before the stakers' (`head`), one `staker share` line per
 * payout of more than 0 sats in the closing transaction, then `tail` (buildJournal's order).
 */
export class CloseJournal extends CanonicalPart {
  readonly length: number;
  constructor(
    readonly head: readonly JournalLine[],
    readonly closeTx: string,
    readonly payouts: PayoutColumns,
    readonly tail: readonly JournalLine[],
  ) {
    super();
    let paid = 0;
    for (const s of payouts.sats) if (s !== 0n) paid++;
    this.length = head.length + paid + tail.length;
  }
  *[Symbol.iterator](): IterableIterator<JournalLine> {
    yield* this.head;
    const { holders, sats } = this.payouts;
    for (let i = 0; i < holders.length; i++)
      if (sats[i] !== 0n) yield stakerLine(this.closeTx, holders[i]!, sats[i]!);
    yield* this.tail;
  }
  writeTo(w: CanonicalWriter): void {
    w.raw('[');
    let first = true;
    const comma = () => {
      if (!first) w.raw(',');
      first = false;
    };
    for (const l of this.head) {
      comma();
      w.value(l);
    }
    const { holders, sats } = this.payouts;
    // Keys in RFC 8785 order: account, creditSats, debitSats, memo, tx.
    const rest = `,"debitSats":"0","memo":${quoted(STAKER_MEMO)},"tx":${quoted(this.closeTx)}}`;
    for (let i = 0; i < holders.length; i++) {
      if (sats[i] === 0n) continue;
      comma();
      w.raw(`{"account":${quoted(`${STAKER_ACCOUNT}${holders[i]}`)},"creditSats":"${sats[i]}"${rest}`);
    }
    for (const l of this.tail) {
      comma();
      w.value(l);
    }
    w.raw(']');
  }
}

const STAKER_ACCOUNT = 'liability:staker:';
const STAKER_MEMO = 'staker share';
const stakerLine = (tx: string, holder: string, sats: bigint): JournalLine => ({
  tx,
  account: `${STAKER_ACCOUNT}${holder}`,
  debitSats: 0n,
  creditSats: sats,
  memo: STAKER_MEMO,
});

/** The split of a period's net before it is shared among stakers (the rule, costs, loss). */
export interface NetSplit {
  credited: bigint;
  costs: CostLine[];
  costsSats: bigint;
  lossIn: bigint;
  net: bigint;
  stakerPool: bigint;
  reinvest: bigint;
  operator: bigint;
  lossOut: bigint;
}

export function splitNet(inputs: CloseInputs): NetSplit {
  const { period, rule } = inputs;
  if (rule.stakerBps + rule.reinvestBps + rule.operatorBps !== 10_000) {
    throw new Error(`rule ${rule.version}: shares must sum to 10000 bps`);
  }
  const credited = inputs.credits.reduce((s, c) => s + c.amountSats, 0n);
  if (credited < 0n) throw new Error(`period ${period.id}: credited total is negative`);
  const costs = costLines(inputs);
  const costsSats = costs.reduce((s, c) => s + c.sats, 0n);
  const lossIn = inputs.lossCarriedInSats;
  const net = credited - costsSats - lossIn;
  let stakerPool = 0n;
  let reinvest = 0n;
  let operator = 0n;
  let lossOut = 0n;
  if (net >= 0n) {
    stakerPool = bpsOf(net, rule.stakerBps);
    reinvest = bpsOf(net, rule.reinvestBps);
    operator = net - stakerPool - reinvest;
  } else if (rule.lossRule === 'carry_forward') {
    lossOut = -net;
  } else {
    operator = net;
  }
  return { credited, costs, costsSats, lossIn, net, stakerPool, reinvest, operator, lossOut };
}

/** From @2 on every stake entry says when it was recorded. */
export function checkRecorded(inputs: CloseInputs): void {
  if (inputs.schema === INPUTS_SCHEMA_V1) return;
  const unrecorded = inputs.stakes.find((e) => e.recordedAtMs === undefined);
  if (unrecorded)
    throw new Error(`period ${inputs.period.id}: stake entry ${unrecorded.seq} has no recordedAtMs`);
}

/** From @2 on a solo node has one staker at a time. */
export function checkSolo(inputs: CloseInputs): void {
  const { period } = inputs;
  if (inputs.schema === INPUTS_SCHEMA_V1) return;
  const solo = soloConflict(inputs);
  if (solo) {
    throw new Error(
      `period ${period.id}: solo node ${solo.nodeId} has more than one staker at ${new Date(solo.atMs).toISOString()}: holders ${solo.holders.join(', ')}`,
    );
  }
}

/** soloNodeConflict over the entries of solo nodes alone: the others do not change its answer. */
export function soloConflict(inputs: CloseInputs): ReturnType<typeof soloNodeConflict> {
  const solo = new Set(inputs.nodes.filter((n) => n.kind === 'solo').map((n) => n.id));
  if (solo.size === 0) return null;
  const timeline = buildTimeline(
    inputs.stakes.filter((e) => solo.has(e.nodeId)),
    inputs.nodes,
    inputs.rule.minNodeCollateralUnits,
  );
  return soloNodeConflict(timeline, inputs.nodes, inputs.period.startMs, inputs.period.endMs);
}

/** The lines of a close's journal around the stakers' (three balanced transactions). */
export function journalEnds(
  periodId: string,
  a: NetSplit & { unallocated: bigint },
): { head: JournalLine[]; tail: JournalLine[] } {
  const head: JournalLine[] = [];
  const tail: JournalLine[] = [];
  let lines = head;
  const add = (tx: string, account: string, debit: bigint, credit: bigint, memo: string) => {
    if (debit === 0n && credit === 0n) return;
    lines.push({ tx: `${periodId}/${tx}`, account, debitSats: debit, creditSats: credit, memo });
  };
  add('credit', 'asset:pool_receivable', a.credited, 0n, 'BTC credited by the pool');
  add('credit', 'income:mining', 0n, a.credited, 'BTC credited by the pool');
  for (const c of a.costs) add('costs', c.account, c.sats, 0n, c.detail);
  add('costs', 'liability:opex_payable', 0n, a.costsSats, 'operating costs of the period');
  add('close', 'income:mining', a.credited, 0n, 'close income');
  for (const c of a.costs) add('close', c.account, 0n, c.sats, 'close expense');
  add('close', 'equity:loss_carryforward', a.lossOut, a.lossIn, 'loss carried out / in');
  lines = tail;
  add('close', 'equity:staker_unallocated', 0n, a.unallocated, 'staker share with no eligible stake');
  add('close', 'equity:reinvest', 0n, a.reinvest, 'reinvestment share');
  if (a.operator >= 0n) add('close', 'equity:operator', 0n, a.operator, 'operator share');
  else add('close', 'equity:operator', -a.operator, 0n, 'loss absorbed by the operator (pay_zero rule)');
  return { head, tail };
}

/** The staker lines of the closing transaction, as objects (the close before issue 15 built these). */
export function stakerLines(periodId: string, payouts: readonly Payout[]): JournalLine[] {
  const lines: JournalLine[] = [];
  for (const p of payouts) if (p.sats !== 0n) lines.push(stakerLine(`${periodId}/close`, p.holder, p.sats));
  return lines;
}

/** The rest of the outputs document, once the split and the weights are known. */
export function summaryOf(
  inputs: CloseInputs,
  inputsSha256: string,
  s: NetSplit,
  w: { total: bigint; nodes: { nodeId: string; weight: bigint }[] },
  unallocated: bigint,
): CloseSummaryDoc {
  const { period, rule } = inputs;
  const v1 = inputs.schema === INPUTS_SCHEMA_V1;
  const diff1 = inputs.work.reduce((sum, x) => sum + x.diff1Shares, 0);
  return {
    schema: v1 ? OUTPUTS_SCHEMA_V1 : inputs.schema === INPUTS_SCHEMA_V2 ? OUTPUTS_SCHEMA_V2 : OUTPUTS_SCHEMA,
    periodId: period.id,
    inputsSha256,
    ruleVersion: rule.version,
    creditedSats: s.credited,
    costs: s.costs,
    costsSats: s.costsSats,
    lossCarriedInSats: s.lossIn,
    netSats: s.net,
    stakerPoolSats: s.stakerPool,
    reinvestSats: s.reinvest,
    operatorSats: s.operator,
    unallocatedSats: unallocated,
    lossCarriedOutSats: s.lossOut,
    totalWeight: w.total,
    fleet: { diff1Shares: diff1, hashrateThs: hashrateThs(diff1, (period.endMs - period.startMs) / 1000) },
    nodes: w.nodes,
    reconciliation: inputs.network
      ? reconcile(
          (v1 ? expectedSatsFloat : expectedSats)(diff1, inputs.network),
          s.credited,
          RECONCILIATION_TOLERANCE_BPS,
        )
      : null,
  };
}

export interface CompactOutputs {
  summary: CloseSummaryDoc;
  payouts: PayoutColumns;
  journal: CloseJournal;
}

export function computeClose(inputs: CloseInputs, inputsSha256: string): CompactOutputs {
  const { period, rule } = inputs;
  const split = splitNet(inputs);
  checkRecorded(inputs);
  const w = compactWeights(
    inputs.stakes,
    inputs.nodes,
    rule.minNodeCollateralUnits,
    period.startMs,
    period.endMs,
  );
  checkSolo(inputs);
  let unallocated = 0n;
  let payouts = new PayoutColumns([], [], []);
  if (w.total === 0n) {
    unallocated = split.stakerPool;
  } else {
    const sats =
      split.stakerPool > 0n
        ? apportionSorted(split.stakerPool, w.weights, (i) => w.holders[i]!)
        : new Array<bigint>(w.holders.length).fill(0n);
    payouts = new PayoutColumns(w.holders, w.weights, sats);
  }
  const { head, tail } = journalEnds(period.id, { ...split, unallocated });
  const closeTx = `${period.id}/close`;
  const journal = new CloseJournal(head, closeTx, payouts, tail);
  let paid = 0n;
  for (const s of payouts.sats) paid += s;
  // The stakers' lines are credits of the closing transaction, none negative (apportion's).
  const balance = [...head, { tx: closeTx, debitSats: 0n, creditSats: paid }, ...tail];
  if (!journalBalances(balance)) throw new Error(`period ${period.id}: journal does not balance (bug)`);
  return { summary: summaryOf(inputs, inputsSha256, split, w, unallocated), payouts, journal };
}

class StreamedClose implements CloseResult {
  private built: CloseOutputs | null = null;
  constructor(
    readonly inputsText: string,
    readonly inputsSha256: string,
    readonly outputsText: string,
    readonly outputsSha256: string,
    readonly summary: CloseSummaryDoc,
    readonly payouts: PayoutColumns,
    readonly journal: CloseJournal,
  ) {}
  get outputs(): CloseOutputs {
    this.built ??= {
      ...this.summary,
      payouts: Array.from({ length: this.payouts.length }, (_, i) => this.payouts.at(i)),
      journal: [...this.journal],
    };
    return this.built;
  }
}

/** Inputs -> the whole close, with both canonical documents and their hashes. */
export function closePeriod(inputs: CloseInputs): CloseResult {
  const input = canonicalWithHash(inputs);
  const o = computeClose(inputs, input.sha256);
  const output = canonicalWithHash({ ...o.summary, payouts: o.payouts, journal: o.journal });
  return new StreamedClose(
    input.text,
    input.sha256,
    output.text,
    output.sha256,
    o.summary,
    o.payouts,
    o.journal,
  );
}
