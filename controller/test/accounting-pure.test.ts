import { describe, expect, it } from 'vitest';
import { apportion, bpsOf } from '../src/accounting/apportion.js';
import { closePeriod } from '../src/accounting/close.js';
import {
  type CloseInputs,
  INPUTS_SCHEMA,
  INPUTS_SCHEMA_V1,
  parseInputsDoc,
} from '../src/accounting/close-inputs.js';
import { formatHss, MIN_NODE_COLLATERAL_UNITS, parseHss, UNITS_PER_HSS } from '../src/accounting/hss.js';
import { parsePeriodId, periodContaining } from '../src/accounting/period.js';
import { buildTimeline, weightsBetween } from '../src/accounting/stake-timeline.js';
import { pickEnergy } from '../src/energy/energy.js';
import { blockSubsidySats, expectedSats, expectedSatsFloat } from '../src/energy/expected-revenue.js';
import { microToSats, parseMicro } from '../src/energy/fiat.js';
import { localMonthHour } from '../src/energy/tariff.js';

const DAY = parsePeriodId('2026-11-23');
const hss = (n: number) => BigInt(n) * UNITS_PER_HSS;

function inputs(over: Partial<CloseInputs> = {}): CloseInputs {
  return {
    schema: INPUTS_SCHEMA,
    period: DAY,
    rule: {
      version: 1,
      stakerBps: 3000,
      reinvestBps: 5000,
      operatorBps: 2000,
      lossRule: 'carry_forward',
      minNodeCollateralUnits: MIN_NODE_COLLATERAL_UNITS,
    },
    credits: [],
    energy: [],
    otherCosts: [],
    btcPrices: [],
    nodes: [],
    stakes: [],
    lossCarriedInSats: 0n,
    work: [],
    network: null,
    ...over,
  };
}

describe('apportion (largest remainder)', () => {
  it('reproduces the worked example of docs/reference.md §10: the leftover sat goes to the largest remainder', () => {
    const net = 1_234_567_891n - 400_000_000n;
    expect(bpsOf(net, 3000)).toBe(250_370_367n);
    expect(bpsOf(net, 5000)).toBe(417_283_945n);
    const parts = apportion(
      250_370_367n,
      new Map([
        ['A', 333n],
        ['B', 333n],
        ['C', 334n],
      ]),
    );
    expect([...parts.values()]).toEqual([83_373_332n, 83_373_332n, 83_623_703n]);
  });
  it.each([
    {
      total: 10n,
      w: { a: 1n, b: 1n, c: 1n },
      want: { a: 4n, b: 3n, c: 3n },
      why: 'equal remainders: smallest key first',
    },
    {
      total: 10n,
      w: { c: 1n, b: 1n, a: 1n },
      want: { a: 4n, b: 3n, c: 3n },
      why: 'insertion order does not matter',
    },
    { total: 0n, w: { a: 5n, b: 7n }, want: { a: 0n, b: 0n }, why: 'nothing to split' },
    { total: 7n, w: { a: 0n, b: 3n }, want: { a: 0n, b: 7n }, why: 'zero weight gets nothing' },
    { total: 1n, w: { a: 1n, b: 2n }, want: { a: 0n, b: 1n }, why: 'one sat to the larger remainder' },
  ])('$why', ({ total, w, want }) => {
    const parts = apportion(total, new Map(Object.entries(w)));
    expect(Object.fromEntries(parts)).toEqual(want);
  });
  it('refuses a zero total weight and negative input, naming them', () => {
    expect(() => apportion(5n, new Map([['a', 0n]]))).toThrow(/total weight is zero/);
    expect(() => apportion(-1n, new Map([['a', 1n]]))).toThrow(/negative/);
  });
});

