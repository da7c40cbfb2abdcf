import type { Migration } from '../core/storage/migrate.js';

/**
 * Desired states (every change a new version of its scope), each miner's drift with the time it
 * began, and rollouts with their per-miner items (issue 20).
 */
export const migration: Migration = {
  id: '0900_desired',
  up: `
CREATE TABLE desired_versions (
  id TEXT PRIMARY KEY,
  scope_key TEXT NOT NULL,
  scope_json TEXT NOT NULL,
  version BIGINT NOT NULL,
  spec_json TEXT NOT NULL,
  -- pending_approval, active, superseded, rejected
  state TEXT NOT NULL,
  note TEXT NOT NULL,
  -- The version this one replaced when it became active (what a rollback goes back to).
  previous_id TEXT,
  requested_by TEXT NOT NULL,
  requested_by_name TEXT NOT NULL,
  requested_by_role TEXT NOT NULL,
  approved_by TEXT,
  approved_by_name TEXT,
  approved_by_role TEXT,
  created_at BIGINT NOT NULL,
  decided_at BIGINT,
  UNIQUE (scope_key, version)
);
CREATE INDEX desired_versions_state ON desired_versions(state);
CREATE TABLE desired_drift (
  miner_id TEXT NOT NULL,
  field TEXT NOT NULL,
  desired TEXT NOT NULL,
  actual TEXT,
  version_id TEXT NOT NULL,
  since BIGINT NOT NULL,
  seen_at BIGINT NOT NULL,
  PRIMARY KEY (miner_id, field)
);
CREATE TABLE desired_rollouts (
  id TEXT PRIMARY KEY,
  version_id TEXT NOT NULL,
  scope_key TEXT NOT NULL,
  -- pending_approval, running, paused, done, aborted
  state TEXT NOT NULL,
  wave BIGINT NOT NULL,
  waves BIGINT NOT NULL,
  canary BIGINT NOT NULL,
  wave_size BIGINT NOT NULL,
  threshold_pct DOUBLE PRECISION NOT NULL,
  power_budget BIGINT NOT NULL,
  verify_timeout_ms BIGINT NOT NULL,
  reason TEXT,
  rollback_of TEXT,
  requested_by TEXT NOT NULL,
  requested_by_name TEXT NOT NULL,
  requested_by_role TEXT NOT NULL,
  approved_by TEXT,
  approved_by_name TEXT,
  approved_by_role TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  finished_at BIGINT
);
CREATE INDEX desired_rollouts_state ON desired_rollouts(state);
CREATE TABLE desired_rollout_items (
  rollout_id TEXT NOT NULL,
  miner_id TEXT NOT NULL,
  position BIGINT NOT NULL,
  wave BIGINT NOT NULL,
  container_id TEXT,
  agent_id TEXT,
  miner_key TEXT,
  actions_json TEXT NOT NULL,
  drift_json TEXT NOT NULL,
  -- queued, sent, verified, failed, refused, cancelled
  state TEXT NOT NULL,
  reason TEXT,
  command_ids_json TEXT NOT NULL,
  sent_at BIGINT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (rollout_id, miner_id)
);
`,
};

/** A site's power budget beside the container's (issue 20 item 3: per container and site). */
export const siteBudgetMigration: Migration = {
  id: '0901_desired_site_budget',
  up: `ALTER TABLE desired_rollouts ADD COLUMN site_power_budget BIGINT;`,
};
