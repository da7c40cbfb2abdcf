import type { Birth } from '@hashfleet/contracts';
import { z } from 'zod';
import type { Db, SqlValue } from '../core/storage/db.js';

/** Which miners a bulk command, profile or curtailment schedule acts on; the filters AND together. */
export const SelectorSchema = z
  .object({
    minerIds: z.array(z.string().min(1).max(200)).min(1).max(100_000).optional(),
    containerId: z.string().min(1).max(200).optional(),
    siteId: z.string().min(1).max(200).optional(),
    model: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((s) => s.minerIds || s.containerId || s.siteId || s.model, {
    message: 'name at least one of minerIds, containerId, siteId, model',
  });
export type Selector = z.infer<typeof SelectorSchema>;

/** A selected miner and how a command reaches it (agent, the agent's key, the firmware it detected). */
export type SelectedMiner = {
  minerId: string;
  model: string | null;
  siteId: string | null;
  containerId: string | null;
  agentId: string | null;
  minerKey: string | null;
  /** Firmware profile as the polling agent's birth message names it, else the inventory's. */
  profile: string | null;
  /** What a person reads for the miner (issue 19 item 2); absent where only the id is at hand. */
  serial?: string | null;
  assetCode?: string | null;
  rack?: string | null;
  slot?: string | null;
};

/**
 * The miner as a person finds it, for texts people read (refusals): asset code or serial, model,
 * container and rack/slot, e.g. `KZ1-C2-R2-S09 (Antminer S21, kz1-c2 R2/S9)`. Never the internal
 * id: that is the item's `minerId` field, for machines.
 */
export function minerLabel(
  m: Pick<SelectedMiner, 'model' | 'containerId' | 'serial' | 'assetCode' | 'rack' | 'slot'>,
): string {
  const place = [m.containerId, m.rack && m.slot ? `${m.rack}/${m.slot}` : null].filter(Boolean).join(' ');
  const about = [m.model, place].filter(Boolean).join(', ');
  const name = m.assetCode ?? m.serial ?? 'miner without serial';
  return about ? `${name} (${about})` : name;
}

// Miners being moved, stored or retired are not operated on.
const OPERABLE = ['in_service', 'sleeping'];

export async function selectMiners(db: Db, selector: Selector): Promise<SelectedMiner[]> {
  const where: string[] = [`m.status IN (${OPERABLE.map(() => '?').join(', ')})`];
  const args: SqlValue[] = [...OPERABLE];
  if (selector.minerIds) {
    where.push(`m.id IN (${selector.minerIds.map(() => '?').join(', ')})`);
    args.push(...selector.minerIds);
  }
  if (selector.containerId) {
    where.push('m.container_id = ?');
    args.push(selector.containerId);
  }
  if (selector.siteId) {
    where.push('c.site_id = ?');
    args.push(selector.siteId);
  }
  if (selector.model) {
    where.push('m.model = ?');
    args.push(selector.model);
  }
  const rows = await db.all<{
    id: string;
    model: string | null;
    profile: string | null;
    site_id: string | null;
    container_id: string | null;
    agent_id: string | null;
    miner_key: string | null;
    serial: string | null;
    asset_code: string | null;
    rack: string | null;
    slot: string | null;
  }>(
    `SELECT m.id, m.model, m.profile, m.serial, m.asset_code, c.site_id, m.container_id, c.agent_id, s.rack, s.slot,
       (SELECT am.miner_key FROM agent_miners am WHERE am.miner_id = m.id AND am.agent_id = c.agent_id
         ORDER BY am.updated_at DESC LIMIT 1) AS miner_key
     FROM miners m LEFT JOIN containers c ON c.id = m.container_id LEFT JOIN slots s ON s.id = m.slot_id
     WHERE ${where.join(' AND ')}`,
    args,
  );
  // Container, rack, slot in the order a technician walks them: R1/S2 before R1/S10.
  const natural = new Intl.Collator('en', { numeric: true });
  const walk = (r: (typeof rows)[number]) => [r.container_id ?? '', r.rack ?? '', r.slot ?? '', r.id];
  rows.sort((a, b) => {
    const [x, y] = [walk(a), walk(b)];
    for (let i = 0; i < x.length; i++) {
      const c = natural.compare(x[i]!, y[i]!);
      if (c !== 0) return c;
    }
    return 0;
  });
  const births = new Map<string, Map<string, string>>();
  const birthProfiles = async (agentId: string) => {
    let byKey = births.get(agentId);
    if (!byKey) {
      byKey = new Map();
      const a = await db.get<{ birth_json: string | null }>('SELECT birth_json FROM agents WHERE id = ?', [
        agentId,
      ]);
      try {
        const birth = a?.birth_json ? (JSON.parse(a.birth_json) as Birth) : null;
        for (const m of birth?.miners ?? []) byKey.set(m.minerKey, m.profile);
      } catch {
        // A corrupt stored birth leaves the inventory's profile in charge.
      }
      births.set(agentId, byKey);
    }
    return byKey;
  };
  const out: SelectedMiner[] = [];
  for (const r of rows) {
    const fromBirth =
      r.agent_id && r.miner_key ? (await birthProfiles(r.agent_id)).get(r.miner_key) : undefined;
    out.push({
      minerId: r.id,
      model: r.model,
      siteId: r.site_id,
      containerId: r.container_id,
      agentId: r.agent_id,
      minerKey: r.miner_key,
      profile: fromBirth ?? r.profile,
      serial: r.serial,
      assetCode: r.asset_code,
      rack: r.rack,
      slot: r.slot,
    });
  }
  return out;
}