describe('units', () => {
  it.each([
    ['10000', hss(10_000)],
    ['0.000000000000000001', 1n],
    ['12.5', 12n * UNITS_PER_HSS + UNITS_PER_HSS / 2n],
  ])('parses HSS %s exactly', (text, units) => {
    expect(parseHss(text)).toBe(units);
    expect(parseHss(formatHss(units))).toBe(units);
  });
  it('rejects bad HSS text with the text in the message', () => {
    expect(() => parseHss('-5')).toThrow(/"-5"/);
    expect(() => parseHss('1.0000000000000000001')).toThrow(/18 decimals/);
  });
  it('converts fiat to sats rounding up (costs are never understated)', () => {
    // 1 USD at 100,000 USD/BTC = 1000 sats exactly; 1.000001 USD -> 1000.01 -> 1001.
    expect(microToSats(parseMicro('1', 'x'), parseMicro('100000', 'p'))).toBe(1000n);
    expect(microToSats(parseMicro('1.000001', 'x'), parseMicro('100000', 'p'))).toBe(1001n);
  });
  it('gives the Bitcoin Core subsidy schedule', () => {
    expect(blockSubsidySats(0)).toBe(5_000_000_000n);
    expect(blockSubsidySats(840_000)).toBe(312_500_000n);
    expect(blockSubsidySats(64 * 210_000)).toBe(0n);
  });
  it('expects 64.9 sat per TH/s-day at D=1e14 and 3.225 BTC (docs/reference.md §10)', () => {
    const diff1 = (1e12 * 86_400) / 2 ** 32;
    const got = expectedSats(diff1, {
      difficulty: 1e14,
      blockHeight: 840_000,
      feesPerBlockSats: 10_000_000n,
      source: 't',
      observedAtMs: 0,
    });
    expect(got).toBe(64n);
  });
});

describe('periods and tariffs', () => {
  it('names daily and sub-daily periods and refuses misaligned ids', () => {
    expect(periodContaining(Date.UTC(2026, 10, 23, 13)).id).toBe('2026-11-23');
    const p = periodContaining(Date.UTC(2026, 10, 23, 13), 21_600);
    expect(p.id).toBe('2026-11-23T12:00Z_PT6H');
    expect(parsePeriodId(p.id)).toEqual(p);
    expect(() => parsePeriodId('2026-11-23T13:00Z_PT6H')).toThrow(/not aligned.*12:00Z_PT6H/);
    expect(() => parsePeriodId('yesterday')).toThrow(/period yesterday/);
  });
  it('reads tariffs in the site time zone (Sichuan is UTC+8)', () => {
    expect(localMonthHour(Date.UTC(2026, 4, 31, 20), 'Asia/Shanghai')).toEqual({ month: 6, hour: 4 });
    expect(localMonthHour(Date.UTC(2026, 4, 31, 20), 'UTC')).toEqual({ month: 5, hour: 20 });
  });
  it('prefers metered over reported over estimated energy, treating 0 as no reading', () => {
    const h = { siteId: 's', containerId: 'c', hourStartMs: 0, diff1Shares: 0 };
    expect(pickEnergy({ ...h, energyWhMetered: 5, energyWhReported: 6, energyWhEstimated: 7 })).toEqual({
      provenance: 'metered',
      wh: 5,
    });
    expect(pickEnergy({ ...h, energyWhMetered: 0, energyWhReported: 6, energyWhEstimated: 7 })).toEqual({
      provenance: 'reported',
      wh: 6,
    });
    expect(pickEnergy({ ...h, energyWhMetered: 0, energyWhReported: 0, energyWhEstimated: 7 })).toEqual({
      provenance: 'estimated',
      wh: 7,
    });
    expect(pickEnergy({ ...h, energyWhMetered: 0, energyWhReported: 0, energyWhEstimated: 0 })).toBeNull();
  });
});

