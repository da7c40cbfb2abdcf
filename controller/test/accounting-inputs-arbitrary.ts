import fc from 'fast-check';
import {
  type CloseInputs,
  INPUTS_SCHEMA,
  INPUTS_SCHEMA_V1,
  INPUTS_SCHEMA_V2,
} from '../src/accounting/close-inputs.js';
import { UNITS_PER_HSS } from '../src/accounting/hss.js';
import { parsePeriodId } from '../src/accounting/period.js';

/**
 * Random close inputs of every document version (accounting-verifiers.test.ts runs the standalone
 * verifiers on them, accounting-close-stream.test.ts holds the close to the previous one on them):
 * a few holders and nodes, solo and shared, stake entries around and inside the period, costs in
 * several currencies, and text that exercises RFC 8785. Some are refused by the close on purpose
 * (shares not summing to 10,000 bps, a negative credit or cost, a missing price, a currency changed
 * within the period, two stakers of a solo node at once).
 */
const PERIODS = ['2026-11-23', '2026-11-23T06:00Z_PT6H', '2024-02-29T23:00Z_PT1H'].map(parsePeriodId);
// Keys and text that exercise RFC 8785: escapes, controls, non-ASCII, astral characters (whose
// UTF-16 order differs from code-point order against U+E000..U+FFFF).
const TEXT = fc.string({
  unit: fc.constantFrom(
    'a',
    'b',
    'Z',
    '0',
    '"',
    '\\',
    '\n',
    '\t',
    '\u0001',
    '\u001f',
    'é',
    '\u2028',
    '\uffee',
    '😀',
  ),
  maxLength: 6,
});
const ID = fc.oneof(fc.constantFrom('s0', 's1', 'ñ', '\uffee', '😀'), TEXT);
const HOLDERS = ['a1', 'b2', 'c3', 'd4', 'é5', '\uffee6', '😀7'];
const NODES = ['n0', 'n1', 'n2', 'n3'];
const CURRENCIES = ['USD', 'CNY', 'KZT'];
const SITES = ['s0', 's1', 'é', '😀'];
const SMALL = fc.double({ min: 0, max: 1e13, noNaN: true });

