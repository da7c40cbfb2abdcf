import { canonicalJson } from '@hashfleet/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { apportion } from '../src/accounting/apportion.js';
import { canonicalText, jsonSafe } from '../src/accounting/canonical.js';
import { closePeriod } from '../src/accounting/close.js';
import { type CloseInputs, INPUTS_SCHEMA_V2, parseInputsDoc } from '../src/accounting/close-inputs.js';
import { UNITS_PER_HSS } from '../src/accounting/hss.js';
import { journalBalances } from '../src/accounting/journal.js';
import { parsePeriodId } from '../src/accounting/period.js';
import type { StakeEntry } from '../src/accounting/types.js';

/**
 * Properties of the close over thousands of random periods, stake registers and costs. Small
 * collateral minimum (100 HSS) and small stakes so that eligibility flips often.
 */
const DAY = parsePeriodId('2026-11-23');
const HOLDERS = ['h0', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7'];
const NODES = ['n0', 'n1', 'n2', 'n3'];

const entryArb = fc.record({
  holder: fc.constantFrom(...HOLDERS),
  nodeId: fc.constantFrom(...NODES),
  // Occasionally fractional HSS to exercise the 18-decimal units.
  amountUnits: fc.oneof(
    fc.integer({ min: 0, max: 300 }).map((n) => BigInt(n) * UNITS_PER_HSS),
    fc.bigInt({ min: 0n, max: 300n * UNITS_PER_HSS }),
  ),
  // From a day before the period to its end, whole seconds.
  effectiveAtMs: fc.integer({ min: -86_400, max: 86_399 }).map((s) => DAY.startMs + s * 1000),
});

const inputsArb: fc.Arbitrary<CloseInputs> = fc
  .record({
    entries: fc.array(entryArb, { maxLength: 20 }),
    credits: fc.array(fc.bigInt({ min: 0n, max: 2_000_000_000n }), { maxLength: 3 }),
    costsSats: fc.array(fc.bigInt({ min: 0n, max: 1_000_000_000n }), { maxLength: 3 }),
    usdCostsMicro: fc.array(fc.bigInt({ min: 0n, max: 5_000_000_000n }), { maxLength: 2 }),
    energyWh: fc.array(fc.integer({ min: 0, max: 2_000_000 }), { maxLength: 4 }),
    priceMicro: fc.bigInt({ min: 1_000_000_000n, max: 200_000_000_000n }),
    stakerBps: fc.integer({ min: 0, max: 10_000 }),
    reinvestFrac: fc.integer({ min: 0, max: 10_000 }),
    lossRule: fc.constantFrom('carry_forward' as const, 'pay_zero' as const),
    lossIn: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 500_000_000n })),
  })
  .map((r) => {
    const reinvestBps = Math.floor(((10_000 - r.stakerBps) * r.reinvestFrac) / 10_000);
    // Solo nodes (n0, n2) have one staker each, as the close requires; shared ones any number.
    const stakes: StakeEntry[] = r.entries.map((e, i) => ({
      ...e,
      holder: NODES.indexOf(e.nodeId) % 2 ? e.holder : `solo-${e.nodeId}`,
      seq: i + 1,
      recordedAtMs: e.effectiveAtMs + i * 1000,
    }));
    return {
      schema: INPUTS_SCHEMA_V2,
      period: DAY,
      rule: {
        version: 1,
        stakerBps: r.stakerBps,
        reinvestBps,
        operatorBps: 10_000 - r.stakerBps - reinvestBps,
        lossRule: r.lossRule,
        minNodeCollateralUnits: 100n * UNITS_PER_HSS,
      },
      credits: r.credits.map((amountSats, i) => ({ id: `c${i}`, pool: 'p', reference: `r${i}`, amountSats })),
      energy: r.energyWh.map((energyWh, i) => ({
        siteId: `s${i % 2}`,
        hourStartMs: DAY.startMs + i * 3_600_000,
        provenance: i % 2 ? ('estimated' as const) : ('metered' as const),
        energyWh,
        currency: 'USD',
        ratePerKwhMicro: BigInt(30_000 + i * 10_000),
      })),
      otherCosts: [
        ...r.costsSats.map((amount, i) => ({
          id: `b${i}`,
          description: 'btc cost',
          currency: 'BTC',
          amount,
        })),
        ...r.usdCostsMicro.map((amount, i) => ({
          id: `u${i}`,
          description: 'usd cost',
          currency: 'USD',
          amount,
        })),
      ],
      btcPrices: [{ currency: 'USD', priceMicro: r.priceMicro, source: 'test', observedAtMs: DAY.startMs }],
      nodes: NODES.map((id, i) => ({ id, kind: i % 2 ? ('shared' as const) : ('solo' as const) })),
      stakes,
      lossCarriedInSats: r.lossIn,
      work: [{ hourStartMs: DAY.startMs, diff1Shares: 1e9 }],
      network: null,
    };
  });

const RUNS = 2000;

