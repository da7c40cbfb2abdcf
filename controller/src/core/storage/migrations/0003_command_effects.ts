import type { Migration } from '../migrate.js';

/**
 * Command effects (issue 16): every state a command went through, each with the miner's words
 * (`command_states`), and the commanded window a restart, reboot, power cycle or sleep opens
 * (`window_ends_at`, controller clock), in the database so every replica's alert evaluation and
 * remediation see it. `settled_at` is when the controller stored the command's final state.
 */
export const migration: Migration = {
  id: '0003_command_effects',
  up: `
ALTER TABLE commands ADD COLUMN window_ends_at BIGINT;
ALTER TABLE commands ADD COLUMN settled_at BIGINT;
CREATE INDEX commands_window ON commands(window_ends_at);
CREATE TABLE command_states (
  command_id TEXT NOT NULL,
  n BIGINT NOT NULL,
  state TEXT NOT NULL,
  at BIGINT NOT NULL,
  reply TEXT,
  observed TEXT,
  message TEXT,
  window_ends_at BIGINT,
  PRIMARY KEY (command_id, n)
)
`,
};
