import { randomUUID } from 'node:crypto';
import type { Principal } from './auth/roles.js';
import type { Db } from './storage/db.js';

export type AuditEntry = { actor: Principal; action: string; subject: string; details: unknown };

/** The append-only audit log: there is no update or delete path (and the database refuses one). */
export type Audit = {
  /** Records one entry; inside a `db.tx` it joins that transaction. */
  record(entry: AuditEntry): Promise<void>;
};

/** Keys whose values never reach the audit log (secrets never in logs). */
const SECRET_KEYS = /pass(word)?|secret|token/i;

export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? '***' : redactSecrets(v);
    return out;
  }
  return value;
}

export function createAudit(db: Db, now: () => number): Audit {
  return {
    async record({ actor, action, subject, details }) {
      await db.run(
        `INSERT INTO audit_log (id, at, actor_token_id, actor_name, actor_role, action, subject, details_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          randomUUID(),
          now(),
          actor.tokenId,
          actor.name,
          actor.role,
          action,
          subject,
          JSON.stringify(redactSecrets(details ?? null)),
        ],
      );
    },
  };
}
