import type { Principal } from '../core/auth/roles.js';
import type { Db } from '../core/storage/db.js';
import { advanceMove, type Deps, type MoveRow, RelocationError } from './service.js';
import type { MoveState } from './workflow.js';

/**
 * A plan's moves by container (issue 19 item 6): the crew moves a container's miners together, so
 * they advance them together and carry one sheet per container. The steps themselves are
 * service.advanceMove's, each checked and audited on its own.
 */

type Named = MoveRow & { serial: string | null; asset_code: string | null; model: string | null };

/** A miner as a person reads it: asset code and serial, never its id. */
const nameOf = (r: { asset_code: string | null; serial: string | null; serial_expected?: string | null }) =>
  [r.asset_code, r.serial ?? r.serial_expected].filter(Boolean).join(' / ') || 'a miner with no serial';

async function containerMoves(
  db: Db,
  planId: string,
  containerId: string,
  only: { state?: MoveState; batchId?: string | undefined } = {},
) {
  const plan = await db.get<{ id: string }>('SELECT id FROM relocation_plans WHERE id = ?', [planId]);
  if (!plan) throw new RelocationError(`plan ${planId}: not found`, 404);
  return db.all<Named & { from_slot_id: string | null }>(
    `SELECT mv.*, m.serial, m.asset_code, m.model,
       COALESCE(CASE WHEN m.container_id = mv.from_container THEN m.slot_id END,
         (SELECT l.slot_id FROM miner_locations l WHERE l.miner_id = mv.miner_id
            AND l.container_id = mv.from_container AND l.slot_id IS NOT NULL ORDER BY l.at DESC LIMIT 1)) AS from_slot_id
     FROM relocation_moves mv LEFT JOIN miners m ON m.id = mv.miner_id
     WHERE mv.plan_id = ? AND mv.from_container = ? ${only.state ? 'AND mv.state = ?' : ''}
       ${only.batchId ? 'AND mv.batch_id = ?' : ''}
     ORDER BY mv.miner_id`,
    [planId, containerId, only.state, only.batchId].filter((p): p is string => p !== undefined),
  );
}

export type ContainerAdvance = {
  planId: string;
  containerId: string;
  /** Only the moves of this batch (one departure); all of the container's otherwise. */
  batchId?: string | undefined;
  from: MoveState;
  to: MoveState;
};

/**
 * Every move of the plan leaving `containerId` (of batch `batchId` when given: miners of one container
 * may leave in different months) that is in state `from` takes the step to `to`, one
 * by one through advanceMove (its checks, inventory update, move log and audit entry each). A move
 * that refuses is reported with its reason, naming the miner; the others go ahead.
 */
export async function advanceContainer(deps: Deps, actor: Principal, req: ContainerAdvance) {
  const rows = await containerMoves(deps.db, req.planId, req.containerId, {
    state: req.from,
    batchId: req.batchId,
  });
  const advanced: {
    moveId: string;
    minerId: string;
    assetCode: string | null;
    serial: string | null;
    state: string;
  }[] = [];
  const refused: {
    moveId: string;
    minerId: string;
    assetCode: string | null;
    serial: string | null;
    reason: string;
  }[] = [];
  for (const r of rows) {
    const who = {
      moveId: r.id,
      minerId: r.miner_id,
      assetCode: r.asset_code,
      serial: r.serial ?? r.serial_expected,
    };
    try {
      const mv = await advanceMove(deps, actor, r.id, { to: req.to });
      advanced.push({ ...who, state: mv.state });
    } catch (e) {
      if (!(e instanceof RelocationError)) throw e;
      // The service names the move by its id; a person reads the miner instead.
      const why = e.message.replace(`move ${r.id}: `, '');
      refused.push({ ...who, reason: `${nameOf(r)}: ${why}` });
    }
  }
  const { planId, containerId, from, to } = req;
  return { planId, containerId, batchId: req.batchId ?? null, from, to, advanced, refused };
}

type Place = { containerId: string; containerName: string; rack: string; slot: string };

/**
 * The move sheet of one container: a row per miner leaving it, its slot there, its names, and
 * where it goes (the slot installed into; a whole container keeps its slots; otherwise the site,
 * with the slot chosen on arrival). Sorted by rack and slot, the order the crew walks.
 */
export async function moveSheet(db: Db, planId: string, containerId: string) {
  const plan = await db.get<{ name: string }>('SELECT name FROM relocation_plans WHERE id = ?', [planId]);
  if (!plan) throw new RelocationError(`plan ${planId}: not found`, 404);
  const rows = await containerMoves(db, planId, containerId);
  const slotIds = [
    ...new Set(rows.flatMap((r) => [r.from_slot_id, r.to_slot]).filter((s): s is string => !!s)),
  ];
  const slots = new Map<string, Place>();
  if (slotIds.length > 0) {
    const found = await db.all<{
      id: string;
      container_id: string;
      name: string;
      rack: string;
      slot: string;
    }>(
      `SELECT s.id, s.container_id, c.name, s.rack, s.slot FROM slots s JOIN containers c ON c.id = s.container_id
       WHERE s.id IN (${slotIds.map(() => '?').join(', ')})`,
      slotIds,
    );
    for (const s of found)
      slots.set(s.id, { containerId: s.container_id, containerName: s.name, rack: s.rack, slot: s.slot });
  }
  const container = await db.get<{ name: string; site_id: string }>(
    'SELECT name, site_id FROM containers WHERE id = ?',
    [containerId],
  );
  const sheet = rows.map((r) => {
    const from = r.from_slot_id ? slots.get(r.from_slot_id) : undefined;
    const to = (r.to_slot ? slots.get(r.to_slot) : undefined) ?? (r.mode === 'container' ? from : undefined);
    return {
      moveId: r.id,
      minerId: r.miner_id,
      assetCode: r.asset_code,
      serial: r.serial ?? r.serial_expected,
      model: r.model,
      state: r.state,
      mode: r.mode,
      departDate: r.depart_date,
      fromRack: from?.rack ?? null,
      fromSlot: from?.slot ?? null,
      toSite: r.to_site,
      toContainer: to?.containerName ?? null,
      toRack: to?.rack ?? null,
      toSlot: to?.slot ?? null,
    };
  });
  const order = (a: string | null, b: string | null) =>
    (a ?? '\uffff').localeCompare(b ?? '\uffff', 'en', { numeric: true });
  sheet.sort((a, b) => order(a.fromRack, b.fromRack) || order(a.fromSlot, b.fromSlot));
  return {
    planId,
    planName: plan.name,
    containerId,
    containerName: container?.name ?? containerId,
    fromSite: rows[0]?.from_site ?? container?.site_id ?? null,
    rows: sheet,
  };
}
