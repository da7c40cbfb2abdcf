import { describe, expect, it } from 'vitest';
import { workSince } from '../src/work.js';

describe('workSince: difficulty-1 shares since the previous sample', () => {
  const base = { at: 1000, difficultyAccepted: 5000, uptimeS: 100 };
  it.each([
    [
      'first sample of a miner claims no work and starts the base',
      null,
      7000,
      130,
      { diff1Shares: 0, sinceAt: null, counterReset: false },
    ],
    [
      'counter grew: the difference',
      base,
      7000,
      130,
      { diff1Shares: 2000, sinceAt: 1000, counterReset: false },
    ],
    ['counter unchanged: zero work', base, 5000, 130, { diff1Shares: 0, sinceAt: 1000, counterReset: false }],
    [
      'counter went backwards: restart after our last sample, delta from zero',
      base,
      300,
      1,
      { diff1Shares: 300, sinceAt: 1000, counterReset: true },
    ],
    [
      'uptime went backwards with a higher counter: still a restart',
      base,
      6000,
      1,
      { diff1Shares: 6000, sinceAt: 1000, counterReset: true },
    ],
    [
      'counter went backwards but the miner was up before our last sample: only the gap, pro rata',
      base,
      300,
      20,
      { diff1Shares: 15, sinceAt: 1000, counterReset: true },
    ],
    ['no counter: no work claimed', base, null, 130, { diff1Shares: 0, sinceAt: null, counterReset: false }],
  ] as const)('%s', (_name, prev, diff, uptime, expected) => {
    expect(workSince(prev, diff, uptime, 2000).work).toEqual(expected);
  });

  it('a sample without the counter keeps the old base so the next one covers the gap', () => {
    const a = workSince(base, null, 130, 2000);
    expect(a.base).toBe(base);
    const b = workSince(a.base, 9000, 160, 3000);
    expect(b.work).toEqual({ diff1Shares: 4000, sinceAt: 1000, counterReset: false });
  });

  it('summing deltas over a restart accounts every share once', () => {
    // Samples 10 s apart. Counter: 0 -> 100 -> 250 -> restart (up 2 s) -> 40 -> 90.
    const readings = [
      [0, 10],
      [100, 20],
      [250, 30],
      [40, 2],
      [90, 12],
    ] as const;
    let b = null as ReturnType<typeof workSince>['base'];
    let total = 0;
    for (const [i, [d, u]] of readings.entries()) {
      const r = workSince(b, d, u, i * 10_000);
      total += r.work.diff1Shares;
      b = r.base;
    }
    expect(total).toBe(100 + 150 + 40 + 50);
  });

  describe('firmware without the counter (Whatsminer API v3): estimated from hashrate', () => {
    const hashesPerDiff1 = 2 ** 32;
    it('credits hashrate x interval / 2^32, marked estimated, from the second sample on', () => {
      const first = workSince(null, null, 500, 0, 100);
      expect(first.work).toEqual({
        diff1Shares: 0,
        sinceAt: null,
        counterReset: false,
        provenance: 'estimated',
      });
      const second = workSince(first.base, null, 530, 30_000, 100);
      expect(second.work.provenance).toBe('estimated');
      expect(second.work.sinceAt).toBe(0);
      expect(second.work.diff1Shares).toBeCloseTo((100e12 * 30) / hashesPerDiff1, 3);
    });

    it('a restart inside the interval credits only the uptime', () => {
      const base = { at: 0, difficultyAccepted: null, uptimeS: 500 };
      const r = workSince(base, null, 10, 30_000, 100);
      expect(r.work.counterReset).toBe(true);
      expect(r.work.diff1Shares).toBeCloseTo((100e12 * 10) / hashesPerDiff1, 3);
    });

    it('without a hashrate either, no work is claimed and the base is kept', () => {
      const base = { at: 0, difficultyAccepted: null, uptimeS: 500 };
      const r = workSince(base, null, 530, 30_000, null);
      expect(r.work.diff1Shares).toBe(0);
      expect(r.base).toBe(base);
    });

    it('when a counter appears (firmware update), it starts a fresh base instead of a bogus delta', () => {
      const base = { at: 0, difficultyAccepted: null, uptimeS: 500 };
      const r = workSince(base, 1e9, 530, 30_000, 100);
      expect(r.work).toEqual({ diff1Shares: 0, sinceAt: null, counterReset: false });
      expect(r.base).toEqual({ at: 30_000, difficultyAccepted: 1e9, uptimeS: 530 });
    });
  });
});
