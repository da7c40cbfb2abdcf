import { describe, expect, it } from 'vitest';
import { toLine } from '../src/core/influx/line.js';
import { Spill } from '../src/core/influx/spill.js';
import { tempDir } from './helpers.js';

describe('line protocol', () => {
  it('escapes tags, skips null fields, writes numbers as floats, and drops a point with no field', () => {
    expect(
      toLine({
        measurement: 'miner',
        tags: { site: 'sichuan', model: 'Antminer S19 Pro', rack: 'R=1,a' },
        fields: { hashrate_ths: 110.2, power_w: null, online: 1, note: 'say "hi"' },
        at: 1_763_900_000_000,
      }),
    ).toBe(
      'miner,model=Antminer\\ S19\\ Pro,rack=R\\=1\\,a,site=sichuan hashrate_ths=110.2,online=1,note="say \\"hi\\"" 1763900000000',
    );
    expect(toLine({ measurement: 'miner', tags: {}, fields: { a: null, b: Number.NaN }, at: 1 })).toBeNull();
  });
});

describe('influx spill', () => {
  it('resumes a half-replayed segment after a restart without resending what was accepted', () => {
    const { dir, cleanup } = tempDir();
    try {
      const spill = new Spill(dir);
      spill.append(['a 1', 'b 2', 'c 3']);
      spill.append(['d 4']);
      const seg = spill.next()!;
      expect(seg.lines).toEqual(['a 1', 'b 2', 'c 3', 'd 4']);
      spill.advance(seg.file, 2, seg.lines.length);
      // The process dies here; a new one opens the same directory.
      const again = new Spill(dir).next()!;
      expect(again.lines.slice(again.offset)).toEqual(['c 3', 'd 4']);
      new Spill(dir).advance(again.file, 4, 4);
      expect(new Spill(dir).next()).toBeNull();
      expect(new Spill(dir).bytes()).toBe(0);
    } finally {
      cleanup();
    }
  });
});
