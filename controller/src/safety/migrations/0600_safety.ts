import type { Migration } from '../../core/storage/migrate.js';
import { DEFAULT_RULES } from '../defaults.js';

/**
 * Local safety rule sets, one row per revision (never updated: the history of who changed what is
 * also in the audit log), and which revision each agent was last sent, with the birth it answered,
 * so a reconnecting agent is sent the rules again.
 */
export const migration: Migration = {
  id: '0600_safety',
  up: `
CREATE TABLE safety_rule_sets (
  revision BIGINT PRIMARY KEY,
  rules_json TEXT NOT NULL,
  model_limits_json TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE TABLE safety_published (
  agent_id TEXT PRIMARY KEY,
  revision BIGINT NOT NULL,
  birth_at BIGINT,
  published_at BIGINT NOT NULL
);
INSERT INTO safety_rule_sets (revision, rules_json, model_limits_json, created_at, created_by)
VALUES (1, '${JSON.stringify(DEFAULT_RULES)}', '{}', 0, 'system');
CREATE INDEX audit_log_action ON audit_log(action, at)
`,
};
