import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalizeText, canonicalText, canonicalWithHash } from '../src/accounting/canonical.js';
import { closePeriod } from '../src/accounting/close.js';
import { type CloseInputs, INPUTS_SCHEMA_V2, parseInputsDoc } from '../src/accounting/close-inputs.js';
import { previousClosePeriod } from '../src/accounting/close-previous.js';
import { UNITS_PER_HSS } from '../src/accounting/hss.js';
import { parsePeriodId } from '../src/accounting/period.js';
import type { StakeEntry } from '../src/accounting/types.js';
import { inputsArb } from './accounting-inputs-arbitrary.js';

/**
 * The streamed close (close.ts: weights and payouts as columns, documents written straight into
 * their SHA-256, issue 15 item 3) against the close as it was (close-previous.ts: maps and an
 * object per payout and journal line, documents by `canonicalize`): the same inputs and outputs
 * bytes, the same hashes, the same outputs as objects, or the same refusal, on the README's
 * worked example, on 1,000 random periods of every document version, and on a period of 20,000
 * stakers with hash-like holder ids, several holdings each, changes inside the period, nodes
 * that go in and out of eligibility and ties in the largest-remainder split.
 */
const FIXTURES = join(import.meta.dirname, 'fixtures/accounting');

type Outcome =
  | { inputsText: string; inputsSha256: string; outputsText: string; outputsSha256: string; outputs: unknown }
  | { error: string };

function outcome(close: () => Omit<Outcome & { inputsText: string }, never>): Outcome {
  try {
    const r = close() as Extract<Outcome, { outputs: unknown }>;
    return {
      inputsText: r.inputsText,
      inputsSha256: r.inputsSha256,
      outputsText: r.outputsText,
      outputsSha256: r.outputsSha256,
      outputs: r.outputs,
    };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function expectSameClose(inputs: CloseInputs): Outcome {
  const now = outcome(() => closePeriod(inputs));
  const before = outcome(() => previousClosePeriod(inputs));
  expect(now).toEqual(before);
  return now;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('the streamed close gives the bytes of the close before it', () => {
  it('on the worked example (README, as stored under @1)', () => {
    const text = readFileSync(join(FIXTURES, '2026-11-23.inputs-v1.jcs'), 'utf8');
    const r = expectSameClose(parseInputsDoc(text, 'fixture'));
    expect(r).toMatchObject({
      inputsText: text,
      outputsText: readFileSync(join(FIXTURES, '2026-11-23.outputs-v1.jcs'), 'utf8'),
      outputsSha256: '5c496c31f642fe3fe2fc241bdbc51ed61120dec77c3fce02fe98533a6625b686',
    });
  });

  it('on 1,000 random periods of every document version, refusals included', () => {
    let closed = 0;
    fc.assert(
      fc.property(inputsArb, (inputs) => {
        const r = expectSameClose(inputs);
        if ('outputsText' in r) {
          closed++;
          expect(r.outputsSha256).toBe(sha256(r.outputsText));
          expect(r.inputsSha256).toBe(sha256(r.inputsText));
        }
      }),
      { numRuns: 1000 },
    );
    // Both paths are exercised: most periods close, some are refused.
    expect(closed).toBeGreaterThan(300);
    expect(closed).toBeLessThan(1000);
  });

  it('on 20,000 stakers with several holdings, changes inside the period and ties in the split', () => {
    const day = parsePeriodId('2026-11-23');
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const stakes: StakeEntry[] = [];
    const add = (holder: string, nodeId: string, units: bigint, atMs: number) =>
      stakes.push({
        seq: stakes.length + 1,
        holder,
        nodeId,
        amountUnits: units,
        effectiveAtMs: atMs,
        recordedAtMs: atMs,
      });
    for (let i = 0; i < 20_000; i++) {
      const holder = sha256(`staker ${i}`);
      const node = `n${Math.floor(rand() * 40)}`;
      // Equal stakes (ties in the split) for a third, 0 (withdrawn) now and then.
      // Nodes n30..n39 hold little stake: under the collateral minimum, so not eligible.
      const most = node >= 'n30' && node.length === 3 ? 200 : 3000;
      const units = i % 3 === 0 ? 7n * UNITS_PER_HSS : BigInt(Math.floor(rand() * most)) * UNITS_PER_HSS;
      add(holder, node, units, day.startMs - 86_400_000);
      if (i % 7 === 0)
        add(holder, `n${Math.floor(rand() * 40)}`, 123n * UNITS_PER_HSS, day.startMs + 3_600_000);
      if (i % 5 === 0)
        add(
          holder,
          node,
          BigInt(Math.floor(rand() * 3)) * UNITS_PER_HSS,
          day.startMs + Math.floor(rand() * 86_400) * 1000,
        );
      // Two entries at the same instant: the later seq wins.
      if (i % 11 === 0) {
        const at = day.startMs + 7_200_000;
        add(holder, node, 1n * UNITS_PER_HSS, at);
        add(holder, node, 2n * UNITS_PER_HSS, at);
      }
      if (i % 13 === 0) add(holder, node, 5n * UNITS_PER_HSS, day.endMs + 1000);
    }
    // Not in seq order within the document: the close must not rely on it.
    stakes.reverse();
    const inputs: CloseInputs = {
      schema: INPUTS_SCHEMA_V2,
      period: day,
      rule: {
        version: 1,
        stakerBps: 3333,
        reinvestBps: 3333,
        operatorBps: 3334,
        lossRule: 'carry_forward',
        minNodeCollateralUnits: 100_000n * UNITS_PER_HSS,
      },
      credits: [{ id: 'c', pool: 'p', reference: 'r', amountSats: 987_654_321n }],
      energy: [],
      otherCosts: [{ id: 'o', description: 'rent «été» 😀', currency: 'BTC', amount: 1_000_001n }],
      btcPrices: [],
      nodes: Array.from({ length: 40 }, (_, i) => ({ id: `n${i}`, kind: 'shared' as const })),
      stakes,
      lossCarriedInSats: 0n,
      work: [{ hourStartMs: day.startMs, diff1Shares: 1e12 }],
      network: null,
    };
    const r = expectSameClose(inputs);
    if (!('outputs' in r)) throw new Error(r.error);
    const o = r.outputs as { payouts: unknown[]; nodes: unknown[] };
    // Some nodes are below the collateral part of the day, and most holders are paid.
    expect(o.nodes.length).toBeGreaterThan(10);
    expect(o.nodes.length).toBeLessThan(40);
    expect(o.payouts.length).toBeGreaterThan(5_000);
  });

  it('writes any JSON value as the reference writer does, and refuses what it refuses', () => {
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.string({ unit: 'binary' }),
        fc.double(),
        fc.bigInt(),
        fc.boolean(),
        fc.constant(null),
        fc.constant(undefined),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.string({ unit: 'binary', maxLength: 4 }), tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, (v) => {
        let want: string | Error;
        try {
          want = canonicalizeText(v);
        } catch (e) {
          want = e as Error;
        }
        if (want instanceof Error) expect(() => canonicalText(v)).toThrow(want.message);
        else expect(canonicalWithHash(v)).toEqual({ text: want, sha256: sha256(want) });
      }),
      { numRuns: 2000 },
    );
  });
});
