import { randomUUID } from 'node:crypto';
import type { Db } from '../core/storage/db.js';
import type { StepOutcome, StepRecord } from './ladder.js';
import type { Rung } from './ladders.js';
import {
  mergeSettings,
  OverridesSchema,
  type RemediationSettings,
  type SettingsOverrides,
} from './settings.js';

/** Miners per `IN (...)` query: well under SQLite's and PostgreSQL's parameter limits. */
export const CHUNK = 500;

export type StepRow = {
  id: string;
  seq: number;
  miner_id: string;
  alert_id: string;
  alert_kind: string;
  container_id: string | null;
  site_id: string | null;
  rung: Rung;
  outcome: StepOutcome;
  code: string | null;
  reason: string;
  command_id: string | null;
  transport: string | null;
  ticket_id: string | null;
  at: number;
  verify_by: number | null;
  settled_at: number | null;
  result: string | null;
};

export type NewStep = Omit<StepRow, 'id' | 'seq' | 'settled_at' | 'result'> & { result?: string | null };

export async function insertStep(db: Db, s: NewStep): Promise<string> {
  const id = randomUUID();
  await db.run(
    // seq orders steps recorded in the same millisecond (one tick records several); the job is a singleton.
    `INSERT INTO remediation_steps (id, seq, miner_id, alert_id, alert_kind, container_id, site_id, rung, outcome, code, reason,
       command_id, transport, ticket_id, at, verify_by, settled_at, result)
     VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM remediation_steps), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
    [
      id,
      s.miner_id,
      s.alert_id,
      s.alert_kind,
      s.container_id,
      s.site_id,
      s.rung,
      s.outcome,
      s.code,
      s.reason,
      s.command_id,
      s.transport,
      s.ticket_id,
      s.at,
      s.verify_by,
      s.result ?? null,
    ],
  );
  return id;
}

/** A miner's steps as the ladder reads them, with each ticket step's ticket state. */
export async function ladderSteps(
  db: Db,
  minerIds: readonly string[],
  since: number,
): Promise<Map<string, StepRecord[]>> {
  const out = new Map<string, StepRecord[]>();
  // In slices, so a site-wide outage does not exceed the drivers' parameter limits.
  for (let i = 0; i < minerIds.length; i += CHUNK) {
    const ids = minerIds.slice(i, i + CHUNK);
    const rows = await db.all<{
      miner_id: string;
      alert_id: string;
      rung: Rung;
      at: number;
      outcome: StepOutcome;
      code: string | null;
      ticket_state: 'open' | 'in_progress' | 'done' | null;
      ticket_done_at: number | null;
    }>(
      `SELECT s.miner_id, s.alert_id, s.rung, s.at, s.outcome, s.code, t.state AS ticket_state, t.done_at AS ticket_done_at
       FROM remediation_steps s LEFT JOIN tickets t ON t.id = s.ticket_id
       WHERE s.miner_id IN (${ids.map(() => '?').join(',')})
         AND (s.at > ? OR s.outcome = 'pending' OR s.alert_id IN (SELECT id FROM alerts WHERE state = 'open'))
       ORDER BY s.seq`,
      [...ids, since],
    );
    for (const r of rows) {
      const list = out.get(r.miner_id) ?? [];
      list.push({
        alertId: r.alert_id,
        rung: r.rung,
        at: Number(r.at),
        outcome: r.outcome,
        code: r.code,
        ticketState: r.ticket_state,
        ticketDoneAt: r.ticket_done_at === null ? null : Number(r.ticket_done_at),
      });
      out.set(r.miner_id, list);
    }
  }
  return out;
}

/** Each site's settings (defaults merged with its overrides); a corrupt row falls back to the defaults. */
export async function siteSettings(db: Db): Promise<(siteId: string | null) => RemediationSettings> {
  const rows = await db.all<{ site_id: string; settings_json: string }>(
    'SELECT site_id, settings_json FROM remediation_settings',
  );
  const bySite = new Map<string, RemediationSettings>();
  for (const r of rows) {
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(r.settings_json);
    } catch {
      // fall through: defaults
    }
    const o = OverridesSchema.safeParse(parsed);
    bySite.set(r.site_id, mergeSettings(o.success ? o.data : null));
  }
  return (siteId) => (siteId ? bySite.get(siteId) : undefined) ?? mergeSettings(null);
}

export function presentStep(s: StepRow & { command_state?: string | null; command_result?: string | null }) {
  return {
    id: s.id,
    minerId: s.miner_id,
    alertId: s.alert_id,
    alertKind: s.alert_kind,
    containerId: s.container_id,
    siteId: s.site_id,
    rung: s.rung,
    outcome: s.outcome,
    code: s.code,
    reason: s.reason,
    commandId: s.command_id,
    commandState: s.command_state ?? null,
    transport: s.transport,
    ticketId: s.ticket_id,
    at: Number(s.at),
    verifyBy: s.verify_by === null ? null : Number(s.verify_by),
    settledAt: s.settled_at === null ? null : Number(s.settled_at),
    result: s.result,
  };
}

/** Ladder steps newest first, of one miner and/or alert, with the state of the command each sent. */
export async function listSteps(db: Db, q: { minerId?: string; alertId?: string; limit: number }) {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (q.minerId) {
    where.push('s.miner_id = ?');
    params.push(q.minerId);
  }
  if (q.alertId) {
    where.push('s.alert_id = ?');
    params.push(q.alertId);
  }
  params.push(q.limit);
  return db.all<StepRow & { command_state: string | null }>(
    `SELECT s.*, c.state AS command_state FROM remediation_steps s LEFT JOIN commands c ON c.id = s.command_id
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.seq DESC LIMIT ?`,
    params,
  );
}

/** Every site's stored settings overrides (JSON), in site order. */
export async function allSiteSettings(db: Db) {
  return db.all<{ site_id: string; settings_json: string }>(
    'SELECT site_id, settings_json FROM remediation_settings ORDER BY site_id',
  );
}

/** One site's stored settings overrides (JSON); undefined when it has none. */
export async function siteSettingsRow(db: Db, siteId: string) {
  return db.get<{ settings_json: string }>(
    'SELECT settings_json FROM remediation_settings WHERE site_id = ?',
    [siteId],
  );
}

/** Stores a site's settings overrides (replacing what it had). */
export async function putSiteSettings(
  db: Db,
  siteId: string,
  overrides: SettingsOverrides,
  now: number,
  by: string,
): Promise<void> {
  await db.run(
    `INSERT INTO remediation_settings (site_id, settings_json, updated_at, updated_by) VALUES (?, ?, ?, ?)
           ON CONFLICT (site_id) DO UPDATE SET settings_json = excluded.settings_json, updated_at = excluded.updated_at,
             updated_by = excluded.updated_by`,
    [siteId, JSON.stringify(overrides), now, by],
  );
}
