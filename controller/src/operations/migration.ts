import type { Migration } from '../core/storage/migrate.js';

/**
 * Command tracking (a retry links to what it retries), bulk jobs with per-miner items, operating
 * profiles, and curtailment schedules with the state of each miner they act on.
 */
export const migration: Migration = {
  id: '0500_operations',
  up: `
ALTER TABLE commands ADD COLUMN retry_of TEXT;
ALTER TABLE commands ADD COLUMN bulk_job_id TEXT;
CREATE INDEX commands_state ON commands(state, expires_at);
CREATE TABLE bulk_jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  ref TEXT,
  op TEXT NOT NULL,
  selector_json TEXT NOT NULL,
  params_json TEXT NOT NULL,
  batch_size BIGINT NOT NULL,
  pause_ms BIGINT NOT NULL,
  issuer TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  requested_by_name TEXT NOT NULL,
  requested_by_role TEXT NOT NULL,
  approved_by TEXT,
  approved_by_name TEXT,
  approved_by_role TEXT,
  state TEXT NOT NULL,
  next_batch BIGINT NOT NULL,
  next_batch_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  finished_at BIGINT
);
CREATE INDEX bulk_jobs_state ON bulk_jobs(state);
CREATE TABLE bulk_items (
  job_id TEXT NOT NULL,
  miner_id TEXT NOT NULL,
  -- Place in the selection (container, slot, miner): the order miners are sent in.
  position BIGINT NOT NULL,
  batch BIGINT NOT NULL,
  agent_id TEXT,
  miner_key TEXT,
  actions_json TEXT NOT NULL,
  previous_json TEXT,
  verify_json TEXT,
  state TEXT NOT NULL,
  reason TEXT,
  command_ids_json TEXT NOT NULL,
  sent_at BIGINT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (job_id, miner_id)
);
CREATE TABLE operating_profiles (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL,
  profile_json TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE curtailment_schedules (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  site_id TEXT NOT NULL,
  schedule_json TEXT NOT NULL,
  enabled BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_step_at BIGINT
);
CREATE TABLE curtailment_miners (
  schedule_id TEXT NOT NULL,
  miner_id TEXT NOT NULL,
  state TEXT NOT NULL,
  command_id TEXT,
  changed_at BIGINT NOT NULL,
  PRIMARY KEY (schedule_id, miner_id)
)
`,
};
