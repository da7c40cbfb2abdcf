import { z } from 'zod';
import type { Db, SqlValue } from '../core/storage/db.js';

export const AuditQuery = z.object({
  actor: z.string().min(1).max(200).optional().describe("actor's name or token id, exact"),
  role: z.string().min(1).max(50).optional().describe("actor's role, e.g. agent"),
  action: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe(
      'exact action, or a prefix ending in "." or "*" (command. matches command.issue, command.approve)',
    ),
  subject: z.string().min(1).max(200).optional().describe('text the subject contains (case-insensitive)'),
  miner: z.string().min(1).max(200).optional().describe('miner id in the subject or the details'),
  since: z.coerce.number().int().nonnegative().optional().describe('at >= since (epoch ms)'),
  until: z.coerce.number().int().nonnegative().optional().describe('at < until (epoch ms)'),
  cursor: z.string().min(1).max(300).optional().describe('x-next-cursor of the previous page'),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export type AuditQueryInput = z.infer<typeof AuditQuery>;

/** A page boundary: the last row's (at, id); pages are newest first, ties broken by id. */
export type Cursor = { at: number; id: string };

export const encodeCursor = (c: Cursor): string =>
  Buffer.from(JSON.stringify([c.at, c.id])).toString('base64url');

export function decodeCursor(text: string): Cursor | null {
  try {
    const v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && Number.isInteger(v[0]) && typeof v[1] === 'string')
      return { at: v[0] as number, id: v[1] };
  } catch {}
  return null;
}

/** `%`, `_` and the escape itself taken literally inside a LIKE pattern. */
const likeLiteral = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The audit log query for a set of filters (pure). Fetches one row more than the limit so the
 * caller knows whether there is a next page. LOWER(..) LIKE: PostgreSQL's LIKE is case-sensitive,
 * SQLite's is not; this is the same on both.
 */
export function auditQuerySql(
  q: AuditQueryInput,
  cursor: Cursor | null,
): { sql: string; params: SqlValue[] } {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (q.actor) {
    where.push('(actor_name = ? OR actor_token_id = ?)');
    params.push(q.actor, q.actor);
  }
  if (q.role) {
    where.push('actor_role = ?');
    params.push(q.role);
  }
  if (q.action) {
    const prefix = q.action.endsWith('*') ? q.action.slice(0, -1) : q.action.endsWith('.') ? q.action : null;
    if (prefix !== null) {
      where.push("action LIKE ? ESCAPE '\\'");
      params.push(`${likeLiteral(prefix)}%`);
    } else {
      where.push('action = ?');
      params.push(q.action);
    }
  }
  if (q.subject) {
    where.push("LOWER(subject) LIKE ? ESCAPE '\\'");
    params.push(`%${likeLiteral(q.subject.toLowerCase())}%`);
  }
  if (q.miner) {
    // Entries name a miner in their subject ("miner m-17") or carry its id in their details; a
    // command's entries name the agent's key for the miner and the command id, so those are found
    // through the commands table, which knows the miner.
    where.push(
      `(subject LIKE ? ESCAPE '\\' OR details_json LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM commands c
        WHERE c.miner_id = ? AND audit_log.details_json LIKE '%"' || c.id || '"%'))`,
    );
    params.push(`%${likeLiteral(q.miner)}%`, `%"${likeLiteral(q.miner)}"%`, q.miner);
  }
  if (q.since !== undefined) {
    where.push('at >= ?');
    params.push(q.since);
  }
  if (q.until !== undefined) {
    where.push('at < ?');
    params.push(q.until);
  }
  if (cursor) {
    where.push('(at < ? OR (at = ? AND id < ?))');
    params.push(cursor.at, cursor.at, cursor.id);
  }
  const sql = `SELECT id, at, actor_token_id, actor_name, actor_role, action, subject, details_json FROM audit_log
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id DESC LIMIT ?`;
  return { sql, params: [...params, q.limit + 1] };
}

/** Runs an audit query built by auditQuerySql. */
export async function auditRows(db: Db, sql: string, params: SqlValue[]) {
  return db.all<{
    id: string;
    at: number;
    actor_token_id: string | null;
    actor_name: string;
    actor_role: string;
    action: string;
    subject: string;
    details_json: string;
  }>(sql, params);
}