describe('time-weighted eligible stake', () => {
  const nodes = [
    { id: 'n1', kind: 'solo' as const },
    { id: 'n2', kind: 'shared' as const },
  ];
  it('weights a mid-day stake change by the seconds at each level', () => {
    const noon = DAY.startMs + 43_200_000;
    const tl = buildTimeline(
      [
        { seq: 1, holder: 'a', nodeId: 'n1', amountUnits: hss(10_000), effectiveAtMs: DAY.startMs - 1000 },
        { seq: 2, holder: 'a', nodeId: 'n1', amountUnits: hss(20_000), effectiveAtMs: noon },
      ],
      nodes,
      MIN_NODE_COLLATERAL_UNITS,
    );
    const w = weightsBetween(tl, DAY.startMs, DAY.endMs);
    expect(w.byHolder.get('a')).toBe(hss(10_000) * 43_200n + hss(20_000) * 43_200n);
  });
  it('counts a shared node only while its pooled collateral reaches 10,000 HSS', () => {
    const at6 = DAY.startMs + 6 * 3_600_000;
    const tl = buildTimeline(
      [
        { seq: 1, holder: 'a', nodeId: 'n2', amountUnits: hss(4000), effectiveAtMs: DAY.startMs },
        { seq: 2, holder: 'b', nodeId: 'n2', amountUnits: hss(6000), effectiveAtMs: at6 },
      ],
      nodes,
      MIN_NODE_COLLATERAL_UNITS,
    );
    const w = weightsBetween(tl, DAY.startMs, DAY.endMs);
    expect(w.byHolder.get('a')).toBe(hss(4000) * 18n * 3600n);
    expect(w.byHolder.get('b')).toBe(hss(6000) * 18n * 3600n);
    expect(w.byNode.get('n2')).toBe(hss(10_000) * 18n * 3600n);
  });
  it('ignores a node below 10,000 HSS entirely', () => {
    const tl = buildTimeline(
      [{ seq: 1, holder: 'a', nodeId: 'n1', amountUnits: hss(9999), effectiveAtMs: DAY.startMs }],
      nodes,
      MIN_NODE_COLLATERAL_UNITS,
    );
    expect(weightsBetween(tl, DAY.startMs, DAY.endMs).total).toBe(0n);
  });
  it('the later entry wins when two share a time (highest seq)', () => {
    const tl = buildTimeline(
      [
        { seq: 2, holder: 'a', nodeId: 'n1', amountUnits: hss(20_000), effectiveAtMs: DAY.startMs },
        { seq: 1, holder: 'a', nodeId: 'n1', amountUnits: hss(10_000), effectiveAtMs: DAY.startMs },
      ],
      nodes,
      MIN_NODE_COLLATERAL_UNITS,
    );
    expect(weightsBetween(tl, DAY.startMs, DAY.endMs).total).toBe(hss(20_000) * 86_400n);
  });
});

describe('closePeriod', () => {
  const stakes = [
    { seq: 1, holder: 'A', nodeId: 'n', amountUnits: hss(333), effectiveAtMs: 0, recordedAtMs: 0 },
    { seq: 2, holder: 'B', nodeId: 'n', amountUnits: hss(333), effectiveAtMs: 0, recordedAtMs: 0 },
    { seq: 3, holder: 'C', nodeId: 'n', amountUnits: hss(334), effectiveAtMs: 0, recordedAtMs: 0 },
  ];
  const rule = { ...inputs().rule, minNodeCollateralUnits: hss(1000) };
  it('closes the docs/reference.md §10 worked example to the satoshi with a balanced journal', () => {
    const r = closePeriod(
      inputs({
        rule,
        nodes: [{ id: 'n', kind: 'shared' }],
        stakes,
        credits: [{ id: 'c1', pool: 'p', reference: 'r1', amountSats: 1_234_567_891n }],
        otherCosts: [{ id: 'opex', description: 'power', currency: 'BTC', amount: 400_000_000n }],
      }),
    );
    const o = r.outputs;
    expect([o.netSats, o.stakerPoolSats, o.reinvestSats, o.operatorSats]).toEqual([
      834_567_891n,
      250_370_367n,
      417_283_945n,
      166_913_579n,
    ]);
    expect(o.payouts.map((p) => p.sats)).toEqual([83_373_332n, 83_373_332n, 83_623_703n]);
  });
  it('carries a loss forward, or lets the operator absorb it, as the rule says', () => {
    const base = {
      rule,
      nodes: [{ id: 'n', kind: 'shared' as const }],
      stakes,
      credits: [{ id: 'c1', pool: 'p', reference: 'r1', amountSats: 100n }],
      otherCosts: [{ id: 'opex', description: 'power', currency: 'BTC', amount: 150n }],
    };
    const carry = closePeriod(inputs(base)).outputs;
    expect([carry.netSats, carry.lossCarriedOutSats, carry.operatorSats]).toEqual([-50n, 50n, 0n]);
    expect(carry.payouts.every((p) => p.sats === 0n)).toBe(true);
    const zero = closePeriod(inputs({ ...base, rule: { ...rule, lossRule: 'pay_zero' } })).outputs;
    expect([zero.netSats, zero.lossCarriedOutSats, zero.operatorSats]).toEqual([-50n, 0n, -50n]);
  });
  it('recomputes byte for byte from the stored canonical inputs', () => {
    const r = closePeriod(inputs({ rule, nodes: [{ id: 'n', kind: 'shared' }], stakes }));
    const again = closePeriod(parseInputsDoc(r.inputsText, 'test'));
    expect(again.inputsText).toBe(r.inputsText);
    expect(again.outputsText).toBe(r.outputsText);
  });
  it('names the missing BTC price when a fiat cost cannot be converted', () => {
    expect(() =>
      closePeriod(inputs({ otherCosts: [{ id: 'rent', description: 'rent', currency: 'USD', amount: 5n }] })),
    ).toThrow('period 2026-11-23: no BTC price in USD');
  });
});

