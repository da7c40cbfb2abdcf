import type { Migration } from '../migrate.js';

/** Inventory, fleet state, hourly aggregates, auth, audit, ingest dedupe, commands. */
export const migration: Migration = {
  id: '0001_core',
  up: `
CREATE TABLE sites (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  timezone TEXT NOT NULL,
  capacity_mw DOUBLE PRECISION,
  capacity_slots BIGINT,
  tariff_json TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE containers (
  id TEXT PRIMARY KEY,
  site_id TEXT NOT NULL REFERENCES sites(id),
  name TEXT NOT NULL,
  agent_id TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX containers_site ON containers(site_id);
CREATE INDEX containers_agent ON containers(agent_id);
CREATE TABLE slots (
  id TEXT PRIMARY KEY,
  container_id TEXT NOT NULL REFERENCES containers(id),
  rack TEXT NOT NULL,
  slot TEXT NOT NULL,
  miner_id TEXT,
  UNIQUE (container_id, rack, slot)
);
CREATE INDEX slots_miner ON slots(miner_id);
CREATE TABLE miners (
  id TEXT PRIMARY KEY,
  serial TEXT,
  model TEXT,
  profile TEXT,
  firmware_version TEXT,
  status TEXT NOT NULL,
  site_id TEXT,
  container_id TEXT,
  slot_id TEXT,
  purchase_date TEXT,
  warranty_end TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX miners_serial ON miners(serial);
CREATE INDEX miners_container ON miners(container_id);
CREATE INDEX miners_site ON miners(site_id);
CREATE TABLE miner_locations (
  miner_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  site_id TEXT,
  container_id TEXT,
  slot_id TEXT,
  status TEXT NOT NULL,
  reason TEXT NOT NULL
);
CREATE INDEX miner_locations_miner ON miner_locations(miner_id, at);
CREATE TABLE miner_identities (
  miner_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  PRIMARY KEY (miner_id, kind, value)
);
CREATE INDEX miner_identities_value ON miner_identities(kind, value);
CREATE TABLE agent_miners (
  agent_id TEXT NOT NULL,
  miner_key TEXT NOT NULL,
  miner_id TEXT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (agent_id, miner_key)
);
CREATE TABLE pdus (
  id TEXT PRIMARY KEY,
  container_id TEXT NOT NULL,
  vendor TEXT NOT NULL,
  host TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE pdu_outlets (
  pdu_id TEXT NOT NULL,
  outlet BIGINT NOT NULL,
  slot_id TEXT,
  PRIMARY KEY (pdu_id, outlet)
);
CREATE INDEX pdu_outlets_slot ON pdu_outlets(slot_id);
CREATE TABLE pdu_latest (
  pdu_id TEXT PRIMARY KEY,
  container_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  sample_json TEXT NOT NULL,
  power_w DOUBLE PRECISION
);
CREATE TABLE miner_latest (
  miner_id TEXT PRIMARY KEY,
  at BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  sample_json TEXT NOT NULL,
  hashrate_ths DOUBLE PRECISION,
  expected_ths DOUBLE PRECISION,
  power_w DOUBLE PRECISION,
  power_provenance TEXT,
  chip_temp_max_c DOUBLE PRECISION,
  state TEXT NOT NULL,
  online BIGINT NOT NULL,
  error TEXT
);
CREATE TABLE miner_history (
  miner_id TEXT NOT NULL,
  minute BIGINT NOT NULL,
  at BIGINT NOT NULL,
  hashrate_ths DOUBLE PRECISION,
  chip_temp_max_c DOUBLE PRECISION,
  power_w DOUBLE PRECISION,
  PRIMARY KEY (miner_id, minute)
);
CREATE INDEX miner_history_minute ON miner_history(minute);
CREATE TABLE container_hourly (
  site_id TEXT NOT NULL,
  container_id TEXT NOT NULL,
  hour_start BIGINT NOT NULL,
  diff1_shares DOUBLE PRECISION NOT NULL,
  energy_wh_metered DOUBLE PRECISION NOT NULL,
  energy_wh_reported DOUBLE PRECISION NOT NULL,
  energy_wh_estimated DOUBLE PRECISION NOT NULL,
  miner_uptime_s BIGINT NOT NULL,
  samples BIGINT NOT NULL,
  PRIMARY KEY (site_id, container_id, hour_start)
);
CREATE TABLE ingest_seen (
  agent_id TEXT NOT NULL,
  boot_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  seq BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (agent_id, boot_id, kind, seq)
);
CREATE INDEX ingest_seen_received ON ingest_seen(received_at);
CREATE TABLE agents (
  id TEXT PRIMARY KEY,
  site_id TEXT,
  container_id TEXT,
  state TEXT NOT NULL,
  state_reason TEXT,
  state_at BIGINT NOT NULL,
  boot_id TEXT,
  agent_version TEXT,
  poll_interval_ms BIGINT,
  last_birth_at BIGINT,
  last_seen_at BIGINT,
  clock_skew_ms BIGINT,
  metrics_json TEXT,
  birth_json TEXT
);
CREATE TABLE events (
  id TEXT PRIMARY KEY,
  at BIGINT NOT NULL,
  kind TEXT NOT NULL,
  miner_id TEXT,
  agent_id TEXT,
  details_json TEXT NOT NULL
);
CREATE INDEX events_at ON events(at);
CREATE INDEX events_miner ON events(miner_id, at);
CREATE TABLE api_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  staker_id TEXT,
  token_hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
CREATE TABLE audit_log (
  id TEXT PRIMARY KEY,
  at BIGINT NOT NULL,
  actor_token_id TEXT,
  actor_name TEXT NOT NULL,
  actor_role TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  details_json TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE TABLE command_seq (
  agent_id TEXT PRIMARY KEY,
  seq BIGINT NOT NULL
);
CREATE TABLE commands (
  id TEXT PRIMARY KEY,
  agent_id TEXT NOT NULL,
  seq BIGINT,
  op TEXT NOT NULL,
  target TEXT NOT NULL,
  miner_id TEXT,
  action_json TEXT NOT NULL,
  issuer TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  approved_by TEXT,
  state TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  issued_at BIGINT,
  expires_at BIGINT,
  result_status TEXT,
  result_json TEXT,
  finished_at BIGINT
);
CREATE INDEX commands_miner ON commands(miner_id, created_at);
CREATE INDEX commands_agent ON commands(agent_id, seq)
`,
  // The audit log is append-only: the database itself refuses changes, not just the code.
  sqlite: [
    `CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`,
    `CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`,
  ],
  postgres: [
    `CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
     BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql`,
    `CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
     FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`,
  ],
};
