import type { Db, SqlValue } from '../core/storage/db.js';
import type { AlertRecord } from './notify.js';
import { defaultRules, type Rule, type RuleRow, ruleFromRow } from './rules.js';

export type AlertRow = {
  id: string;
  rule_id: string;
  kind: string;
  subject: string;
  miner_id: string | null;
  container_id: string | null;
  site_id: string | null;
  agent_id: string | null;
  severity: string;
  state: string;
  opened_at: number;
  updated_at: number;
  resolved_at: number | null;
  value: number | null;
  threshold: number | null;
  message: string;
  details_json: string;
  acked_at: number | null;
  acked_by: string | null;
};

export const alertFromRow = (
  r: AlertRow,
): AlertRecord & { ackedAt: number | null; ackedBy: string | null } => ({
  id: r.id,
  ruleId: r.rule_id,
  kind: r.kind,
  subject: r.subject,
  minerId: r.miner_id,
  containerId: r.container_id,
  siteId: r.site_id,
  agentId: r.agent_id,
  severity: r.severity,
  state: r.state as 'open' | 'resolved',
  openedAt: r.opened_at,
  updatedAt: r.updated_at,
  resolvedAt: r.resolved_at,
  value: r.value,
  threshold: r.threshold,
  message: r.message,
  details: JSON.parse(r.details_json) as Record<string, unknown>,
  ackedAt: r.acked_at,
  ackedBy: r.acked_by,
});

const RULE_COLUMNS = `id, kind, scope, scope_id, severity, enabled, threshold, clear_threshold, for_polls, for_ms,
  clear_polls, params_json, created_at, updated_at, updated_by`;

export const ruleValues = (r: Rule, createdAt: number): SqlValue[] => [
  r.id,
  r.kind,
  r.scope,
  r.scopeId,
  r.severity,
  r.enabled ? 1 : 0,
  r.threshold,
  r.clearThreshold,
  r.forPolls,
  r.forMs,
  r.clearPolls,
  JSON.stringify(r.params),
  createdAt,
  r.updatedAt,
  r.updatedBy,
];

export async function loadRules(db: Db): Promise<Rule[]> {
  const rows = await db.all<RuleRow>(
    `SELECT ${RULE_COLUMNS} FROM alert_rules ORDER BY kind, scope, scope_id`,
  );
  return rows.map(ruleFromRow);
}

export async function getRule(db: Db, id: string): Promise<Rule | undefined> {
  const row = await db.get<RuleRow>(`SELECT ${RULE_COLUMNS} FROM alert_rules WHERE id = ?`, [id]);
  return row ? ruleFromRow(row) : undefined;
}

export async function insertRule(db: Db, r: Rule, now: number): Promise<number> {
  const res = await db.run(
    `INSERT INTO alert_rules (${RULE_COLUMNS}) VALUES (${Array(15).fill('?').join(', ')}) ON CONFLICT DO NOTHING`,
    ruleValues(r, now),
  );
  return res.changes;
}

export async function updateRule(db: Db, r: Rule): Promise<void> {
  await db.run(
    `UPDATE alert_rules SET kind = ?, scope = ?, scope_id = ?, severity = ?, enabled = ?, threshold = ?, clear_threshold = ?,
       for_polls = ?, for_ms = ?, clear_polls = ?, params_json = ?, updated_at = ?, updated_by = ? WHERE id = ?`,
    [...ruleValues(r, 0).slice(1, 12), r.updatedAt, r.updatedBy, r.id],
  );
}

/** Seeds the global rule of every kind that has none yet (an operator's edits are kept). */
export async function seedDefaultRules(db: Db, now: number): Promise<number> {
  let n = 0;
  for (const r of defaultRules(now)) n += await insertRule(db, r, now);
  return n;
}

/** Alerts that match, open and critical first, each with its miner's rack and slot and any silence in force at `now`. */
export async function listAlerts(
  db: Db,
  q: { state?: string; site?: string; container?: string; miner?: string; kind?: string; limit: number },
  now: number,
) {
  const where: string[] = [];
  const params: SqlValue[] = [];
  const add = (sql: string, v: string | undefined) => {
    if (v === undefined) return;
    where.push(sql);
    params.push(v);
  };
  add('a.state = ?', q.state);
  add('a.site_id = ?', q.site);
  add('a.container_id = ?', q.container);
  add('a.miner_id = ?', q.miner);
  add('a.kind = ?', q.kind);
  return db.all<AlertRow & { rack: string | null; slot: string | null; silenced_until: number | null }>(
    `SELECT a.*, s.rack, s.slot,
     (SELECT MAX(x.until_at) FROM alert_silences x
      WHERE x.subject = a.subject AND (x.kind IS NULL OR x.kind = a.kind) AND x.until_at > ?) AS silenced_until
   FROM alerts a LEFT JOIN miners m ON m.id = a.miner_id LEFT JOIN slots s ON s.id = m.slot_id
   ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
   ORDER BY CASE a.state WHEN 'open' THEN 0 ELSE 1 END, CASE a.severity WHEN 'critical' THEN 0 ELSE 1 END,
     a.opened_at DESC LIMIT ?`,
    [now, ...params, q.limit],
  );
}

