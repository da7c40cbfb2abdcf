import { describe, expect, it } from 'vitest';
import { gridOf, type SlotReply } from '../ui/app/shapes.js';

/**
 * Issue 19 item 1 in the UI: a slot whose expected miner does not answer shows as not answering
 * (with its outlet's metered watts and asset code), one not yet looked for as expected, and an
 * empty slot as empty; before, both read `offline` and the outlet's draw was dropped.
 */
const slot = (over: Partial<SlotReply>): SlotReply => ({
  slotId: 'kz-c1/R2/S9',
  slot: 'S9',
  minerId: 'm1',
  serial: 'K1',
  model: 'Antminer S21',
  state: 'hashing',
  online: true,
  hashrateThs: 200,
  expectedThs: 200,
  powerW: 3500,
  chipTempMaxC: 70,
  lastSeenAt: 1,
  outlet: null,
  ...over,
});

describe('grid of expected miners', () => {
  it('maps not_answering and expected to their own states, with asset code and outlet watts', () => {
    const [rack] = gridOf({
      id: 'kz-c1',
      name: 'c1',
      siteId: 'kz',
      racks: [
        {
          rack: 'R2',
          slots: [
            slot({
              slot: 'S9',
              state: 'not_answering',
              online: false,
              powerW: null,
              assetCode: 'KZ-C1-R2-S09',
              outlet: { pduId: 'p', outlet: 9, powerW: 3665 },
            }),
            slot({ slot: 'S10', state: 'expected', online: false, lastSeenAt: null }),
            slot({ slot: 'S11', minerId: null, state: null, online: false }),
          ],
        },
      ],
    });
    expect(rack!.slots.map((s) => [s.slot, s.status])).toEqual([
      ['S9', 'notAnswering'],
      ['S10', 'expected'],
      ['S11', null],
    ]);
    expect(rack!.slots[0]).toMatchObject({ assetCode: 'KZ-C1-R2-S09', outletW: 3665 });
  });
});
