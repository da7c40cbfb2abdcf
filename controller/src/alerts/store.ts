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
