import type { Db } from '../../core/storage/db.js';

/** Slot ids are natural keys: `<container>/<rack>/<slot>`. */
export const slotId = (containerId: string, rack: string, slot: string): string =>
  `${containerId}/${rack}/${slot}`;

/** Creates the slots that do not exist yet; returns their ids in input order. */
export async function ensureSlots(
  db: Db,
  containerId: string,
  slots: { rack: string; slot: string }[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const s of slots) {
    const id = slotId(containerId, s.rack, s.slot);
    await db.run(
      'INSERT INTO slots (id, container_id, rack, slot, miner_id) VALUES (?, ?, ?, ?, NULL) ON CONFLICT (id) DO NOTHING',
      [id, containerId, s.rack, s.slot],
    );
    ids.push(id);
  }
  return ids;
}

/** A grid of racks x slots named `R01..` and `01..`, for inventory seeding. */
export function slotGrid(racks: number, slotsPerRack: number): { rack: string; slot: string }[] {
  const out: { rack: string; slot: string }[] = [];
  for (let r = 1; r <= racks; r++) {
    for (let s = 1; s <= slotsPerRack; s++) {
      out.push({ rack: `R${String(r).padStart(2, '0')}`, slot: String(s).padStart(2, '0') });
    }
  }
  return out;
}
