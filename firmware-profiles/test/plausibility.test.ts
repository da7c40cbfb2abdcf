import { describe, expect, it } from 'vitest';
import { findModel } from '../src/models.js';
import { checkPlausibility, type PlausibilityInput, withoutImplausible } from '../src/plausibility.js';
import { getProfile } from '../src/registry.js';
import { loadTestcases, pollReplies } from './testcase-files.js';

/**
 * Proves the envelope check flags what no miner of the model can report (a lying firmware or a
 * broken sensor) and nothing a real miner reported: every recorded reply in testcases/ passes.
 */
const s19 = findModel('Antminer S19 Pro');
const ok: PlausibilityInput = {
  hashrate5sThs: 110,
  hashrateAvgThs: 109,
  powerW: 3250,
  chipTempMaxC: 78,
  boardTempMaxC: 62,
  inletTempC: 25,
  outletTempC: 45,
  fansRpm: [5400, 5460, 5380, 5420],
  boards: [0, 1, 2].map(() => ({ hashrateThs: 36.7, chipTempC: 72, boardTempC: 58 })),
};

describe('checkPlausibility', () => {
  it.each<[string, Partial<PlausibilityInput>, string[]]>([
    ['a healthy S19 Pro', {}, []],
    [
      'hashrate x1000',
      { hashrate5sThs: 110_000, hashrateAvgThs: 109_000 },
      ['hashrate5sThs', 'hashrateAvgThs'],
    ],
    ['a 1.4x overclock', { hashrate5sThs: 154 }, []],
    ['negative hashrate', { hashrate5sThs: -1 }, ['hashrate5sThs']],
    ['negative power', { powerW: -3250 }, ['powerW']],
    ['power 3x nominal', { powerW: 9750 }, ['powerW']],
    ['chip at 900 °C', { chipTempMaxC: 900 }, ['chipTempMaxC']],
    ['board at -100 °C', { boardTempMaxC: -100 }, ['boardTempMaxC']],
    ['inlet at 120 °C', { inletTempC: 120 }, ['inletTempC']],
    ['a fan at 90,000 RPM', { fansRpm: [5400, 90_000] }, ['fansRpm[1]']],
    [
      '7 boards on a 3-board model',
      { boards: Array.from({ length: 7 }, () => ({ hashrateThs: 1, chipTempC: 60, boardTempC: 50 })) },
      ['boards'],
    ],
    [
      'one board at 900 °C',
      { boards: [{ hashrateThs: 36, chipTempC: 900, boardTempC: 58 }] },
      ['boards[0].chipTempC'],
    ],
    ['nulls are not judged', { hashrate5sThs: null, powerW: null, chipTempMaxC: null }, []],
  ])('%s', (_name, change, fields) => {
    expect(checkPlausibility({ ...ok, ...change }, s19).map((f) => f.field)).toEqual(fields);
  });

  it('gives an unknown model generous defaults: 1,000 TH/s passes, 10^12 TH/s does not', () => {
    expect(checkPlausibility({ ...ok, hashrate5sThs: 1000 }, null)).toEqual([]);
    expect(checkPlausibility({ ...ok, hashrate5sThs: 1e12 }, null)).toEqual([
      { field: 'hashrate5sThs', value: 1e12, min: 0, max: 2000 },
    ]);
  });

  it('withoutImplausible nulls exactly the flagged figures', () => {
    const lying = { ...ok, hashrate5sThs: 110_000, chipTempMaxC: 900, powerW: -5, fansRpm: [5400, 90_000] };
    const clean = withoutImplausible(lying, checkPlausibility(lying, s19));
    expect(clean).toMatchObject({
      hashrate5sThs: null,
      chipTempMaxC: null,
      powerW: null,
      hashrateAvgThs: 109,
    });
    expect(clean.fansRpm).toEqual([5400]);
  });

  it('passes every recorded reply in testcases/', () => {
    let n = 0;
    for (const tc of loadTestcases()) {
      if (!tc.manifest.poll) continue;
      const profile = getProfile(tc.profile)!;
      const raw = pollReplies(tc);
      const model = findModel(profile.parse(raw, { modelInfo: null }).model);
      const reading = profile.parse(raw, { modelInfo: model });
      expect({ tc: tc.dir, found: checkPlausibility(reading, model) }).toEqual({ tc: tc.dir, found: [] });
      n++;
    }
    expect(n).toBeGreaterThan(10);
  });
});
