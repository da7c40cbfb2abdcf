/**
 * Close a period for 1,000,000 stakers (STAKERS=n for fewer): the pure close (stake timeline,
 * time-weighted weights, largest-remainder split, journal, energy priced per container-hour) plus
 * canonical JSON and SHA-256 of its inputs and outputs. The inputs are an @3 document: a day of
 * energy lines made by `containerEnergyLines` from miner-hours of mixed sources (metered,
 * reported, estimated), as a real close loads them. Baseline in the same process: summing one
 * bigint per stake entry. Prints times, peak RSS and, per goal of issue 15 (pure close of
 * 1,000,000 stakers < 3 s, peak RSS < 1 GB), one `BENCH {json}` line; `met` is false below
 * 1,000,000 stakers, since the goal is not shown by a smaller run. INPUTS_OUT=<file> writes the
 * inputs document, to check the standalone verifiers against the printed outputs hash.
 */

import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { canonicalText, sha256Hex } from '../src/accounting/canonical.js';
import { closePeriod, computeClose } from '../src/accounting/close.js';
import { type CloseInputs, INPUTS_SCHEMA } from '../src/accounting/close-inputs.js';
import { MIN_NODE_COLLATERAL_UNITS, UNITS_PER_HSS } from '../src/accounting/hss.js';
import { parsePeriodId } from '../src/accounting/period.js';
import type { StakeEntry } from '../src/accounting/types.js';
import { containerEnergyLines, type MinerHour, type SiteTariff } from '../src/energy/index.js';
import { bench } from './report.js';

const STAKERS = Number(process.env.STAKERS ?? 1_000_000);
// About ten stakers of 1..5000 HSS per shared node (~25,000 HSS: eligible), at most 2,000 nodes.
// A fixed 2,000 nodes left a small run (STAKERS=2000: one staker per node, under the 10,000 HSS
// collateral) with no eligible stake, so its whole pool went to staker_unallocated and no payout
// was computed at all (the README's rule, not a rounding error).
const NODES = Math.max(1, Math.min(2000, Math.floor(STAKERS / 10)));
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
// A day of energy: 2 sites x 20 containers x 100 miners x 24 hours. Per miner-hour the outlet's
// meter (7 in 10), else the miner's report (2 in 10), else the estimate; a few meters cover too
// little of the hour and fall back. Priced at 0.05 USD/kWh, the BTC price from the inputs.
const SITES = ['kz-1', 'cn-1'];
const tariffs = new Map<string, SiteTariff>(
  SITES.map((id) => [
    id,
    {
      tariff: { currency: 'USD', perKwh: Array.from({ length: 12 }, () => Array(24).fill(0.05)) },
      timeZone: 'UTC',
    },
  ]),
);
const minerHours: MinerHour[] = [];
for (const siteId of SITES)
  for (let c = 0; c < 20; c++)
    for (let h = 0; h < 24; h++)
      for (let m = 0; m < 100; m++) {
        const x = rand();
        const wh = 3000 + Math.floor(rand() * 500);
        minerHours.push({
          siteId,
          containerId: `c${c}`,
          hourStartMs: day.startMs + h * 3_600_000,
          unit: `slot:R${m >> 4}/${m & 15}`,
          meteredWh: x < 0.7 ? wh : 0,
          meteredN: x < 0.7 ? 12 : 0,
          reportedWh: x < 0.9 ? wh + 40 : 0,
          reportedN: x < 0.9 ? 60 : 0,
          estimatedWh: wh + 200,
          estimatedN: 60,
          meteredS: x < 0.65 ? 3600 : 1200,
          telemetryS: 3600,
        });
      }
const energy = containerEnergyLines(minerHours, tariffs);

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
  energy,
  otherCosts: [{ id: 'o', description: 'rent', currency: 'BTC', amount: 60_000_000n }],
  btcPrices: [
    {
      currency: 'USD',
      priceMicro: 95_000n * 1_000_000n,
      source: 'bench',
      observedAtMs: day.endMs - 3_600_000,
    },
  ],
  nodes: Array.from({ length: NODES }, (_, i) => ({ id: `n${i}`, kind: 'shared' as const })),
  stakes,
  lossCarriedInSats: 0n,
  work: Array.from({ length: 24 }, (_, h) => ({
    hourStartMs: day.startMs + h * 3_600_000,
    diff1Shares: 1e12,
  })),
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

// Every satoshi of the staker pool is paid or, for stake-time with no eligible node, unallocated.
const paid = r.outputs.payouts.reduce((s, p) => s + p.sats, 0n);
if (paid + r.outputs.unallocatedSats !== r.outputs.stakerPoolSats)
  throw new Error(
    `payouts ${paid} + unallocated ${r.outputs.unallocatedSats} do not sum to the staker pool ${r.outputs.stakerPoolSats}`,
  );
if (STAKERS >= 10 && r.outputs.unallocatedSats !== 0n)
  throw new Error(`no eligible stake: the pool of ${r.outputs.stakerPoolSats} sats was not split`);

// INPUTS_OUT=<file>: the inputs document, for the standalone verifiers (tools/verify-payout.*),
// whose outputs hash must equal the one printed below.
if (process.env.INPUTS_OUT) writeFileSync(process.env.INPUTS_OUT, r.inputsText);

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

const energyCost = r.outputs.costs.filter((c) => c.account.startsWith('expense:energy:'));
if (energyCost.length !== SITES.length)
  throw new Error(`expected an energy cost per site, got ${energyCost.length}`);
console.log(
  `stakers ${STAKERS}, stake entries ${stakes.length}, nodes ${NODES} (${r.outputs.nodes.length} eligible), payouts ${paid} + unallocated ${r.outputs.unallocatedSats} = pool ${r.outputs.stakerPoolSats} sats`,
);
console.log(`energy lines ${energy.length} from ${minerHours.length} miner-hours (checksum ${sum % 1000n})`);
for (const c of energyCost) console.log(`  ${c.account}: ${c.detail} = ${c.sats} sats`);
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
console.log(`inputs sha256 ${r.inputsSha256}, outputs sha256 ${r.outputsSha256}`);
console.log(`peak RSS ${mb(rssPeak)} (after building the inputs: ${mb(rssBefore)})`);

const atGoalSize = STAKERS >= 1_000_000;
bench({
  name: 'accounting.close.pure',
  value: Math.round(closeMs),
  unit: 'ms',
  baseline: Number(baselineMs.toFixed(1)),
  ratio: Number((closeMs / baselineMs).toFixed(1)),
  goal: '< 3000 ms for 1,000,000 stakers',
  met: atGoalSize && closeMs < 3000,
  stakers: STAKERS,
  cpuMs: Math.round((cpu.user + cpu.system) / 1000),
});
bench({
  name: 'accounting.close.peak_rss',
  value: Math.round(rssPeak / 1024),
  unit: 'MB',
  baseline: Math.round(rssBefore / 1024),
  ratio: Number((rssPeak / rssBefore).toFixed(2)),
  goal: '< 1024 MB for 1,000,000 stakers',
  met: atGoalSize && rssPeak / 1024 < 1024,
  stakers: STAKERS,
});
