import { describe, expect, it } from 'vitest';
import { containerMatches, parseSlotQuery, sameNumber } from '../ui/app/slot-query.js';

/** The header search reads a slot the way technicians write it; anything else is left to `GET /miners?q=`. */
describe('slot query of the header search', () => {
  it.each([
    ['R2/S09', { container: null, rack: 2, slot: 9 }],
    ['r2 s9', { container: null, rack: 2, slot: 9 }],
    ['2-9', { container: null, rack: 2, slot: 9 }],
    ['kz-c2 R2/S09', { container: 'kz-c2', rack: 2, slot: 9 }],
    ['kz-c2/R1/S20', { container: 'kz-c2', rack: 1, slot: 20 }],
  ])('%s is a slot', (text, want) => {
    expect(parseSlotQuery(text)).toEqual(want);
  });

  it.each(['JYZZBWR4YFTKX5SJ5', '127.0.0.1', 'a0:b0:45:b4:38:a9', 'S19', 'Antminer S21'])(
    '%s is not',
    (text) => {
      expect(parseSlotQuery(text)).toBeNull();
    },
  );

  it('rack and slot names match by their number, containers by id or name', () => {
    expect(sameNumber('R02', 2)).toBe(true);
    expect(sameNumber('S9', 9)).toBe(true);
    expect(sameNumber('S19', 9)).toBe(false);
    const q = parseSlotQuery('kz-c2 R1/S1')!;
    expect(containerMatches(q, { id: 'kz-c2', name: 'Pavlodar container 2' })).toBe(true);
    expect(containerMatches(q, { id: 'kz-c1', name: 'Pavlodar container 1' })).toBe(false);
    expect(containerMatches(parseSlotQuery('R1/S1')!, { id: 'kz-c1', name: 'x' })).toBe(true);
  });
});
