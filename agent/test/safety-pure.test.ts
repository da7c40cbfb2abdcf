import { createPublicKey } from 'node:crypto';
import { exampleSample, type MinerSample } from '@hashfleet/contracts';
import { describe, expect, it } from 'vitest';
import { evaluate, type Streak, streakKey } from '../src/safety/evaluate.js';
import { ruleSetSignatureCheck } from '../src/safety/keys.js';
import { outletForSlot } from '../src/safety/outlet.js';
import { verifyRuleSet } from '../src/safety/verify.js';
import { CHIP_RULE, RuleSigner } from './safety-sign.js';

const set = {
  rules: [CHIP_RULE],
  modelLimits: { 'Antminer S9': { chipTempMaxC: 90 } },
  defaultLimits: { chipTempMaxC: 95 },
};
const sample = (chip: number | null, over: Partial<MinerSample> = {}): MinerSample => ({
  ...exampleSample,
  model: 'Antminer S9',
  chipTempMaxC: chip,
  state: 'hashing',
  ...over,
});
const canonical = (m: string | null) => m;
const key = streakKey(exampleSample.minerKey, CHIP_RULE.id);

/** Runs cycles of readings through evaluate and returns, per cycle, whether the rule fired. */
function run(cycles: (MinerSample | null)[], start: Streak | null = null): boolean[] {
  let streaks = new Map<string, Streak>(start ? [[key, start]] : []);
  return cycles.map((s) => {
    const r = evaluate(set, s ? [s] : [], streaks, canonical);
    streaks = r.streaks;
    return r.decisions.length > 0;
  });
}

describe('local safety evaluation (pure)', () => {
  it.each([
    ['one hot poll does not act', [sample(96)], [false]],
    ['two hot polls in a row act on the second', [sample(96), sample(97)], [false, true]],
    ['a cool poll between resets the count', [sample(96), sample(80), sample(96)], [false, false, false]],
    ['exactly at the limit is not over (op >)', [sample(90), sample(90)], [false, false]],
    [
      'acts once while it stays hot',
      [sample(96), sample(96), sample(96), sample(96)],
      [false, true, false, false],
    ],
    [
      'acts again after it cooled and got hot again',
      [sample(96), sample(96), sample(80), sample(96), sample(96)],
      [false, true, false, false, true],
    ],
    [
      'a missing reading neither counts nor resets',
      [sample(96), sample(null), sample(96)],
      [false, false, true],
    ],
    ['an unreachable miner neither counts nor resets', [sample(96), null, sample(96)], [false, false, true]],
    [
      'a sleeping miner is already protected',
      [sample(96), sample(96, { state: 'sleeping' })],
      [false, false],
    ],
    [
      'an unknown model uses the default limit',
      [sample(93, { model: 'Mystery' }), sample(93, { model: 'Mystery' })],
      [false, false],
    ],
  ])('%s', (_name, cycles, fired) => {
    expect(run(cycles)).toEqual(fired);
  });

  it('a fixed limit ignores the model table', () => {
    const fixed = { ...set, rules: [{ ...CHIP_RULE, limit: 70, polls: 1 }] };
    expect(evaluate(fixed, [sample(71)], new Map(), canonical).decisions).toHaveLength(1);
  });

  it('names the value, the limit and where the miner is in a decision', () => {
    const r = evaluate(set, [sample(97)], new Map([[key, { over: 1, acted: false }]]), canonical);
    expect(r.decisions[0]).toMatchObject({
      value: 97,
      limit: 90,
      ip: exampleSample.ip,
      slot: exampleSample.slot,
    });
  });

  it.each([
    ['a configured slot', { rack: 'R1', slot: 'S2' }, { pduId: 'pdu-1', outlet: 2 }],
    ['a slot without an outlet', { rack: 'R9', slot: 'S9' }, null],
    ['no slot known', null, null],
  ])('finds the outlet for %s', (_name, slot, expected) => {
    const pdus = [
      {
        id: 'pdu-1',
        outlets: [
          { outlet: 1, rack: 'R1', slot: 'S1' },
          { outlet: 2, rack: 'R1', slot: 'S2' },
        ],
      },
    ];
    expect(outletForSlot(pdus, slot)).toEqual(expected);
  });
});

describe('rule set verification', () => {
  const signer = new RuleSigner();
  const other = new RuleSigner();
  const keys = new Map([
    [
      signer.keyId,
      createPublicKey({ key: Buffer.from(signer.publicKeyBase64, 'base64'), format: 'der', type: 'spki' }),
    ],
  ]);
  const check = ruleSetSignatureCheck(keys);
  const good = signer.ruleSet('lab-c1', 5);
  const { signature: _s, ...unsigned } = good;

  it.each([
    ['not JSON', '{', 'malformed'],
    ['unsigned', JSON.stringify(unsigned), 'unsigned'],
    [
      'tampered after signing (limit raised)',
      JSON.stringify({ ...good, defaultLimits: { chipTempMaxC: 200 } }),
      'bad_signature',
    ],
    ['tampered after signing (rules removed)', JSON.stringify({ ...good, rules: [] }), 'bad_signature'],
    ['signed by a key the agent does not trust', JSON.stringify(other.ruleSet('lab-c1', 6)), 'bad_signature'],
    [
      'a trusted signature under another key id',
      JSON.stringify({ ...good, signature: { ...good.signature, keyId: 'hf-0000000000000000' } }),
      'bad_signature',
    ],
    ['for another agent', JSON.stringify(signer.ruleSet('lab-c2', 6)), 'wrong_agent'],
    ['an older revision replayed', JSON.stringify(signer.ruleSet('lab-c1', 4)), 'replayed'],
    ['a command, not a rule set', JSON.stringify({ ...good, kind: 'command' }), 'malformed'],
  ])('refuses %s', (_name, payload, refusal) => {
    const v = verifyRuleSet(payload, { agentId: 'lab-c1', check, heldRevision: 5 });
    expect(v).toMatchObject({ ok: false, refusal });
  });

  it('accepts a newer revision, and the held one again as unchanged', () => {
    expect(
      verifyRuleSet(JSON.stringify(signer.ruleSet('lab-c1', 6)), {
        agentId: 'lab-c1',
        check,
        heldRevision: 5,
      }),
    ).toMatchObject({ ok: true, unchanged: false });
    expect(verifyRuleSet(JSON.stringify(good), { agentId: 'lab-c1', check, heldRevision: 5 })).toMatchObject({
      ok: true,
      unchanged: true,
    });
    expect(
      verifyRuleSet(JSON.stringify(good), { agentId: 'lab-c1', check, heldRevision: null }),
    ).toMatchObject({ ok: true, unchanged: false });
  });
});