describe('period close properties', () => {
  it('parts always sum exactly to the whole, nobody gets a negative amount, the journal balances', () => {
    fc.assert(
      fc.property(inputsArb, (inputs) => {
        const o = closePeriod(inputs).outputs;
        const paid = o.payouts.reduce((s, p) => s + p.sats, 0n);
        expect(paid + o.unallocatedSats).toBe(o.stakerPoolSats);
        expect(o.creditedSats - o.costsSats - o.lossCarriedInSats).toBe(o.netSats);
        if (o.netSats >= 0n) expect(o.stakerPoolSats + o.reinvestSats + o.operatorSats).toBe(o.netSats);
        else expect(o.lossCarriedOutSats - o.operatorSats).toBe(-o.netSats);
        for (const p of o.payouts) expect(p.sats >= 0n).toBe(true);
        expect(o.reinvestSats >= 0n && o.stakerPoolSats >= 0n && o.unallocatedSats >= 0n).toBe(true);
        expect(journalBalances(o.journal)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('one more satoshi of credit changes no payout (staker, reinvest, operator) by more than one satoshi', () => {
    fc.assert(
      fc.property(inputsArb, (inputs) => {
        const more = {
          ...inputs,
          credits: [...inputs.credits, { id: 'extra', pool: 'p', reference: 'x', amountSats: 1n }],
        };
        const a = closePeriod(inputs).outputs;
        const b = closePeriod(more).outputs;
        const diff = (x: bigint, y: bigint) => (x > y ? x - y : y - x);
        const before = new Map(a.payouts.map((p) => [p.holder, p.sats]));
        for (const p of b.payouts) expect(diff(p.sats, before.get(p.holder) ?? 0n) <= 1n).toBe(true);
        expect(diff(a.reinvestSats, b.reinvestSats) <= 1n).toBe(true);
        expect(diff(a.operatorSats, b.operatorSats) <= 1n).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('closing again is identical, and recompute from the stored canonical inputs reproduces the bytes', () => {
    fc.assert(
      fc.property(inputsArb, (inputs) => {
        const first = closePeriod(inputs);
        const second = closePeriod(inputs);
        expect(second.outputsSha256).toBe(first.outputsSha256);
        // Entry order in the stored document must not matter for the hash of the outputs.
        const recomputed = closePeriod(parseInputsDoc(first.inputsText, 'property'));
        expect(recomputed.inputsSha256).toBe(first.inputsSha256);
        expect(recomputed.outputsText).toBe(first.outputsText);
      }),
      { numRuns: 500 },
    );
  });
});

/** A key JavaScript objects enumerate first, in numeric order, whatever the insertion order. */
const ARRAY_INDEX = /^(0|[1-9]\d{0,9})$/;
const isArrayIndex = (k: string) => ARRAY_INDEX.test(k) && Number(k) < 2 ** 32 - 1;

describe('canonical text (RFC 8785 by canonicalize)', () => {
  it('writes the bytes of the writer before it (canonicalJson of a key-sorted copy) for every key that is not an array index, which covers every key of the close documents', () => {
    const leaf = fc.oneof(
      fc.bigInt(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.string(),
      fc.boolean(),
      fc.constant(null),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('node')),
        fc.dictionary(
          fc.string().filter((k) => !isArrayIndex(k)),
          tie('node'),
        ),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalText(v)).toBe(canonicalJson(jsonSafe(v)));
      }),
      { numRuns: 1000 },
    );
  });

  it('orders keys that look like array indices by UTF-16 code units as RFC 8785 requires; the writer before put them first in numeric order', () => {
    const v = { a: 1, '10': 2, '9': 3, '': 4 };
    expect(canonicalText(v)).toBe('{"":4,"10":2,"9":3,"a":1}');
    expect(canonicalJson(jsonSafe(v))).toBe('{"9":3,"10":2,"":4,"a":1}');
  });

  it('refuses what has no RFC 8785 form instead of writing it', () => {
    expect(() => canonicalText({ x: Number.NaN })).toThrow(/\$\.x: NaN has no canonical form/);
    expect(() => canonicalText({ memo: 'a\ud800b' })).toThrow(/surrogate/i);
  });
});

/** Largest remainder written the obvious way (one exact sort of everything), as the reference. */
function naiveApportion(total: bigint, weights: Map<string, bigint>): Map<string, bigint> {
  let sum = 0n;
  for (const w of weights.values()) sum += w;
  const rows = [...weights].map(([key, w]) => ({ key, q: (total * w) / sum, rem: (total * w) % sum }));
  let left = total - rows.reduce((s, r) => s + r.q, 0n);
  rows.sort((a, b) => (a.rem !== b.rem ? (a.rem > b.rem ? -1 : 1) : a.key < b.key ? -1 : 1));
  for (const r of rows) {
    if (left === 0n) break;
    r.q++;
    left--;
  }
  return new Map(rows.map((r) => [r.key, r.q]));
}

describe('apportion', () => {
  it('equals the naive exact largest-remainder split, ties included (small weights make many ties)', () => {
    const weights = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 4 }),
      fc.oneof(fc.bigInt({ min: 0n, max: 5n }), fc.bigInt({ min: 0n, max: 10n ** 30n })),
      { minKeys: 1, maxKeys: 30 },
    );
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 16n }), weights, (total, w) => {
        const m = new Map(Object.entries(w));
        fc.pre([...m.values()].some((x) => x > 0n));
        expect(Object.fromEntries(apportion(total, m))).toEqual(Object.fromEntries(naiveApportion(total, m)));
      }),
      { numRuns: 3000 },
    );
  });
});
