import { randomUUID } from 'node:crypto';
import type { Highs } from 'highs';
import type { Audit } from '../core/audit.js';
import { type Principal, SYSTEM } from '../core/auth/roles.js';
import type { IssueCommand } from '../core/feature.js';
import { insertMany } from '../core/storage/bulk.js';
import type { Db } from '../core/storage/db.js';
import type { Location } from '../fleet/index.js';
import { getMiner, moveMiner, upsertContainer } from '../fleet/index.js';
import { planRelocation } from './planner.js';
import type { Plan, PlannerInput } from './types.js';
import { type MoveCommand, type MoveState, stepFor, verify } from './workflow.js';

/** Plans and moves in SQL; routes and the CLI call these (STYLE 11: thin callers, logic here). */

export class RelocationError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 403 | 404 | 409 = 400,
  ) {
    super(message);
  }
}

export type Deps = { db: Db; audit: Audit; now(): number; issueCommand?: IssueCommand | undefined };

type PlanRow = {
  id: string;
  name: string;
  state: 'proposed' | 'approved' | 'rejected';
  proposed_by: string;
  proposed_at: number;
  approved_by: string | null;
  approved_at: number | null;
  input_json: string;
  plan_json: string;
  profit_before_usd: number;
  profit_after_usd: number;
  move_count: number;
};

export type MoveRow = {
  id: string;
  plan_id: string;
  batch_id: string;
  miner_id: string;
  serial_expected: string | null;
  mode: 'miner' | 'container';
  month: number;
  depart_date: string;
  from_site: string;
  from_container: string | null;
  to_site: string;
  to_container: string | null;
  to_slot: string | null;
  expected_ths: number | null;
  state: MoveState;
  flag: string | null;
  serial_seen: string | null;
  installed_at: number | null;
  updated_at: number;
};

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

export function presentPlan(r: PlanRow, withPlan = false) {
  const plan = withPlan ? (JSON.parse(r.plan_json) as Plan) : null;
  return {
    id: r.id,
    name: r.name,
    state: r.state,
    proposedBy: r.proposed_by,
    proposedAt: iso(r.proposed_at),
    approvedBy: r.approved_by,
    approvedAt: iso(r.approved_at),
    profitBeforeUsd: Number(r.profit_before_usd),
    profitAfterUsd: Number(r.profit_after_usd),
    gainUsd: Math.round((Number(r.profit_after_usd) - Number(r.profit_before_usd)) * 100) / 100,
    moveCount: Number(r.move_count),
    ...(plan ? { plan, assumptions: assumptionsOf(JSON.parse(r.input_json) as PlannerInput) } : {}),
  };
}

export function presentMove(r: MoveRow) {
  return {
    id: r.id,
    planId: r.plan_id,
    batchId: r.batch_id,
    minerId: r.miner_id,
    serialExpected: r.serial_expected,
    serialSeen: r.serial_seen,
    mode: r.mode,
    month: Number(r.month),
    departDate: r.depart_date,
    fromSite: r.from_site,
    fromContainer: r.from_container,
    toSite: r.to_site,
    toContainer: r.to_container,
    toSlot: r.to_slot,
    expectedThs: r.expected_ths === null ? null : Number(r.expected_ths),
    state: r.state,
    flag: r.flag,
    installedAt: iso(r.installed_at),
    updatedAt: iso(r.updated_at),
  };
}

/** The assumptions of a plan, without the per-miner list (which can be 100,000 rows). */
const assumptionsOf = (input: PlannerInput) => {
  const { miners, ...rest } = input;
  return { ...rest, minerCount: miners.length };
};

