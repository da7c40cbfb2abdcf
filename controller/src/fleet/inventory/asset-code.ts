import type { Db } from '../../core/storage/db.js';

/** `kz-c2`, `R2`, `S9` -> `KZ-C2-R2-S09`: upper case, one dash between parts, slot numbers 2 digits. */
export function assetCodeFor(containerId: string, rack: string, slot: string): string {
  const part = (s: string) =>
    s
      .toUpperCase()
      .replace(/[^A-Z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
  const slotPart = part(slot).replace(/^([A-Z]*)(\d)$/, '$10$2');
  return [part(containerId), part(rack), slotPart].filter(Boolean).join('-');
}

/**
 * Gives the miner `code` unless it already has one (an asset keeps its code when it moves). A code
 * another miner holds gets `-2`, `-3`...; returns the miner's code.
 */
export async function assignAssetCode(db: Db, minerId: string, code: string): Promise<string> {
  const miner = await db.get<{ asset_code: string | null }>('SELECT asset_code FROM miners WHERE id = ?', [
    minerId,
  ]);
  if (!miner) throw new Error(`miner ${minerId}: not found`);
  if (miner.asset_code) return miner.asset_code;
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? code : `${code}-${n}`;
    const holder = await db.get<{ id: string }>('SELECT id FROM miners WHERE asset_code = ?', [candidate]);
    if (holder) continue;
    await db.run('UPDATE miners SET asset_code = ? WHERE id = ?', [candidate, minerId]);
    return candidate;
  }
}

/** Sets an import's asset tag, replacing any code the miner had; refused when another miner holds it. */
export async function setAssetTag(db: Db, minerId: string, tag: string): Promise<void> {
  const holder = await db.get<{ id: string }>('SELECT id FROM miners WHERE asset_code = ?', [tag]);
  if (holder && holder.id !== minerId) throw new Error(`asset_tag ${tag}: already on miner ${holder.id}`);
  await db.run('UPDATE miners SET asset_code = ? WHERE id = ?', [tag, minerId]);
}
