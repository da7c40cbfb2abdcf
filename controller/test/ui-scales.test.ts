import { describe, expect, it } from 'vitest';
import { type AlertRow, openSubjects } from '../ui/app/problems.js';
import { EMPTY, inkOn, METRICS, NO_DATA, type SlotFigures, slotSwatch } from '../ui/app/scales.js';

const slot = (over: Partial<SlotFigures>): SlotFigures => ({
  minerId: 'm1',
  status: 'hashing',
  chipTempMaxC: null,
  hashrateThs: null,
  expectedHashrateThs: null,
  powerW: null,
  ...over,
});

describe('container grid colour scales', () => {
  it.each([
    ['chipTemp', { chipTempMaxC: 55 }, '< 60 °C'],
    ['chipTemp', { chipTempMaxC: 60 }, '60–75 °C'],
    ['chipTemp', { chipTempMaxC: 84.9 }, '75–85 °C'],
    ['chipTemp', { chipTempMaxC: 96 }, '≥ 95 °C'],
    ['hashRatio', { hashrateThs: 0, expectedHashrateThs: 100 }, 'not hashing'],
    ['hashRatio', { hashrateThs: 60, expectedHashrateThs: 100 }, '< 70 % of expected'],
    ['hashRatio', { hashrateThs: 99, expectedHashrateThs: 100 }, '≥ 97 %'],
    ['power', { powerW: 3250 }, '3–3.6 kW'],
    ['power', { powerW: 20 }, '< 100 W (off)'],
    ['status', { status: 'error' }, 'error'],
    ['status', { status: 'offline' }, 'offline'],
  ] as const)('%s of %j is in band %s', (id, over, label) => {
    expect(slotSwatch(id, slot(over)).label).toBe(label);
  });

  it('shows a missing figure as "no data", never as a band', () => {
    for (const m of METRICS) expect(slotSwatch(m.id, slot({ status: null }))).toEqual(NO_DATA);
  });

  it('shows an empty slot as empty under every metric', () => {
    for (const m of METRICS)
      expect(slotSwatch(m.id, slot({ minerId: null, chipTempMaxC: 99 }))).toEqual(EMPTY);
  });

  it('has no hashrate ratio without an expected hashrate (no division by zero)', () => {
    expect(slotSwatch('hashRatio', slot({ hashrateThs: 50, expectedHashrateThs: 0 }))).toEqual(NO_DATA);
  });

  it('picks readable ink: white on dark red, black on light grey', () => {
    expect(inkOn('#c92a2a')).toBe('#fff');
    expect(inkOn('#f1f3f5')).toBe('#111');
  });
});

describe('overview counts of open alerts', () => {
  const alert = (subject: string, siteId: string | null, state: 'open' | 'resolved' = 'open') =>
    ({ subject, siteId, state }) as AlertRow;
  it('counts each subject once, per site and fleet-wide, and ignores resolved alerts', () => {
    const { total, bySite } = openSubjects([
      alert('miner:a', 'kz'),
      alert('miner:a', 'kz'),
      alert('miner:b', 'kz', 'resolved'),
      alert('miner:c', 'cn'),
      alert('agent:x', null),
    ]);
    expect(total).toBe(3);
    expect(bySite.get('kz')).toBe(1);
    expect(bySite.get('cn')).toBe(1);
  });
});
