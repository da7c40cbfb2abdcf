/**
 * Close a period for 1,000,000 stakers: the pure close (stake timeline, time-weighted weights,
 * largest-remainder split, journal) plus canonical JSON and SHA-256 of its inputs and outputs.
 * Baseline in the same process: summing 1,000,000 bigints. Prints times and peak RSS.
 */
import { performance } from 'node:perf_hooks';
import { canonicalText, sha256Hex } from '../src/accounting/canonical.js';
import { closePeriod, computeClose } from '../src/accounting/close.js';
import { type CloseInputs, INPUTS_SCHEMA } from '../src/accounting/close-inputs.js';
import { MIN_NODE_COLLATERAL_UNITS, UNITS_PER_HSS } from '../src/accounting/hss.js';
import { parsePeriodId } from '../src/accounting/period.js';
import type { StakeEntry } from '../src/accounting/types.js';

const STAKERS = Number(process.env.STAKERS ?? 1_000_000);
const NODES = 2000;
const day = parsePeriodId('2026-11-23');
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

// Deterministic pseudo-random stakes (xorshift), 1..5000 HSS, a tenth of them changing mid-day.
let seed = 0x9e3779b9;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};
const stakes: StakeEntry[] = [];
for (let i = 0; i < STAKERS; i++) {
  const holder = `h${i.toString(16).padStart(8, '0')}`;
  const nodeId = `n${i % NODES}`;
  stakes.push({
    seq: stakes.length + 1,
    holder,
    nodeId,
    amountUnits: BigInt(1 + Math.floor(rand() * 5000)) * UNITS_PER_HSS,
    effectiveAtMs: day.startMs - 86_400_000,
    recordedAtMs: day.startMs - 86_400_000,
  });
  if (i % 10 === 0) {
    stakes.push({
      seq: stakes.length + 1,
      holder,
      nodeId,
      amountUnits: BigInt(1 + Math.floor(rand() * 5000)) * UNITS_PER_HSS,
      effectiveAtMs: day.startMs + Math.floor(rand() * 86_400) * 1000,
      recordedAtMs: day.startMs,
    });
  }
}
const inputs: CloseInputs = {
  schema: INPUTS_SCHEMA,
  period: day,
  rule: {
    version: 1,
    stakerBps: 3000,
    reinvestBps: 5000,
    operatorBps: 2000,
    lossRule: 'carry_forward',
    minNodeCollateralUnits: MIN_NODE_COLLATERAL_UNITS,
  },
  credits: [{ id: 'c', pool: 'p', reference: 'r', amountSats: 2_100_000_000n }],
  energy: [],
  otherCosts: [{ id: 'o', description: 'power', currency: 'BTC', amount: 600_000_000n }],
  btcPrices: [],
  nodes: Array.from({ length: NODES }, (_, i) => ({ id: `n${i}`, kind: 'shared' as const })),
  stakes,
  lossCarriedInSats: 0n,
  work: [{ hourStartMs: day.startMs, diff1Shares: 1e12 }],
  network: null,
};
const rssBefore = process.resourceUsage().maxRSS;

// Baseline: the cheapest thing that touches one bigint per staker.
const amounts = stakes.map((s) => s.amountUnits);
let t0 = performance.now();
let sum = 0n;
for (const a of amounts) sum += a;
const baselineMs = performance.now() - t0;

const cpu0 = process.cpuUsage();
t0 = performance.now();
const r = closePeriod(inputs);
const closeMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const rssPeak = process.resourceUsage().maxRSS;

const paid = r.outputs.payouts.reduce((s, p) => s + p.sats, 0n);
if (paid !== r.outputs.stakerPoolSats) throw new Error('payouts do not sum to the staker pool');

// Where the time goes (a second run, phase by phase).
const phase = <T>(fn: () => T): [T, number] => {
  const t = performance.now();
  const v = fn();
  return [v, performance.now() - t];
};
const [inText, inMs] = phase(() => canonicalText(inputs));
const [, inHashMs] = phase(() => sha256Hex(inText));
const [outputs, computeMs] = phase(() => computeClose(inputs, 'x'));
const [, outMs] = phase(() => sha256Hex(canonicalText(outputs)));

console.log(`stakers ${STAKERS}, stake entries ${stakes.length}, nodes ${NODES} (checksum ${sum % 1000n})`);
console.log(`baseline: sum of ${amounts.length} bigints          ${baselineMs.toFixed(1)} ms`);
console.log(
  `close (split + journal + 2 x canonical JSON + SHA-256) ${closeMs.toFixed(0)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU  (${(closeMs / baselineMs).toFixed(0)} x baseline)`,
);
console.log(
  `  phases: canonical inputs ${inMs.toFixed(0)} ms, sha256 ${inHashMs.toFixed(0)} ms, weights+split+journal ${computeMs.toFixed(0)} ms, canonical outputs + sha256 ${outMs.toFixed(0)} ms`,
);
console.log(
  `inputs document ${(r.inputsText.length / 1e6).toFixed(0)} MB, outputs document ${(r.outputsText.length / 1e6).toFixed(0)} MB, payouts ${r.outputs.payouts.length}`,
);
console.log(`peak RSS ${mb(rssPeak)} (after building the inputs: ${mb(rssBefore)})`);
