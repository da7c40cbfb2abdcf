import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectMiners } from '../src/operations/selector.js';
import { fleetApp } from './operations-fixtures.js';

describe('bulk selection order', () => {
  let t: Awaited<ReturnType<typeof fleetApp>>;
  beforeAll(async () => {
    // Listed out of order, and slot names that sort differently as text and as numbers.
    t = await fleetApp(
      ['S10', 'S2', 'S1'].map((slot) => ({
        key: `K-${slot}`,
        slot,
        profile: 'braiins-os',
        model: 'Antminer S19 Pro',
      })),
      () => 1_763_900_000_000,
    );
  });
  afterAll(async () => t.close());

  it('walks a container rack by rack and slot by slot in numeric order (S2 before S10)', async () => {
    const selected = await selectMiners(t.app.hashfleet.db, { containerId: 'sc-c01' });
    expect(selected.map((m) => m.minerKey)).toEqual(['K-S1', 'K-S2', 'K-S10']);
  });
});