export const inputsArb: fc.Arbitrary<CloseInputs> = fc
  .record({
    // Periods closed under @1 and @2 must keep verifying; new ones are @3.
    schema: fc.constantFrom(INPUTS_SCHEMA, INPUTS_SCHEMA, INPUTS_SCHEMA_V2, INPUTS_SCHEMA_V1),
    period: fc.constantFrom(...PERIODS),
    stakerBps: fc.integer({ min: 0, max: 10_000 }),
    reinvestFrac: fc.integer({ min: 0, max: 10_000 }),
    badShares: fc.integer({ min: 0, max: 99 }),
    lossRule: fc.constantFrom('carry_forward' as const, 'pay_zero' as const),
    minUnits: fc.constantFrom(0n, 100n * UNITS_PER_HSS, 10_000n * UNITS_PER_HSS),
    credits: fc.array(
      fc.oneof(
        { arbitrary: fc.bigInt({ min: 0n, max: 3_000_000_000n }), weight: 30 },
        fc.bigInt({ min: -1_000n, max: 0n }),
      ),
      { maxLength: 3 },
    ),
    energy: fc.array(
      fc.record({
        site: fc.constantFrom(...SITES),
        hour: fc.integer({ min: 0, max: 23 }),
        provenance: fc.constantFrom('metered' as const, 'reported' as const, 'estimated' as const),
        energyWh: fc.integer({ min: 0, max: 5_000_000 }),
        // @3: a container-hour's Wh and miner-hours per source (0 miner-hours: the source is absent).
        container: fc.constantFrom('c0', 'c1', 'ç'),
        wh: fc.array(fc.integer({ min: 0, max: 2_000_000 }), { minLength: 3, maxLength: 3 }),
        minerHours: fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 3, maxLength: 3 }),
        // One line in fifty changes its site's currency within the period: refused.
        otherCurrency: fc.integer({ min: 0, max: 49 }),
        rate: fc.bigInt({ min: 0n, max: 200_000n }),
      }),
      { maxLength: 6 },
    ),
    otherCosts: fc.array(
      fc.record({
        id: ID,
        description: TEXT,
        currency: fc.constantFrom('BTC', ...CURRENCIES),
        amount: fc.oneof(
          { arbitrary: fc.bigInt({ min: 0n, max: 5_000_000_000n }), weight: 30 },
          fc.constant(-1n),
        ),
      }),
      { maxLength: 3 },
    ),
    prices: fc.oneof({ arbitrary: fc.constant(CURRENCIES), weight: 20 }, fc.subarray(CURRENCIES)),
    priceMicro: fc.oneof(
      { arbitrary: fc.bigInt({ min: 1n, max: 200_000_000_000n }), weight: 50 },
      fc.constant(0n),
    ),
    kinds: fc.array(fc.constantFrom('solo' as const, 'shared' as const), {
      minLength: NODES.length,
      maxLength: NODES.length,
    }),
    stakes: fc.array(
      fc.record({
        holder: fc.constantFrom(...HOLDERS),
        nodeId: fc.constantFrom(...NODES),
        amountUnits: fc.oneof(
          fc.integer({ min: 0, max: 12_000 }).map((n) => BigInt(n) * UNITS_PER_HSS),
          fc.bigInt({ min: 0n, max: 300n * UNITS_PER_HSS }),
          fc.bigInt({ min: 9_999n * UNITS_PER_HSS, max: 10_001n * UNITS_PER_HSS }),
        ),
        // From a day before the period to a little after it, whole seconds.
        atS: fc.integer({ min: -86_400, max: 90_000 }),
        recordedAfterMs: fc.integer({ min: 0, max: 3_000_000 }),
        // Most entries on a solo node are its owner's; the rest make @2 closes refuse.
        owner: fc.integer({ min: 0, max: 9 }),
      }),
      { maxLength: 24 },
    ),
    lossIn: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 500_000_000n })),
    work: fc.array(fc.oneof(SMALL, fc.integer({ min: 0, max: 2e10 })), { maxLength: 24 }),
    network: fc.option(
      fc.record({
        difficulty: fc.oneof(
          fc.double({ min: 1, max: 2e14, noNaN: true }),
          fc.constantFrom(1.5e14, 102_289_407_543_323.8),
        ),
        blockHeight: fc.integer({ min: 0, max: 14_000_000 }),
        fees: fc.bigInt({ min: 0n, max: 100_000_000n }),
      }),
    ),
  })
  .map((r): CloseInputs => {
    const p = r.period;
    const reinvestBps = Math.floor(((10_000 - r.stakerBps) * r.reinvestFrac) / 10_000);
    // One period in a hundred has shares that do not sum to 10,000 bps: both sides must refuse it.
    const operatorBps = 10_000 - r.stakerBps - reinvestBps + (r.badShares === 0 ? 1 : 0);
    const v1 = r.schema === INPUTS_SCHEMA_V1;
    return {
      schema: r.schema,
      period: p,
      rule: {
        version: 1 + (r.stakerBps % 3),
        stakerBps: r.stakerBps,
        reinvestBps,
        operatorBps,
        lossRule: r.lossRule,
        minNodeCollateralUnits: r.minUnits,
      },
      credits: r.credits.map((amountSats, i) => ({ id: `c${i}`, pool: 'p', reference: `r${i}`, amountSats })),
      energy: r.energy.map((e) => {
        const priced = {
          currency:
            CURRENCIES[(SITES.indexOf(e.site) + (e.otherCurrency === 0 ? 1 : 0)) % CURRENCIES.length]!,
          ratePerKwhMicro: e.rate,
        };
        const hourStartMs = p.startMs + e.hour * 3_600_000;
        if (r.schema !== INPUTS_SCHEMA)
          return { siteId: e.site, hourStartMs, provenance: e.provenance, energyWh: e.energyWh, ...priced };
        return {
          siteId: e.site,
          containerId: e.container,
          hourStartMs,
          meteredWh: e.wh[0]!,
          reportedWh: e.wh[1]!,
          estimatedWh: e.wh[2]!,
          meteredMinerHours: e.minerHours[0]!,
          reportedMinerHours: e.minerHours[1]!,
          estimatedMinerHours: e.minerHours[2]!,
          ...priced,
        };
      }),
      otherCosts: r.otherCosts,
      btcPrices: r.prices.map((currency, i) => ({
        currency,
        priceMicro: r.priceMicro + BigInt(i),
        source: `source ${currency}`,
        observedAtMs: p.startMs,
      })),
      nodes: NODES.map((id, i) => ({ id, kind: r.kinds[i]! })),
      stakes: r.stakes.map((s, i) => ({
        seq: i + 1,
        holder: r.kinds[NODES.indexOf(s.nodeId)] === 'solo' && s.owner > 0 ? `owner-${s.nodeId}` : s.holder,
        nodeId: s.nodeId,
        amountUnits: s.amountUnits,
        effectiveAtMs: p.startMs + s.atS * 1000,
        ...(v1 ? {} : { recordedAtMs: p.startMs + s.atS * 1000 + s.recordedAfterMs }),
      })),
      lossCarriedInSats: r.lossIn,
      work: r.work.map((diff1Shares, i) => ({ hourStartMs: p.startMs + i * 3_600_000, diff1Shares })),
      network: r.network && {
        difficulty: r.network.difficulty,
        blockHeight: r.network.blockHeight,
        feesPerBlockSats: r.network.fees,
        source: 'test',
        observedAtMs: p.startMs,
      },
    };
  });
