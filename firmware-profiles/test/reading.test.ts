import { MinerReadingSchema } from '@hashfleet/contracts';
import { describe, expect, it } from 'vitest';
import { findModel } from '../src/models.js';
import { finishReading } from '../src/reading.js';

describe('finishReading', () => {
  const s19 = { modelInfo: findModel('Antminer S19')! };

  it('an empty draft is a valid reading with every figure null and listed', () => {
    const r = finishReading('x', {}, [], { modelInfo: null });
    expect(MinerReadingSchema.safeParse(r).success).toBe(true);
    expect(r.state).toBe('error');
    expect(r.missing).toContain('hashrate5sThs');
    expect(r.missing).toContain('boards');
    expect(r.missing).toHaveLength(22);
  });

  it('model and expected hashrate fall back to the joined model row; the replies win when they name them', () => {
    const fallback = finishReading('x', {}, [], s19);
    expect(fallback.model).toBe('Antminer S19');
    expect(fallback.expectedHashrateThs).toBe(95);
    expect(fallback.missing).not.toContain('model');
    const reported = finishReading('x', { model: 'Antminer S19 (custom)', expectedHashrateThs: 90 }, [], s19);
    expect(reported.model).toBe('Antminer S19 (custom)');
    expect(reported.expectedHashrateThs).toBe(90);
  });

  it('power provenance is null exactly when power is; a reported figure defaults to reported', () => {
    expect(finishReading('x', { powerProvenance: 'estimated' }, [], s19).powerProvenance).toBeNull();
    expect(finishReading('x', { powerW: 3000 }, [], s19).powerProvenance).toBe('reported');
    expect(finishReading('x', { powerW: 3000, powerProvenance: 'estimated' }, [], s19).powerProvenance).toBe(
      'estimated',
    );
  });

  it('applies the contract limits: 16 boards, 16 fans, 16 distinct repairs, 256-char strings, safe counts', () => {
    const board = {
      index: 1,
      hashrateThs: 1,
      expectedHashrateThs: null,
      chips: 2,
      chipTempC: null,
      boardTempC: null,
    };
    const r = finishReading(
      'x',
      {
        boards: Array.from({ length: 20 }, () => board),
        fansRpm: Array.from({ length: 20 }, () => 3000),
        firmwareVersion: 'v'.repeat(300),
        sharesAccepted: 2 ** 60,
        hardwareErrors: -5,
      },
      [...Array.from({ length: 20 }, (_, i) => `s:r${i}`), 's:r0'],
      s19,
    );
    expect(MinerReadingSchema.safeParse(r).success).toBe(true);
    expect(r.boards).toHaveLength(16);
    expect(r.fansRpm).toHaveLength(16);
    expect(r.repairs).toHaveLength(16);
    expect(r.firmwareVersion).toHaveLength(256);
    expect(r.sharesAccepted).toBeNull();
    expect(r.hardwareErrors).toBeNull();
  });
});
