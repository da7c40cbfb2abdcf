import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../storage/db.js';
import { type AgentPlace, bindAgentPlaces } from './agent-places.js';
import { type Principal, type Role, RoleSchema } from './roles.js';

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Creates an API token and returns its plaintext (shown once; only the sha256 is stored).
 * For role `agent` the name is the agent id (it is also the broker username); `places` binds the
 * agent to the containers it may speak for (core/auth/agent-places.ts).
 */
export async function createToken(
  db: Db,
  opts: { role: Role; name: string; stakerId?: string | null; token?: string; places?: AgentPlace[] },
  now = Date.now(),
): Promise<string> {
  const role = RoleSchema.parse(opts.role);
  if (role === 'staker' && !opts.stakerId)
    throw new Error(`token ${opts.name}: role staker needs a stakerId`);
  if (!opts.name) throw new Error('token: name is required');
  if (opts.places?.length && role !== 'agent')
    throw new Error(`token ${opts.name}: only an agent token is bound to places`);
  const token = opts.token ?? `hf_${randomBytes(24).toString('base64url')}`;
  await db.run(
    'INSERT INTO api_tokens (id, name, role, staker_id, token_hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, NULL)',
    [randomUUID(), opts.name, role, opts.stakerId ?? null, hashToken(token), now],
  );
  if (opts.places?.length) await bindAgentPlaces(db, opts.name, opts.places, now);
  return token;
}

type TokenRow = { id: string; name: string; role: Role; staker_id: string | null };

/** The principal for a plaintext token; null when unknown or revoked. */
export async function resolveToken(db: Db, token: string): Promise<Principal | null> {
  const row = await db.get<TokenRow>(
    'SELECT id, name, role, staker_id FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL',
    [hashToken(token)],
  );
  return row ? { tokenId: row.id, role: row.role, stakerId: row.staker_id, name: row.name } : null;
}

export async function revokeToken(db: Db, tokenId: string, now = Date.now()): Promise<boolean> {
  const r = await db.run('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [
    now,
    tokenId,
  ]);
  return r.changes > 0;
}

/** Every API token (never its hash), oldest first. */
export async function listTokens(db: Db) {
  return db.all<{
    id: string;
    name: string;
    role: string;
    staker_id: string | null;
    created_at: number;
    revoked_at: number | null;
  }>('SELECT id, name, role, staker_id, created_at, revoked_at FROM api_tokens ORDER BY created_at');
}
