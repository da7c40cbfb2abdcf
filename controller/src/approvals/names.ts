import type { Db } from '../core/storage/db.js';

/** What a person reads for an internal id found in an audit entry or an inbox item. */
export type NamedId = {
  kind: 'plan' | 'bulk' | 'command' | 'miner' | 'token' | 'ticket' | 'alert';
  name: string;
  /** The miner a command, ticket or alert is about, when it has one (for a link). */
  minerId: string | null;
};

/** A miner's words: container rack/slot, else asset code, serial or model (ui/app/shapes.ts minerName). */
const minerWords = (m: {
  container_id: string | null;
  rack: string | null;
  slot: string | null;
  asset_code: string | null;
  serial: string | null;
  model: string | null;
}) =>
  m.rack && m.slot
    ? [m.container_id, `${m.rack}/${m.slot}`, m.serial].filter(Boolean).join(' ')
    : (m.asset_code ?? m.serial ?? m.model ?? '–');

const MINER_COLUMNS = `m.container_id, s.rack, s.slot, m.asset_code, m.serial, m.model`;

/**
 * Names for ids, one query per kind (ids of any kind, mixed; unknown ids are left out). Each kind
 * reads its owner's table the way that feature presents it: a plan by its name, a bulk job by its
 * operation and profile, a command by its operation and miner, a token by its person's name.
 */
export async function namesOf(db: Db, ids: string[]): Promise<Record<string, NamedId>> {
  const unique = [...new Set(ids)].slice(0, 1000);
  const out: Record<string, NamedId> = {};
  if (unique.length === 0) return out;
  const inList = `(${unique.map(() => '?').join(', ')})`;
  const set = (id: string, v: NamedId) => {
    out[id] = v;
  };
  for (const r of await db.all<{ id: string; name: string }>(
    `SELECT id, name FROM relocation_plans WHERE id IN ${inList}`,
    unique,
  ))
    set(r.id, { kind: 'plan', name: r.name, minerId: null });
  for (const r of await db.all<{ id: string; op: string; ref: string | null }>(
    `SELECT id, op, ref FROM bulk_jobs WHERE id IN ${inList}`,
    unique,
  ))
    set(r.id, { kind: 'bulk', name: [r.op, r.ref].filter(Boolean).join(' '), minerId: null });
  type MinerCols = Parameters<typeof minerWords>[0];
  for (const r of await db.all<
    { id: string; op: string; miner_id: string | null; target: string } & MinerCols
  >(
    `SELECT c.id, c.op, c.miner_id, c.target, ${MINER_COLUMNS} FROM commands c
     LEFT JOIN miners m ON m.id = c.miner_id LEFT JOIN slots s ON s.id = m.slot_id WHERE c.id IN ${inList}`,
    unique,
  ))
    set(r.id, {
      kind: 'command',
      name: `${r.op} ${r.miner_id ? minerWords(r) : r.target}`,
      minerId: r.miner_id,
    });
  for (const r of await db.all<{ id: string } & MinerCols>(
    `SELECT m.id, ${MINER_COLUMNS} FROM miners m LEFT JOIN slots s ON s.id = m.slot_id WHERE m.id IN ${inList}`,
    unique,
  ))
    set(r.id, { kind: 'miner', name: minerWords(r), minerId: r.id });
  for (const r of await db.all<{ id: string; name: string }>(
    `SELECT id, name FROM api_tokens WHERE id IN ${inList}`,
    unique,
  ))
    set(r.id, { kind: 'token', name: r.name, minerId: null });
  for (const r of await db.all<{ id: string; title: string; miner_id: string | null }>(
    `SELECT id, title, miner_id FROM tickets WHERE id IN ${inList}`,
    unique,
  ))
    set(r.id, { kind: 'ticket', name: r.title, minerId: r.miner_id });
  for (const r of await db.all<
    { id: string; kind: string; subject: string; miner_id: string | null } & MinerCols
  >(
    `SELECT a.id, a.kind, a.subject, a.miner_id, ${MINER_COLUMNS} FROM alerts a
     LEFT JOIN miners m ON m.id = a.miner_id LEFT JOIN slots s ON s.id = m.slot_id WHERE a.id IN ${inList}`,
    unique,
  ))
    set(r.id, {
      kind: 'alert',
      name: `${r.kind} ${r.miner_id ? minerWords(r) : r.subject}`,
      minerId: r.miner_id,
    });
  return out;
}