export async function proposePlan(
  deps: Deps,
  highs: Highs,
  actor: Principal,
  name: string,
  input: PlannerInput,
): Promise<ReturnType<typeof presentPlan>> {
  const plan = planRelocation(input, highs);
  const row: PlanRow = {
    id: randomUUID(),
    name,
    state: 'proposed',
    proposed_by: actor.name,
    proposed_at: deps.now(),
    approved_by: null,
    approved_at: null,
    input_json: JSON.stringify(input),
    plan_json: JSON.stringify(plan),
    profit_before_usd: plan.profitBeforeUsd,
    profit_after_usd: plan.profitAfterUsd,
    move_count: plan.moves.length,
  };
  await deps.db.tx(async (tx) => {
    await tx.run(
      `INSERT INTO relocation_plans (id, name, state, proposed_by, proposed_at, approved_by, approved_at, input_json,
         plan_json, profit_before_usd, profit_after_usd, move_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        row.id,
        row.name,
        row.state,
        row.proposed_by,
        row.proposed_at,
        null,
        null,
        row.input_json,
        row.plan_json,
        row.profit_before_usd,
        row.profit_after_usd,
        row.move_count,
      ],
    );
    await deps.audit.record({
      actor,
      action: 'relocation.plan.propose',
      subject: `plan ${row.id}`,
      details: {
        name,
        moves: row.move_count,
        profitBeforeUsd: row.profit_before_usd,
        profitAfterUsd: row.profit_after_usd,
      },
    });
  });
  return presentPlan(row, true);
}

export const listPlans = async (db: Db) =>
  (await db.all<PlanRow>('SELECT * FROM relocation_plans ORDER BY proposed_at DESC, id')).map((r) =>
    presentPlan(r),
  );

async function planRow(db: Db, id: string): Promise<PlanRow> {
  const r = await db.get<PlanRow>('SELECT * FROM relocation_plans WHERE id = ?', [id]);
  if (!r) throw new RelocationError(`plan ${id}: not found`, 404);
  return r;
}

export const getPlan = async (db: Db, id: string) => presentPlan(await planRow(db, id), true);

/** Two plans side by side: profit, moves only in one, moves that differ, assumptions that differ. */
export async function comparePlans(db: Db, aId: string, bId: string) {
  const [a, b] = [await planRow(db, aId), await planRow(db, bId)];
  const [pa, pb] = [JSON.parse(a.plan_json) as Plan, JSON.parse(b.plan_json) as Plan];
  const key = (m: Plan['moves'][number]) => `${m.minerId}@${m.month}`;
  const describe = (m: Plan['moves'][number]) =>
    `${m.minerId} ${m.fromSite}->${m.toSite} month ${m.month} by ${m.mode}`;
  const inA = new Map(pa.moves.map((m) => [key(m), m]));
  const inB = new Map(pb.moves.map((m) => [key(m), m]));
  const [ia, ib] = [JSON.parse(a.input_json) as PlannerInput, JSON.parse(b.input_json) as PlannerInput];
  const changedAssumptions = (Object.keys(ia) as (keyof PlannerInput)[]).filter(
    (k) => JSON.stringify(ia[k]) !== JSON.stringify(ib[k]),
  );
  return {
    a: presentPlan(a),
    b: presentPlan(b),
    profitAfterDeltaUsd: Math.round((pb.profitAfterUsd - pa.profitAfterUsd) * 100) / 100,
    onlyInA: [...inA].filter(([k]) => !inB.has(k)).map(([, m]) => describe(m)),
    onlyInB: [...inB].filter(([k]) => !inA.has(k)).map(([, m]) => describe(m)),
    differing: [...inA]
      .filter(([k, m]) => inB.has(k) && (inB.get(k)!.toSite !== m.toSite || inB.get(k)!.mode !== m.mode))
      .map(([k, m]) => `${describe(m)} | ${describe(inB.get(k)!)}`),
    changedAssumptions,
  };
}

/**
 * Approval by a second person (four-eyes): the proposer cannot approve. The plan's moves become
 * rows in state `planned`; a miner already in an unfinished move of another plan is a conflict.
 */
export async function approvePlan(deps: Deps, actor: Principal, id: string) {
  return deps.db.tx(async (tx) => {
    const r = await planRow(tx, id);
    if (r.state !== 'proposed') throw new RelocationError(`plan ${id}: is ${r.state}, not proposed`, 409);
    if (r.proposed_by === actor.name) {
      throw new RelocationError(
        `plan ${id}: proposed by ${actor.name}; a second person must approve it`,
        403,
      );
    }
    // The state change comes first and only from `proposed`: two replicas approving at once
    // serialise on the row, and the second sees no proposed plan (no moves created twice).
    const now = deps.now();
    const won = await tx.run(
      "UPDATE relocation_plans SET state = 'approved', approved_by = ?, approved_at = ? WHERE id = ? AND state = 'proposed'",
      [actor.name, now, id],
    );
    if (won.changes !== 1) throw new RelocationError(`plan ${id}: was approved meanwhile`, 409);
    const plan = JSON.parse(r.plan_json) as Plan;
    const input = JSON.parse(r.input_json) as PlannerInput;
    const byId = new Map(input.miners.map((m) => [m.id, m]));
    const busy = await tx.all<{ miner_id: string; plan_id: string }>(
      `SELECT miner_id, plan_id FROM relocation_moves WHERE state NOT IN ('verified', 'cancelled')`,
    );
    const busyMiners = new Map(busy.map((b) => [b.miner_id, b.plan_id]));
    const clash = plan.moves.find((m) => busyMiners.has(m.minerId));
    if (clash) {
      throw new RelocationError(
        `plan ${id}: miner ${clash.minerId} is already moving under plan ${busyMiners.get(clash.minerId)}`,
        409,
      );
    }
    // One round trip per 200 moves: a fleet-wide plan has tens of thousands.
    await insertMany(
      tx,
      `INSERT INTO relocation_moves (id, plan_id, batch_id, miner_id, serial_expected, mode, month, depart_date,
         from_site, from_container, to_site, to_container, to_slot, expected_ths, state, flag, serial_seen, installed_at, updated_at)`,
      19,
      plan.moves.map((m) => {
        const mi = byId.get(m.minerId);
        const expected = mi ? mi.nominalThs * mi.condition : null;
        const toContainer = m.mode === 'container' ? m.fromContainer : null;
        return [
          randomUUID(),
          id,
          m.batchId,
          m.minerId,
          m.serial,
          m.mode,
          m.month,
          m.departDate,
          m.fromSite,
        ].concat([m.fromContainer, m.toSite, toContainer, null, expected, 'planned', null, null, null, now]);
      }),
    );
    await deps.audit.record({
      actor,
      action: 'relocation.plan.approve',
      subject: `plan ${id}`,
      details: { moves: plan.moves.length },
    });
    return presentPlan({ ...r, state: 'approved', approved_by: actor.name, approved_at: now });
  });
}

export async function listMoves(
  db: Db,
  filter: { state?: MoveState | undefined; planId?: string | undefined },
) {
  const where: string[] = [];
  const params: string[] = [];
  if (filter.state) {
    where.push('state = ?');
    params.push(filter.state);
  }
  if (filter.planId) {
    where.push('plan_id = ?');
    params.push(filter.planId);
  }
  const rows = await db.all<MoveRow>(
    `SELECT * FROM relocation_moves ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY month, batch_id, miner_id`,
    params,
  );
  return rows.map(presentMove);
}

export type Advance = { to: MoveState; slot?: string | undefined; serialSeen?: string | undefined };

/** Takes one step of a move: checks it is allowed, updates inventory, logs the step, audits it. */
export async function advanceMove(deps: Deps, actor: Principal, id: string, req: Advance) {
  const mv = await deps.db.get<MoveRow>('SELECT * FROM relocation_moves WHERE id = ?', [id]);
  if (!mv) throw new RelocationError(`move ${id}: not found`, 404);
  let step: ReturnType<typeof stepFor>;
  try {
    step = stepFor(id, mv.state, req.to);
  } catch (e) {
    throw new RelocationError((e as Error).message, 409);
  }
  const now = deps.now();
  let detail = step.meaning;
  let to: MoveState = step.to;
  let flag: string | null = null;
  for (const op of step.commands) detail = `${detail}; ${await sendToAgent(deps, actor, mv, op)}`;
  const result = await deps.db.tx(async (tx) => {
    const miner = await getMiner(tx, mv.miner_id);
    if (!miner) throw new RelocationError(`move ${id}: miner ${mv.miner_id} is not in inventory`, 409);
    const updates: { to_slot?: string; to_container?: string; installed_at?: number; serial_seen?: string } =
      {};
    if (step.to === 'verified') {
      const v = verify(await evidence(tx, mv));
      if (v.verdict === 'wait') throw new RelocationError(`move ${id}: not verified yet: ${v.reason}`, 409);
      detail = v.reason;
      if (v.verdict === 'flagged') {
        to = 'flagged';
        flag = v.reason;
      }
    } else if (step.placement === 'slot') {
      if (req.serialSeen !== undefined) updates.serial_seen = req.serialSeen;
      if (req.serialSeen !== undefined && mv.serial_expected && req.serialSeen !== mv.serial_expected) {
        to = 'flagged';
        flag = `serial ${req.serialSeen} found at installation, expected ${mv.serial_expected}`;
        detail = flag;
      } else {
        const slotId = req.slot ?? mv.to_slot ?? (mv.mode === 'container' ? miner.slot_id : null);
        if (!slotId) throw new RelocationError(`move ${id}: installation needs a slot`, 400);
        const slot = await tx.get<{ container_id: string; site_id: string; miner_id: string | null }>(
          'SELECT s.container_id, c.site_id, s.miner_id FROM slots s JOIN containers c ON c.id = s.container_id WHERE s.id = ?',
          [slotId],
        );
        if (!slot) throw new RelocationError(`move ${id}: slot ${slotId} does not exist`, 400);
        if (slot.site_id !== mv.to_site)
          throw new RelocationError(
            `move ${id}: slot ${slotId} is at ${slot.site_id}, not ${mv.to_site}`,
            409,
          );
        if (slot.miner_id && slot.miner_id !== mv.miner_id)
          throw new RelocationError(`move ${id}: slot ${slotId} is occupied by miner ${slot.miner_id}`, 409);
        await moveMiner(
          tx,
          mv.miner_id,
          {
            siteId: mv.to_site,
            containerId: slot.container_id,
            slotId,
            status: 'in_service',
            reason: `relocation move ${id}: installed`,
          },
          { now },
        );
        Object.assign(updates, { to_slot: slotId, to_container: slot.container_id, installed_at: now });
        detail = `${detail}: ${slotId}`;
      }
    } else if (step.status !== null) {
      await moveMiner(tx, mv.miner_id, await placement(tx, mv, miner, step.placement, step.status, now), {
        now,
      });
    }
    const sets = ['state = ?', 'flag = ?', 'updated_at = ?', ...Object.keys(updates).map((k) => `${k} = ?`)];
    // Only from the state this step was checked against: a concurrent step on another replica wins.
    const changed = await tx.run(
      `UPDATE relocation_moves SET ${sets.join(', ')} WHERE id = ? AND state = ?`,
      [to, flag, now, ...Object.values(updates), id, mv.state],
    );
    if (changed.changes !== 1) throw new RelocationError(`move ${id}: changed meanwhile; reload it`, 409);
    await tx.run(
      'INSERT INTO relocation_move_events (move_id, at, from_state, to_state, actor, detail) VALUES (?, ?, ?, ?, ?, ?)',
      [id, now, mv.state, to, actor.name, detail],
    );
    await deps.audit.record({
      actor,
      action: 'relocation.move.advance',
      subject: `move ${id}`,
      details: {
        minerId: mv.miner_id,
        from: mv.state,
        to,
        detail,
        slot: req.slot ?? null,
        serialSeen: req.serialSeen ?? null,
      },
    });
    return tx.get<MoveRow>('SELECT * FROM relocation_moves WHERE id = ?', [id]);
  });
  return presentMove(result!);
}

type Miner = NonNullable<Awaited<ReturnType<typeof getMiner>>>;

/** Where the asset is after a step; a whole container keeps its miners in their slots. */
async function placement(
  db: Db,
  mv: MoveRow,
  miner: Miner,
  p: 'keep' | 'unslotted' | 'on_road' | 'destination' | 'slot',
  status: Location['status'],
  now: number,
): Promise<Location> {
  const reason = `relocation move ${mv.id}: ${status}`;
  const here = {
    siteId: miner.site_id,
    containerId: miner.container_id,
    slotId: miner.slot_id,
    status,
    reason,
  };
  if (p === 'keep' || mv.mode === 'container') {
    if (mv.mode === 'container' && p === 'destination' && miner.container_id) {
      const c = await db.get<{ name: string; site_id: string }>(
        'SELECT name, site_id FROM containers WHERE id = ?',
        [miner.container_id],
      );
      if (c && c.site_id !== mv.to_site)
        await upsertContainer(db, { id: miner.container_id, siteId: mv.to_site, name: c.name }, now);
      return { ...here, siteId: mv.to_site };
    }
    return here;
  }
  if (p === 'unslotted') return { ...here, slotId: null };
  if (p === 'on_road') return { siteId: null, containerId: null, slotId: null, status, reason };
  return { siteId: mv.to_site, containerId: null, slotId: null, status, reason };
}

/**
 * Sends one command to the agent that last reported the miner (the source container's; the
 * destination's agent never gets it); the outcome goes into the move's log either way.
 * The plan's approval (by an operator, four-eyes) authorises the command, so the technician who
 * takes the step need not hold the command role; the issuer names both.
 */
async function sendToAgent(deps: Deps, actor: Principal, mv: MoveRow, op: MoveCommand): Promise<string> {
  const minerId = mv.miner_id;
  if (!deps.issueCommand) return `${op} not sent: this controller issues no commands`;
  const plan = await deps.db.get<{ approved_by: string | null }>(
    'SELECT approved_by FROM relocation_plans WHERE id = ?',
    [mv.plan_id],
  );
  const at = await deps.db.get<{ agent_id: string; miner_key: string }>(
    'SELECT agent_id, miner_key FROM agent_miners WHERE miner_id = ? ORDER BY updated_at DESC LIMIT 1',
    [minerId],
  );
  if (!at) return `${op} not sent: no agent has reported this miner`;
  try {
    const c = await deps.issueCommand({
      actor: { ...SYSTEM, name: `relocation plan ${mv.plan_id} approved by ${plan?.approved_by ?? '?'}` },
      issuer: `relocation move ${mv.id} by ${actor.name}`,
      agentId: at.agent_id,
      minerId,
      action: { op, target: { kind: 'miner', minerKey: at.miner_key } },
    });
    return `${op} command ${c.id} to agent ${at.agent_id}: ${c.state}`;
  } catch (e) {
    return `${op} to agent ${at.agent_id} failed: ${(e as Error).message}`;
  }
}

/** What the destination says about a move since installation (see workflow.verify). */
async function evidence(db: Db, mv: MoveRow) {
  const since = Number(mv.installed_at ?? 0);
  const sample = await db.get<{ hashrate_ths: number | null; serial: string | null }>(
    `SELECT l.hashrate_ths, m.serial FROM miner_latest l JOIN miners m ON m.id = l.miner_id
     WHERE l.miner_id = ? AND l.at >= ? AND m.container_id = ?
       AND EXISTS (SELECT 1 FROM agent_miners am JOIN agents a ON a.id = am.agent_id
                   WHERE am.miner_id = l.miner_id AND a.container_id = ?)`,
    [mv.miner_id, since, mv.to_container, mv.to_container],
  );
  const occupant = mv.to_slot
    ? await db.get<{ serial: string | null }>(
        'SELECT m.serial FROM slots s JOIN miners m ON m.id = s.miner_id WHERE s.id = ? AND s.miner_id <> ?',
        [mv.to_slot, mv.miner_id],
      )
    : undefined;
  // A unit nobody planned that turned up in the destination container since the plan's approval.
  const approved = await db.get<{ approved_at: number | null }>(
    'SELECT approved_at FROM relocation_plans WHERE id = ?',
    [mv.plan_id],
  );
  const stranger = await db.get<{ serial: string | null }>(
    `SELECT serial FROM miners WHERE container_id = ? AND created_at >= ?
       AND id NOT IN (SELECT miner_id FROM relocation_moves) ORDER BY created_at LIMIT 1`,
    [mv.to_container, Number(approved?.approved_at ?? since)],
  );
  return {
    expectedSerial: mv.serial_expected,
    expectedThs: mv.expected_ths === null ? null : Number(mv.expected_ths),
    sample: sample
      ? {
          serial: sample.serial,
          hashrateThs: sample.hashrate_ths === null ? null : Number(sample.hashrate_ths),
        }
      : null,
    intruderSerial: occupant?.serial ?? stranger?.serial ?? null,
  };
}

export async function getMove(db: Db, id: string): Promise<MoveRow | undefined> {
  return db.get<MoveRow>('SELECT * FROM relocation_moves WHERE id = ?', [id]);
}

export async function moveEvents(db: Db, id: string) {
  return db.all<{ at: number; from_state: string; to_state: string; actor: string; detail: string }>(
    'SELECT at, from_state, to_state, actor, detail FROM relocation_move_events WHERE move_id = ? ORDER BY at',
    [id],
  );
}
