import { MinerReadingSchema } from '@hashfleet/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROFILES } from '../src/registry.js';
import type { FirmwareProfile, RawReplies } from '../src/types.js';
import { loadTestcases, pollReplies } from './testcase-files.js';

/** Bad input harms nothing: `parse` never throws, and what it cannot read is null and named. */

const NULLABLE_SCALARS = [
  'model',
  'firmwareVersion',
  'serial',
  'mac',
  'hashrate5sThs',
  'hashrateAvgThs',
  'expectedHashrateThs',
  'chipTempMaxC',
  'boardTempMaxC',
  'inletTempC',
  'outletTempC',
  'powerW',
  'powerLimitW',
  'sharesAccepted',
  'sharesRejected',
  'difficultyAccepted',
  'difficultyRejected',
  'hardwareErrors',
  'uptimeS',
  'pool',
] as const;

function checkReading(profile: FirmwareProfile, raw: RawReplies): void {
  const r = profile.parse(raw, { modelInfo: null });
  const checked = MinerReadingSchema.safeParse(r);
  expect(checked.success, JSON.stringify(checked.error?.issues?.slice(0, 3))).toBe(true);
  expect(r.powerProvenance === null).toBe(r.powerW === null);
  for (const k of NULLABLE_SCALARS) if (r[k] === null) expect(r.missing).toContain(k);
}

const byProfile = new Map<string, RawReplies[]>();
for (const tc of loadTestcases()) {
  if (!tc.manifest.poll) continue;
  byProfile.set(tc.profile, [...(byProfile.get(tc.profile) ?? []), pollReplies(tc)]);
}

/** Every `[container, key]` inside a JSON value, to damage one member at a time. */
function slots(v: unknown, out: [Record<string, unknown> | unknown[], string | number][] = []) {
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) {
      out.push([v, i]);
      slots(x, out);
    }
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.push([v as Record<string, unknown>, k]);
      slots(x, out);
    }
  }
  return out;
}

const junkValue = fc.oneof(
  fc.constantFrom(null, '', 'nan', 'abc', -1, 0, 1e308, -273, true, [], {}, '0-0-0-0', '  12.5 ', '1,2'),
  fc.string({ maxLength: 8 }),
  fc.double(),
);

describe.each(PROFILES.map((p) => [p.id, p] as const))('profile %s on damaged replies', (_id, profile) => {
  const recorded = byProfile.get(profile.id) ?? [];

  it('has recorded replies to damage', () => {
    expect(recorded.length).toBeGreaterThan(0);
  });

  it('no replies at all: state error, every figure null and listed', () => {
    const raw = Object.fromEntries(profile.poll.map((s) => [s.key, null]));
    const r = profile.parse(raw, { modelInfo: null });
    expect(r.state).toBe('error');
    expect(r.hashrate5sThs).toBeNull();
    expect(r.missing).toEqual(expect.arrayContaining(['hashrate5sThs', 'pool', 'boards']));
    checkReading(profile, raw);
  });

  it('never throws on truncated, garbled or replaced bodies', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...recorded),
        fc.nat(),
        fc.oneof(
          fc.record({
            kind: fc.constant('truncate' as const),
            at: fc.double({ min: 0, max: 1, noNaN: true }),
          }),
          fc.record({
            kind: fc.constant('insert' as const),
            at: fc.double({ min: 0, max: 1, noNaN: true }),
            text: fc.string({ maxLength: 6 }),
          }),
          fc.record({
            kind: fc.constant('replace' as const),
            text: fc.oneof(fc.string({ maxLength: 40 }), fc.constant('{"STATUS":"E"}')),
          }),
          fc.record({ kind: fc.constant('drop' as const) }),
        ),
        (raw, which, damage) => {
          const keys = Object.keys(raw);
          const key = keys[which % keys.length]!;
          const body = raw[key] ?? '';
          const out: RawReplies = { ...raw };
          if (damage.kind === 'truncate') out[key] = body.slice(0, Math.floor(body.length * damage.at));
          else if (damage.kind === 'insert') {
            const at = Math.floor(body.length * damage.at);
            out[key] = body.slice(0, at) + damage.text + body.slice(at);
          } else if (damage.kind === 'replace') out[key] = damage.text;
          else out[key] = null;
          checkReading(profile, out);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('never throws when a field holds the wrong type or an absurd value', () => {
    fc.assert(
      fc.property(fc.constantFrom(...recorded), fc.nat(), fc.nat(), junkValue, (raw, which, slot, junk) => {
        const keys = Object.keys(raw);
        const key = keys[which % keys.length]!;
        let value: unknown;
        try {
          value = JSON.parse(raw[key] ?? '');
        } catch {
          return; // malformed-JSON bodies are covered by the test above
        }
        const all = slots(value);
        if (all.length === 0) return;
        const [container, k] = all[slot % all.length]!;
        (container as Record<string | number, unknown>)[k] = junk;
        checkReading(profile, { ...raw, [key]: JSON.stringify(value) });
      }),
      { numRuns: 80 },
    );
  });
});

describe('a missing field is null and counted', () => {
  const s19 = loadTestcases().find((t) => t.name === 'bmminer-2022_s19pro')!;
  const profile = PROFILES.find((p) => p.id === 'antminer-stock')!;
  const without = (step: string, field: string): RawReplies => {
    const raw = pollReplies(s19);
    raw[step] = raw[step]!.replace(new RegExp(`"${field}": [^,]+,`, 'g'), '').replace(
      new RegExp(`"${field}":[^,]+,`, 'g'),
      '',
    );
    return raw;
  };

  it('summary without Difficulty Accepted: difficultyAccepted null and in missing, the rest intact', () => {
    const r = profile.parse(without('summary', 'Difficulty Accepted'), { modelInfo: null });
    expect(r.difficultyAccepted).toBeNull();
    expect(r.missing).toContain('difficultyAccepted');
    expect(r.sharesAccepted).toBe(4057);
    expect(r.hashrate5sThs).toBeCloseTo(110.56689, 6);
  });

  it('summary and stats without GHS 5s: hashrate5sThs null, listed, and state error (rate unknown)', () => {
    const raw = without('summary', 'GHS 5s');
    raw['stats'] = without('stats', 'GHS 5s')['stats']!;
    const r = profile.parse(raw, { modelInfo: null });
    expect(r.hashrate5sThs).toBeNull();
    expect(r.missing).toContain('hashrate5sThs');
    expect(r.state).toBe('error');
    expect(r.boards).toHaveLength(3);
  });

  it('an access-denied reply (STATUS E, Code 45) counts as absent, not as zeros', () => {
    const raw = pollReplies(s19);
    raw['summary'] =
      '{"STATUS":[{"STATUS":"E","When":1,"Code":45,"Msg":"Access denied to \'summary\' command","Description":"cgminer 1.0.0"}],"id":1}';
    const r = profile.parse(raw, { modelInfo: null });
    expect(r.sharesAccepted).toBeNull();
    expect(r.missing).toContain('sharesAccepted');
    expect(r.hashrate5sThs).toBeCloseTo(110.56689, 6); // still read from stats
  });
});
