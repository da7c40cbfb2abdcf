import type { Migration } from '../../core/storage/migrate.js';

/**
 * Plans as proposed (the planner's input and output, kept whole so a plan can be explained and
 * compared later), the moves of approved plans with their workflow state, and every step taken.
 */
export const migration: Migration = {
  id: '0200_relocation',
  up: `
CREATE TABLE relocation_plans (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  state TEXT NOT NULL,
  proposed_by TEXT NOT NULL,
  proposed_at BIGINT NOT NULL,
  approved_by TEXT,
  approved_at BIGINT,
  input_json TEXT NOT NULL,
  plan_json TEXT NOT NULL,
  profit_before_usd DOUBLE PRECISION NOT NULL,
  profit_after_usd DOUBLE PRECISION NOT NULL,
  move_count BIGINT NOT NULL
);
CREATE TABLE relocation_moves (
  id TEXT PRIMARY KEY,
  plan_id TEXT NOT NULL,
  batch_id TEXT NOT NULL,
  miner_id TEXT NOT NULL,
  serial_expected TEXT,
  mode TEXT NOT NULL,
  month BIGINT NOT NULL,
  depart_date TEXT NOT NULL,
  from_site TEXT NOT NULL,
  from_container TEXT,
  to_site TEXT NOT NULL,
  to_container TEXT,
  to_slot TEXT,
  expected_ths DOUBLE PRECISION,
  state TEXT NOT NULL,
  flag TEXT,
  serial_seen TEXT,
  installed_at BIGINT,
  updated_at BIGINT NOT NULL
);
CREATE INDEX relocation_moves_plan ON relocation_moves(plan_id);
CREATE INDEX relocation_moves_state ON relocation_moves(state);
CREATE INDEX relocation_moves_miner ON relocation_moves(miner_id);
CREATE TABLE relocation_move_events (
  move_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  actor TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX relocation_move_events_move ON relocation_move_events(move_id, at);
`,
};