export async function getAlertRow(db: Db, id: string): Promise<AlertRow | undefined> {
  return db.get<AlertRow>('SELECT * FROM alerts WHERE id = ?', [id]);
}

/** Marks an alert acknowledged; false when there is no such alert. */
export async function ackAlert(db: Db, id: string, now: number, by: string): Promise<boolean> {
  const r = await db.run('UPDATE alerts SET acked_at = ?, acked_by = ? WHERE id = ?', [now, by, id]);
  return r.changes !== 0;
}

export async function insertSilence(
  db: Db,
  silence: { id: string; subject: string; kind: string; untilAt: number },
  reason: string,
  by: string,
  now: number,
): Promise<void> {
  await db.run(
    `INSERT INTO alert_silences (id, subject, kind, until_at, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [silence.id, silence.subject, silence.kind, silence.untilAt, reason, by, now],
  );
}

export async function deleteRule(db: Db, id: string): Promise<void> {
  await db.run('DELETE FROM alert_rules WHERE id = ?', [id]);
}

/** Webhook endpoints, oldest first; whether each signs, never its secret. */
export async function listWebhooks(db: Db) {
  return db.all<{
    id: string;
    url: string;
    site_id: string | null;
    min_severity: string;
    enabled: number;
    signed: number;
  }>(
    `SELECT id, url, site_id, min_severity, enabled, CASE WHEN secret IS NULL THEN 0 ELSE 1 END AS signed
         FROM alert_webhooks ORDER BY created_at`,
  );
}

export async function insertWebhook(
  db: Db,
  hook: { id: string; url: string; siteId: string | null; minSeverity: string },
  secret: string | null,
  now: number,
  by: string,
): Promise<void> {
  await db.run(
    `INSERT INTO alert_webhooks (id, url, site_id, min_severity, enabled, created_at, created_by, secret)
           VALUES (?, ?, ?, ?, 1, ?, ?, ?)`,
    [hook.id, hook.url, hook.siteId, hook.minSeverity, now, by, secret],
  );
}

/** Removes a webhook endpoint; false when there is no such endpoint. */
export async function deleteWebhook(db: Db, id: string): Promise<boolean> {
  const r = await db.run('DELETE FROM alert_webhooks WHERE id = ?', [id]);
  return r.changes !== 0;
}

/** A miner's id and the pool and worker of its last sample; undefined for an unknown miner. */
export async function minerPool(db: Db, minerId: string) {
  return db.get<{ id: string; pool_url: string | null; pool_user: string | null }>(
    'SELECT m.id, l.pool_url, l.pool_user FROM miners m LEFT JOIN miner_latest l ON l.miner_id = m.id WHERE m.id = ?',
    [minerId],
  );
}

export async function knownWorkerOf(db: Db, minerId: string) {
  return db.get('SELECT pool_url, worker, source, at FROM alert_known_workers WHERE miner_id = ?', [minerId]);
}

/** Stores a miner's known-good pool worker (replacing the one it had). */
export async function putKnownWorker(
  db: Db,
  known: { minerId: string; poolUrl: string; worker: string; source: string; at: number },
): Promise<void> {
  await db.run(
    `INSERT INTO alert_known_workers (miner_id, pool_url, worker, source, at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (miner_id) DO UPDATE SET pool_url = excluded.pool_url, worker = excluded.worker,
             source = excluded.source, at = excluded.at`,
    [known.minerId, known.poolUrl, known.worker, known.source, known.at],
  );
}

export async function listWorkerPatterns(db: Db) {
  return db.all<{ site_id: string; pattern: string; created_at: number; created_by: string }>(
    'SELECT site_id, pattern, created_at, created_by FROM alert_worker_patterns ORDER BY site_id, pattern',
  );
}

/** Adds a known-good worker pattern at a site; false when it was there already. */
export async function addWorkerPattern(
  db: Db,
  p: { siteId: string; pattern: string; createdAt: number; createdBy: string },
): Promise<boolean> {
  const r = await db.run(
    `INSERT INTO alert_worker_patterns (site_id, pattern, created_at, created_by) VALUES (?, ?, ?, ?)
           ON CONFLICT (site_id, pattern) DO NOTHING`,
    [p.siteId, p.pattern, p.createdAt, p.createdBy],
  );
  return r.changes !== 0;
}

/** Removes a known-good worker pattern; false when there was none. */
export async function removeWorkerPattern(db: Db, siteId: string, pattern: string): Promise<boolean> {
  const r = await db.run('DELETE FROM alert_worker_patterns WHERE site_id = ? AND pattern = ?', [
    siteId,
    pattern,
  ]);
  return r.changes !== 0;
}
