import type { Db } from '../core/storage/db.js';

/** What a person reads for a miner instead of its id (issue 19 item 2). */
export type MinerName = {
  serial: string | null;
  assetCode: string | null;
  model: string | null;
  containerId: string | null;
  rack: string | null;
  slot: string | null;
};

export const NO_NAME: MinerName = {
  serial: null,
  assetCode: null,
  model: null,
  containerId: null,
  rack: null,
  slot: null,
};

/** The names of the given miners in one query per 500 ids; unknown ids are absent from the map. */
export async function minerNames(
  db: Db,
  ids: Iterable<string | null | undefined>,
): Promise<Map<string, MinerName>> {
  const unique = [...new Set([...ids].filter((id): id is string => !!id))];
  const out = new Map<string, MinerName>();
  for (let i = 0; i < unique.length; i += 500) {
    const chunk = unique.slice(i, i + 500);
    const rows = await db.all<{
      id: string;
      serial: string | null;
      asset_code: string | null;
      model: string | null;
      container_id: string | null;
      rack: string | null;
      slot: string | null;
    }>(
      `SELECT m.id, m.serial, m.asset_code, m.model, m.container_id, s.rack, s.slot
       FROM miners m LEFT JOIN slots s ON s.id = m.slot_id WHERE m.id IN (${chunk.map(() => '?').join(', ')})`,
      chunk,
    );
    for (const r of rows)
      out.set(r.id, {
        serial: r.serial,
        assetCode: r.asset_code,
        model: r.model,
        containerId: r.container_id,
        rack: r.rack,
        slot: r.slot,
      });
  }
  return out;
}

/** Adds the miner's names beside `minerId` on each item (null names for none or an unknown id). */
export async function withMinerNames<T extends { minerId: string | null }>(
  db: Db,
  items: T[],
): Promise<(T & MinerName)[]> {
  const names = await minerNames(
    db,
    items.map((i) => i.minerId),
  );
  return items.map((i) => ({ ...NO_NAME, ...(i.minerId ? names.get(i.minerId) : undefined), ...i }));
}

/**
 * The miner a person means by `ref`: its id, its serial, or its asset code (any letter case), in
 * that order; null when none matches.
 */
export async function resolveMinerRef(db: Db, ref: string): Promise<string | null> {
  const r = ref.trim();
  const row =
    (await db.get<{ id: string }>('SELECT id FROM miners WHERE id = ?', [r])) ??
    (await db.get<{ id: string }>('SELECT id FROM miners WHERE serial = ?', [r])) ??
    (await db.get<{ id: string }>('SELECT id FROM miners WHERE UPPER(asset_code) = UPPER(?)', [r]));
  return row?.id ?? null;
}
