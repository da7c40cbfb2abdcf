import type { Migration } from '../../core/storage/migrate.js';

/** Work orders for technicians, tied to a miner and its slot, container and site; notes are appended. */
export const migration: Migration = {
  id: '0401_tickets',
  up: `
CREATE TABLE tickets (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  title TEXT NOT NULL,
  miner_id TEXT,
  slot_id TEXT,
  container_id TEXT,
  site_id TEXT,
  alert_id TEXT,
  source TEXT NOT NULL,
  created_by TEXT NOT NULL,
  assignee TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  done_at BIGINT
);
CREATE INDEX tickets_state ON tickets(state, created_at);
CREATE INDEX tickets_miner ON tickets(miner_id, state);
CREATE INDEX tickets_container ON tickets(container_id, state);
CREATE TABLE ticket_notes (
  id TEXT PRIMARY KEY,
  ticket_id TEXT NOT NULL,
  n BIGINT NOT NULL,
  at BIGINT NOT NULL,
  author TEXT NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX ticket_notes_ticket ON ticket_notes(ticket_id, n)
`,
};