describe('inputs schema @2 and later', () => {
  const noon = DAY.startMs + 43_200_000;
  const entry = (seq: number, holder: string, units: bigint, at: number) => ({
    seq,
    holder,
    nodeId: 'solo-1',
    amountUnits: units,
    effectiveAtMs: at,
    recordedAtMs: at + 5_000,
  });
  const solo = (stakes: CloseInputs['stakes'], over: Partial<CloseInputs> = {}) =>
    inputs({ nodes: [{ id: 'solo-1', kind: 'solo' }], stakes, ...over });

  it('refuses a solo node with two stakers at once, naming the node, the time and both holders', () => {
    const both = solo([
      entry(1, 'h-ana', hss(10_000), DAY.startMs - 1000),
      entry(2, 'h-bo', hss(10_000), noon),
    ]);
    expect(() => closePeriod(both)).toThrow(
      'period 2026-11-23: solo node solo-1 has more than one staker at 2026-11-23T12:00:00.000Z: holders h-ana, h-bo',
    );
  });

  it('accepts a solo node handed from one staker to the next at the same instant', () => {
    const handover = solo([
      entry(1, 'h-ana', hss(10_000), DAY.startMs - 1000),
      entry(2, 'h-ana', 0n, noon),
      entry(3, 'h-bo', hss(10_000), noon),
    ]);
    expect(closePeriod(handover).outputs.payouts.map((p) => [p.holder, p.weight])).toEqual([
      ['h-ana', hss(10_000) * 43_200n],
      ['h-bo', hss(10_000) * 43_200n],
    ]);
  });

  it('a period closed under @1 with the same register still closes as it did (old periods recompute)', () => {
    const both = solo([
      entry(1, 'h-ana', hss(10_000), DAY.startMs - 1000),
      entry(2, 'h-bo', hss(10_000), noon),
    ]);
    const v1 = {
      ...both,
      schema: INPUTS_SCHEMA_V1,
      stakes: both.stakes.map(({ recordedAtMs: _, ...e }) => e),
    } as CloseInputs;
    const r = closePeriod(v1);
    expect(r.outputs.schema).toBe('hashfleet/period-close-outputs@1');
    expect(r.inputsText).not.toContain('recordedAtMs');
    expect(closePeriod(parseInputsDoc(r.inputsText, 'v1')).outputsText).toBe(r.outputsText);
  });

  it('carries recordedAtMs for every stake entry, and refuses an entry without it', () => {
    const r = closePeriod(solo([entry(1, 'h-ana', hss(10_000), DAY.startMs - 1000)]));
    expect(JSON.parse(r.inputsText).stakes[0].recordedAtMs).toBe(DAY.startMs + 4000);
    expect(r.outputs.schema).toBe('hashfleet/period-close-outputs@3');
    const { recordedAtMs: _, ...bare } = entry(1, 'h-ana', hss(10_000), DAY.startMs);
    expect(() => closePeriod(solo([bare]))).toThrow('period 2026-11-23: stake entry 1 has no recordedAtMs');
    expect(() => parseInputsDoc(canonicalJsonOf(solo([bare])), 'doc')).toThrow(/stakes\.0\.recordedAtMs/);
  });

  it('expected revenue is exact in integers: 3.36e11 shares at D 1.5e14 and 3.145 BTC is 704,480 sats', () => {
    const network = {
      difficulty: 1.5e14,
      blockHeight: 925_000,
      feesPerBlockSats: 2_000_000n,
      source: 't',
      observedAtMs: 0,
    };
    expect(expectedSats(3.36e11, network)).toBe(704_480n);
    // The float product is 704479.99999...; schema @1 floored it, and its periods keep that figure.
    expect(expectedSatsFloat(3.36e11, network)).toBe(704_479n);
    // Non-integer doubles are exact fractions too: 0.5 share at D 0.25 is 2 rewards.
    expect(expectedSats(0.5, { ...network, difficulty: 0.25 })).toBe(2n * (312_500_000n + 2_000_000n));
  });
});

function canonicalJsonOf(i: CloseInputs): string {
  return JSON.stringify(i, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
}
