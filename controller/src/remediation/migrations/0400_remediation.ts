import type { Migration } from '../../core/storage/migrate.js';

/**
 * Every step of the escalation ladder with its outcome (pending while it waits for
 * verification), and the per-site overrides of the throttles. Reads `alerts` (0300_alerts),
 * `commands` and `tickets` (0401_tickets) by id.
 */
export const migration: Migration = {
  id: '0400_remediation',
  up: `
CREATE TABLE remediation_steps (
  id TEXT PRIMARY KEY,
  seq BIGINT NOT NULL,
  miner_id TEXT NOT NULL,
  alert_id TEXT NOT NULL,
  alert_kind TEXT NOT NULL,
  container_id TEXT,
  site_id TEXT,
  rung TEXT NOT NULL,
  outcome TEXT NOT NULL,
  code TEXT,
  reason TEXT NOT NULL,
  command_id TEXT,
  transport TEXT,
  ticket_id TEXT,
  at BIGINT NOT NULL,
  verify_by BIGINT,
  settled_at BIGINT,
  result TEXT
);
CREATE INDEX remediation_steps_miner ON remediation_steps(miner_id, at);
CREATE UNIQUE INDEX remediation_steps_seq ON remediation_steps(seq);
CREATE INDEX remediation_steps_outcome ON remediation_steps(outcome);
CREATE INDEX remediation_steps_alert ON remediation_steps(alert_id);
CREATE TABLE remediation_settings (
  site_id TEXT PRIMARY KEY,
  settings_json TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  updated_by TEXT NOT NULL
)
`,
};
