import { randomUUID } from 'node:crypto';
import type { Audit } from '../core/audit.js';
import type { Principal } from '../core/auth/roles.js';
import type { Db } from '../core/storage/db.js';
import { refuseMove, type TicketState } from './workflow.js';

/** A refusal the HTTP layer turns into a status code. */
export class TicketError extends Error {
  constructor(
    readonly statusCode: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

export type TicketRow = {
  id: string;
  state: TicketState;
  title: string;
  miner_id: string | null;
  slot_id: string | null;
  container_id: string | null;
  site_id: string | null;
  alert_id: string | null;
  source: 'remediation' | 'person';
  created_by: string;
  assignee: string | null;
  created_at: number;
  updated_at: number;
  done_at: number | null;
};

export type NoteRow = { id: string; ticket_id: string; n: number; at: number; author: string; text: string };

export type TicketDeps = { db: Db; audit: Audit; now(): number };

export type NewTicket = {
  title: string;
  minerId?: string | null;
  slotId?: string | null;
  containerId?: string | null;
  alertId?: string | null;
  note?: string | null;
  source: 'remediation' | 'person';
};

const OPEN_STATES = "('open', 'in_progress')";

/** Where a miner is (slot, container, site), so a ticket says where to walk to. */
async function placeOf(db: Db, minerId: string) {
  return db.get<{ slot_id: string | null; container_id: string | null; site_id: string | null }>(
    'SELECT slot_id, container_id, site_id FROM miners WHERE id = ?',
    [minerId],
  );
}

async function addNote(deps: TicketDeps, ticketId: string, author: string, text: string) {
  // n: the note's place on its ticket (notes written in the same millisecond keep their order).
  await deps.db.run(
    `INSERT INTO ticket_notes (id, ticket_id, n, at, author, text)
     VALUES (?, ?, (SELECT COALESCE(MAX(n), 0) + 1 FROM ticket_notes WHERE ticket_id = ?), ?, ?, ?)`,
    [randomUUID(), ticketId, ticketId, deps.now(), author, text],
  );
}

export async function openTicket(deps: TicketDeps, actor: Principal, t: NewTicket): Promise<TicketRow> {
  const { db, audit } = deps;
  let place = {
    slot_id: t.slotId ?? null,
    container_id: t.containerId ?? null,
    site_id: null as string | null,
  };
  if (t.minerId) {
    const found = await placeOf(db, t.minerId);
    if (!found) throw new TicketError(404, `miner ${t.minerId}: not found`);
    place = {
      slot_id: place.slot_id ?? found.slot_id,
      container_id: place.container_id ?? found.container_id,
      site_id: found.site_id,
    };
  }
  if (!place.site_id && place.container_id) {
    const c = await db.get<{ site_id: string }>('SELECT site_id FROM containers WHERE id = ?', [
      place.container_id,
    ]);
    if (!c) throw new TicketError(404, `container ${place.container_id}: not found`);
    place.site_id = c.site_id;
  }
  const id = randomUUID();
  const at = deps.now();
  return db.tx(async (tx) => {
    const inTx = { ...deps, db: tx };
    await tx.run(
      `INSERT INTO tickets (id, state, title, miner_id, slot_id, container_id, site_id, alert_id, source, created_by,
         assignee, created_at, updated_at, done_at)
       VALUES (?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, NULL)`,
      [
        id,
        t.title,
        t.minerId ?? null,
        place.slot_id,
        place.container_id,
        place.site_id,
        t.alertId ?? null,
        t.source,
        actor.name,
        at,
        at,
      ],
    );
    if (t.note) await addNote(inTx, id, actor.name, t.note);
    await audit.record({
      actor,
      action: 'ticket.open',
      subject: `ticket ${id}`,
      details: {
        title: t.title,
        minerId: t.minerId ?? null,
        slotId: place.slot_id,
        alertId: t.alertId ?? null,
      },
    });
    return (await tx.get<TicketRow>('SELECT * FROM tickets WHERE id = ?', [id]))!;
  });
}

/** The miner's ticket still being worked on, if any. */
/** The container a slot is in; undefined for an unknown slot. */
export async function slotContainer(db: Db, slotId: string) {
  return db.get<{ container_id: string }>('SELECT container_id FROM slots WHERE id = ?', [slotId]);
}

export function openTicketOf(db: Db, minerId: string): Promise<TicketRow | undefined> {
  return db.get<TicketRow>(
    `SELECT * FROM tickets WHERE miner_id = ? AND state IN ${OPEN_STATES} ORDER BY created_at LIMIT 1`,
    [minerId],
  );
}

/**
 * A ticket for the miner: its open one gets the note (one job per miner at a time, however many
 * alerts lead there), otherwise a new one.
 */
export async function ticketForMiner(
  deps: TicketDeps,
  actor: Principal,
  t: NewTicket & { minerId: string },
): Promise<{ ticket: TicketRow; created: boolean }> {
  const existing = await openTicketOf(deps.db, t.minerId);
  if (!existing) return { ticket: await openTicket(deps, actor, t), created: true };
  await deps.db.tx(async (tx) => {
    await addNote({ ...deps, db: tx }, existing.id, actor.name, t.note ? `${t.title}: ${t.note}` : t.title);
    await tx.run('UPDATE tickets SET updated_at = ? WHERE id = ?', [deps.now(), existing.id]);
    await deps.audit.record({
      actor,
      action: 'ticket.note',
      subject: `ticket ${existing.id}`,
      details: { title: t.title, note: t.note ?? null, alertId: t.alertId ?? null },
    });
  });
  return { ticket: existing, created: false };
}

export type TicketFilter = {
  state?: TicketState;
  minerId?: string;
  containerId?: string;
  siteId?: string;
  assignee?: string;
  limit?: number;
};

export function listTickets(db: Db, f: TicketFilter): Promise<TicketRow[]> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  for (const [col, v] of [
    ['state', f.state],
    ['miner_id', f.minerId],
    ['container_id', f.containerId],
    ['site_id', f.siteId],
    ['assignee', f.assignee],
  ] as const) {
    if (v === undefined) continue;
    where.push(`${col} = ?`);
    params.push(v);
  }
  params.push(f.limit ?? 500);
  return db.all<TicketRow>(
    `SELECT * FROM tickets ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY CASE state WHEN 'open' THEN 0 WHEN 'in_progress' THEN 1 ELSE 2 END, created_at DESC LIMIT ?`,
    params,
  );
}

export async function getTicket(db: Db, id: string): Promise<{ ticket: TicketRow; notes: NoteRow[] }> {
  const ticket = await db.get<TicketRow>('SELECT * FROM tickets WHERE id = ?', [id]);
  if (!ticket) throw new TicketError(404, `ticket ${id}: not found`);
  const notes = await db.all<NoteRow>('SELECT * FROM ticket_notes WHERE ticket_id = ? ORDER BY n', [id]);
  return { ticket, notes };
}

export type TicketChange = { state?: TicketState; assignee?: string | null; note?: string };

/** One change (state, assignee, a note), checked against the workflow, audited with before and after. */
export async function changeTicket(
  deps: TicketDeps,
  actor: Principal,
  id: string,
  change: TicketChange,
): Promise<TicketRow> {
  return deps.db.tx(async (tx) => {
    const before = await tx.get<TicketRow>('SELECT * FROM tickets WHERE id = ?', [id]);
    if (!before) throw new TicketError(404, `ticket ${id}: not found`);
    const state = change.state ?? before.state;
    const refusal = refuseMove(before.state, state);
    if (refusal) throw new TicketError(409, `ticket ${id}: ${refusal}`);
    if (before.state === 'done' && (change.assignee !== undefined || change.note))
      throw new TicketError(409, `ticket ${id}: is done; open a new ticket for new work`);
    const assignee = change.assignee === undefined ? before.assignee : change.assignee;
    const at = deps.now();
    await tx.run('UPDATE tickets SET state = ?, assignee = ?, updated_at = ?, done_at = ? WHERE id = ?', [
      state,
      assignee,
      at,
      state === 'done' ? (before.done_at ?? at) : null,
      id,
    ]);
    if (change.note) await addNote({ ...deps, db: tx }, id, actor.name, change.note);
    await deps.audit.record({
      actor,
      action: state === 'done' && before.state !== 'done' ? 'ticket.close' : 'ticket.update',
      subject: `ticket ${id}`,
      details: {
        from: { state: before.state, assignee: before.assignee },
        to: { state, assignee },
        note: change.note ?? null,
      },
    });
    return (await tx.get<TicketRow>('SELECT * FROM tickets WHERE id = ?', [id]))!;
  });
}

export function presentTicket(t: TicketRow) {
  return {
    id: t.id,
    state: t.state,
    title: t.title,
    minerId: t.miner_id,
    slotId: t.slot_id,
    containerId: t.container_id,
    siteId: t.site_id,
    alertId: t.alert_id,
    source: t.source,
    createdBy: t.created_by,
    assignee: t.assignee,
    createdAt: t.created_at,
    updatedAt: t.updated_at,
    doneAt: t.done_at,
  };
}
