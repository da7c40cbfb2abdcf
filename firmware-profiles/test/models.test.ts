import { describe, expect, it } from 'vitest';
import { findModel, MODELS, normaliseModelName } from '../src/models.js';

/** Model strings exactly as the recorded replies (testcases/) and detection produce them. */
const REPORTED: [raw: string, model: string][] = [
  ['Antminer S19 Pro', 'Antminer S19 Pro'],
  ['Antminer S9\nV1.3.58', 'Antminer S9'],
  ['Antminer S9', 'Antminer S9'],
  ['Antminer S9i', 'Antminer S9i'],
  ['Antminer S9k', 'Antminer S9k'],
  ['Antminer S9 SE', 'Antminer S9 SE'],
  ['Antminer S15', 'Antminer S15'],
  ['Antminer T15', 'Antminer T15'],
  ['Antminer S17', 'Antminer S17'],
  ['Antminer S17 Pro', 'Antminer S17 Pro'],
  ['Antminer S17+', 'Antminer S17+'],
  ['Antminer T17+', 'Antminer T17+'],
  ['Antminer S19', 'Antminer S19'],
  ['Antminer S19k Pro', 'Antminer S19k Pro'],
  ['Antminer S21', 'Antminer S21'],
  ['Antminer S21 XP Hyd.', 'Antminer S21 XP Hyd.'],
  ['Antminer S23 Hyd.', 'Antminer S23 Hyd.'],
  ['Antminer L3+', 'Antminer L3+'],
  ['Antminer DR5', 'Antminer DR5'],
  ['Antminer E3', 'Antminer E3'],
  ['Antminer Z11', 'Antminer Z11'],
  ['Antminer Z9-Mini', 'Antminer Z9 Mini'],
  ['Bitmain Antminer S9', 'Antminer S9'],
  ['braiins-am1-s9', 'Antminer S9'],
  ['Antminer S17+ (vnish 2.0.3)', 'Antminer S17+'],
  ['Antminer S9 (vnish 3.8.6)', 'Antminer S9'],
  ['Antminer S9 Hiveon', 'Antminer S9'],
  ['Antminer S19JPRO Hiveon', 'Antminer S19j Pro'],
  ['Whatsminer M60S', 'Whatsminer M60S'],
  ['M31S', 'Whatsminer M31S'],
  ['Whatsminer M20S', 'Whatsminer M20S'],
  ['AvalonMiner 15-194', 'Avalon A1566'],
  ['AvalonMiner 1047', 'AvalonMiner 1047'],
  ['AvalonMiner 1066', 'AvalonMiner 1066'],
  ['AvalonMiner 1246-83', 'AvalonMiner 1246'],
  ['AvalonMiner 741', 'AvalonMiner 741'],
  ['AvalonMiner 841', 'AvalonMiner 841'],
  ['Avalon Q', 'Avalon Q'],
];

describe('model table', () => {
  it.each(REPORTED)('findModel resolves the reported %j', (raw, model) => {
    expect(findModel(raw)?.model).toBe(model);
  });

  it('returns null for unknown or empty names rather than guessing', () => {
    expect(findModel('Antminer S99')).toBeNull();
    expect(findModel('')).toBeNull();
    expect(findModel(null)).toBeNull();
    expect(findModel('AvalonMiner 10xx')).toBeNull();
  });

  it('covers the current S19, S21, M30, M50, M60, A13, A14 and A15 lines', () => {
    const names = MODELS.map((m) => m.model).join('|');
    for (const line of [/S19/, /S21/, /M30/, /M50/, /M60/, /A13\d\d/, /A14\d\d/, /A15\d\d/])
      expect(names).toMatch(line);
  });

  it('every row is internally consistent (units, counts, unique names and aliases)', () => {
    const seen = new Set<string>();
    for (const m of MODELS) {
      expect(m.nominalThs, m.model).toBeGreaterThan(0);
      expect(m.nominalW, m.model).toBeGreaterThan(0);
      expect(m.boards * m.chipsPerBoard, m.model).toBeGreaterThan(0);
      expect(m.fans === 0, m.model).toBe(m.cooling !== 'air');
      expect([6, 12, 24]).toContain(m.warrantyMonths);
      for (const n of [m.model, ...m.aliases]) {
        const k = normaliseModelName(n).toLowerCase();
        expect(seen.has(k), `duplicate name ${n}`).toBe(false);
        seen.add(k);
      }
    }
  });
});
