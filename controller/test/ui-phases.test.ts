import { describe, expect, it } from 'vitest';
import { DEFAULT_PHASE_RATING_A, phaseBars } from '../ui/app/phases.js';

const ph = (phase: number, currentA: number | null, ratedCurrentA?: number | null) => ({
  phase,
  currentA,
  voltageV: 230,
  powerW: null,
  ratedCurrentA,
});

describe('container view: PDU phase load bars', () => {
  it.each([
    ['half the PDU rating is ok', ph(1, 31.5, 63), { load: 0.5, band: 'ok', ratingA: 63, ratingFrom: 'pdu' }],
    ['80 % of the rating is near overload (APC default)', ph(2, 100, 125), { load: 0.8, band: 'near' }],
    ['at the rating is over', ph(3, 125, 125), { load: 1, band: 'over' }],
    [
      'no PDU rating takes the alert default',
      ph(1, 16, null),
      { ratingA: DEFAULT_PHASE_RATING_A, ratingFrom: 'default', load: 0.5 },
    ],
    ['a phase without current is unknown', ph(1, null, 63), { load: null, band: 'unknown' }],
  ] as const)('%s', (_why, phase, want) => {
    const [bar] = phaseBars([{ pduId: 'pdu-1', at: 0, phases: [phase] }]);
    expect(bar).toMatchObject({ key: `pdu-1/${phase.phase}`, label: `pdu-1 L${phase.phase}`, ...want });
  });

  it('a PDU without phases draws no bar', () => {
    expect(phaseBars([{ pduId: 'pdu-1', at: 0, phases: null }])).toEqual([]);
  });
});
