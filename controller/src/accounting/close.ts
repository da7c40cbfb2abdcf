import {
  energyParts,
  expectedSats,
  expectedSatsFloat,
  hashrateThs,
  microToSats,
  milliMicroToSats,
  type Reconciliation,
  reconcile,
} from '../energy/index.js';
import { apportion, bpsOf } from './apportion.js';
import { canonicalText, sha256Hex } from './canonical.js';
import { type CloseInputs, INPUTS_SCHEMA, INPUTS_SCHEMA_V1, INPUTS_SCHEMA_V2 } from './close-inputs.js';
import { type JournalLine, journalBalances } from './journal.js';
import { buildTimeline, soloNodeConflict, weightsBetween } from './stake-timeline.js';

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

export interface CloseResult {
  inputsText: string;
  inputsSha256: string;
  outputs: CloseOutputs;
  outputsText: string;
  outputsSha256: string;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function priceFor(inputs: CloseInputs, currency: string): bigint {
  const p = inputs.btcPrices.find((x) => x.currency === currency);
  if (!p) throw new Error(`period ${inputs.period.id}: no BTC price in ${currency} to convert its costs`);
  return p.priceMicro;
}

function costLines(inputs: CloseInputs): CostLine[] {
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

export function computeClose(inputs: CloseInputs, inputsSha256: string): CloseOutputs {
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

  const v1 = inputs.schema === INPUTS_SCHEMA_V1;
  if (!v1) {
    const unrecorded = inputs.stakes.find((e) => e.recordedAtMs === undefined);
    if (unrecorded) throw new Error(`period ${period.id}: stake entry ${unrecorded.seq} has no recordedAtMs`);
  }
  const timeline = buildTimeline(inputs.stakes, inputs.nodes, rule.minNodeCollateralUnits);
  const solo = v1 ? null : soloNodeConflict(timeline, inputs.nodes, period.startMs, period.endMs);
  if (solo) {
    throw new Error(
      `period ${period.id}: solo node ${solo.nodeId} has more than one staker at ${new Date(solo.atMs).toISOString()}: holders ${solo.holders.join(', ')}`,
    );
  }
  const weights = weightsBetween(timeline, period.startMs, period.endMs, false);
  let unallocated = 0n;
  const payouts: Payout[] = [];
  if (weights.total === 0n) {
    unallocated = stakerPool;
  } else {
    const parts = stakerPool > 0n ? apportion(stakerPool, weights.byHolder) : null;
    // Default sort is UTF-16 code-unit order, the same as byText, and much faster for a million ids.
    for (const holder of [...weights.byHolder.keys()].sort()) {
      payouts.push({ holder, weight: weights.byHolder.get(holder)!, sats: parts?.get(holder) ?? 0n });
    }
  }

  const diff1 = inputs.work.reduce((s, w) => s + w.diff1Shares, 0);
  const journal = buildJournal(period.id, {
    credited,
    costs,
    lossIn,
    lossOut,
    payouts,
    reinvest,
    operator,
    unallocated,
  });
  const outputs: CloseOutputs = {
    schema: v1 ? OUTPUTS_SCHEMA_V1 : inputs.schema === INPUTS_SCHEMA_V2 ? OUTPUTS_SCHEMA_V2 : OUTPUTS_SCHEMA,
    periodId: period.id,
    inputsSha256,
    ruleVersion: rule.version,
    creditedSats: credited,
    costs,
    costsSats,
    lossCarriedInSats: lossIn,
    netSats: net,
    stakerPoolSats: stakerPool,
    reinvestSats: reinvest,
    operatorSats: operator,
    unallocatedSats: unallocated,
    lossCarriedOutSats: lossOut,
    totalWeight: weights.total,
    fleet: { diff1Shares: diff1, hashrateThs: hashrateThs(diff1, (period.endMs - period.startMs) / 1000) },
    nodes: [...weights.byNode]
      .sort((a, b) => byText(a[0], b[0]))
      .map(([nodeId, weight]) => ({ nodeId, weight })),
    payouts,
    reconciliation: inputs.network
      ? reconcile(
          (v1 ? expectedSatsFloat : expectedSats)(diff1, inputs.network),
          credited,
          RECONCILIATION_TOLERANCE_BPS,
        )
      : null,
    journal,
  };
  if (!journalBalances(journal)) throw new Error(`period ${period.id}: journal does not balance (bug)`);
  return outputs;
}

interface Amounts {
  credited: bigint;
  costs: CostLine[];
  lossIn: bigint;
  lossOut: bigint;
  payouts: Payout[];
  reinvest: bigint;
  operator: bigint;
  unallocated: bigint;
}

/**
 * Three balanced transactions per close: the pool credit, the costs, and the closing entry that
 * moves income minus expenses (minus any loss carried in) to the stakers, reinvestment and the
 * operator. Zero lines are left out.
 */
function buildJournal(periodId: string, a: Amounts): JournalLine[] {
  const lines: JournalLine[] = [];
  const add = (tx: string, account: string, debit: bigint, credit: bigint, memo: string) => {
    if (debit === 0n && credit === 0n) return;
    lines.push({ tx: `${periodId}/${tx}`, account, debitSats: debit, creditSats: credit, memo });
  };
  add('credit', 'asset:pool_receivable', a.credited, 0n, 'BTC credited by the pool');
  add('credit', 'income:mining', 0n, a.credited, 'BTC credited by the pool');
  const costsSats = a.costs.reduce((s, c) => s + c.sats, 0n);
  for (const c of a.costs) add('costs', c.account, c.sats, 0n, c.detail);
  add('costs', 'liability:opex_payable', 0n, costsSats, 'operating costs of the period');
  add('close', 'income:mining', a.credited, 0n, 'close income');
  for (const c of a.costs) add('close', c.account, 0n, c.sats, 'close expense');
  add('close', 'equity:loss_carryforward', a.lossOut, a.lossIn, 'loss carried out / in');
  for (const p of a.payouts) add('close', `liability:staker:${p.holder}`, 0n, p.sats, 'staker share');
  add('close', 'equity:staker_unallocated', 0n, a.unallocated, 'staker share with no eligible stake');
  add('close', 'equity:reinvest', 0n, a.reinvest, 'reinvestment share');
  if (a.operator >= 0n) add('close', 'equity:operator', 0n, a.operator, 'operator share');
  else add('close', 'equity:operator', -a.operator, 0n, 'loss absorbed by the operator (pay_zero rule)');
  return lines;
}

/** Inputs -> the whole close, with both canonical documents and their hashes. */
export function closePeriod(inputs: CloseInputs): CloseResult {
  const inputsText = canonicalText(inputs);
  const inputsSha256 = sha256Hex(inputsText);
  const outputs = computeClose(inputs, inputsSha256);
  const outputsText = canonicalText(outputs);
  return { inputsText, inputsSha256, outputs, outputsText, outputsSha256: sha256Hex(outputsText) };
}
