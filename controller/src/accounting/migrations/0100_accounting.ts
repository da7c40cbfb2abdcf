import type { Migration } from '../../core/storage/migrate.js';

const APPEND_ONLY = [
  'acct_stake_entries',
  'acct_rules',
  'acct_credits',
  'acct_costs',
  'acct_btc_prices',
  'acct_network',
  'acct_closes',
  'acct_payouts',
  'acct_journal',
];

/**
 * The stake register, close inputs and the ledger. HSS amounts are TEXT decimal strings of base
 * units (18 decimals; the supply overflows BIGINT). Money is `*_sats` BIGINT. Fiat is `*_micro`
 * BIGINT (1e-6 of the currency). Everything that feeds or records a close is append-only, enforced
 * by the database: a correction is a new row (a new stake entry, an adjusting journal entry).
 */
export const migration: Migration = {
  id: '0100_accounting',
  up: `
CREATE TABLE acct_stakers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  holder TEXT NOT NULL UNIQUE,
  holder_salt TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE acct_nodes (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE acct_stake_entries (
  seq BIGINT PRIMARY KEY,
  staker_id TEXT NOT NULL REFERENCES acct_stakers(id),
  node_id TEXT NOT NULL REFERENCES acct_nodes(id),
  amount_units TEXT NOT NULL,
  effective_at BIGINT NOT NULL,
  source TEXT NOT NULL,
  idempotency_key TEXT UNIQUE,
  entered_by TEXT NOT NULL,
  entered_at BIGINT NOT NULL
);
CREATE INDEX acct_stake_entries_staker ON acct_stake_entries(staker_id, effective_at);
CREATE INDEX acct_stake_entries_effective ON acct_stake_entries(effective_at);
CREATE TABLE acct_rules (
  version BIGINT PRIMARY KEY,
  staker_bps BIGINT NOT NULL,
  reinvest_bps BIGINT NOT NULL,
  operator_bps BIGINT NOT NULL,
  loss_rule TEXT NOT NULL,
  period_s BIGINT NOT NULL,
  min_node_collateral_units TEXT NOT NULL,
  effective_from BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE acct_credits (
  id TEXT PRIMARY KEY,
  period_id TEXT NOT NULL,
  pool TEXT NOT NULL,
  reference TEXT NOT NULL,
  amount_sats BIGINT NOT NULL,
  entered_by TEXT NOT NULL,
  entered_at BIGINT NOT NULL,
  UNIQUE (pool, reference)
);
CREATE INDEX acct_credits_period ON acct_credits(period_id);
CREATE TABLE acct_costs (
  id TEXT PRIMARY KEY,
  period_id TEXT NOT NULL,
  description TEXT NOT NULL,
  currency TEXT NOT NULL,
  amount_sats BIGINT,
  amount_micro BIGINT,
  entered_by TEXT NOT NULL,
  entered_at BIGINT NOT NULL
);
CREATE INDEX acct_costs_period ON acct_costs(period_id);
CREATE TABLE acct_btc_prices (
  id TEXT PRIMARY KEY,
  currency TEXT NOT NULL,
  price_micro BIGINT NOT NULL,
  source TEXT NOT NULL,
  observed_at BIGINT NOT NULL,
  entered_by TEXT NOT NULL,
  entered_at BIGINT NOT NULL
);
CREATE INDEX acct_btc_prices_at ON acct_btc_prices(currency, observed_at);
CREATE TABLE acct_network (
  id TEXT PRIMARY KEY,
  difficulty DOUBLE PRECISION NOT NULL,
  block_height BIGINT NOT NULL,
  fees_per_block_sats BIGINT NOT NULL,
  source TEXT NOT NULL,
  observed_at BIGINT NOT NULL,
  entered_by TEXT NOT NULL,
  entered_at BIGINT NOT NULL
);
CREATE INDEX acct_network_at ON acct_network(observed_at);
CREATE TABLE acct_closes (
  period_id TEXT PRIMARY KEY,
  start_ms BIGINT NOT NULL,
  end_ms BIGINT NOT NULL,
  rule_version BIGINT NOT NULL,
  inputs_json TEXT NOT NULL,
  inputs_sha256 TEXT NOT NULL,
  outputs_json TEXT NOT NULL,
  outputs_sha256 TEXT NOT NULL,
  net_sats BIGINT NOT NULL,
  staker_pool_sats BIGINT NOT NULL,
  loss_carried_out_sats BIGINT NOT NULL,
  closed_by TEXT NOT NULL,
  closed_at BIGINT NOT NULL
);
CREATE INDEX acct_closes_start ON acct_closes(start_ms);
CREATE TABLE acct_payouts (
  period_id TEXT NOT NULL,
  staker_id TEXT NOT NULL,
  holder TEXT NOT NULL,
  weight_units_s TEXT NOT NULL,
  amount_sats BIGINT NOT NULL,
  PRIMARY KEY (period_id, staker_id)
);
CREATE INDEX acct_payouts_staker ON acct_payouts(staker_id, period_id);
CREATE TABLE acct_journal (
  period_id TEXT NOT NULL,
  tx TEXT NOT NULL,
  line_no BIGINT NOT NULL,
  kind TEXT NOT NULL,
  account TEXT NOT NULL,
  debit_sats BIGINT NOT NULL,
  credit_sats BIGINT NOT NULL,
  memo TEXT NOT NULL,
  idempotency_key TEXT,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tx, line_no)
);
CREATE INDEX acct_journal_period ON acct_journal(period_id);
CREATE INDEX acct_journal_account ON acct_journal(account);
INSERT INTO acct_rules (version, staker_bps, reinvest_bps, operator_bps, loss_rule, period_s,
  min_node_collateral_units, effective_from, created_by, created_at)
VALUES (1, 3000, 5000, 2000, 'carry_forward', 86400, '10000000000000000000000', 0, 'migration', 0)
`,
  sqlite: APPEND_ONLY.flatMap((t) => [
    `CREATE TRIGGER ${t}_no_update BEFORE UPDATE ON ${t}
     BEGIN SELECT RAISE(ABORT, '${t} is append-only'); END`,
    `CREATE TRIGGER ${t}_no_delete BEFORE DELETE ON ${t}
     BEGIN SELECT RAISE(ABORT, '${t} is append-only'); END`,
  ]),
  postgres: [
    `CREATE OR REPLACE FUNCTION acct_append_only() RETURNS trigger AS $$
     BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql`,
    ...APPEND_ONLY.map(
      (t) => `CREATE TRIGGER ${t}_no_change BEFORE UPDATE OR DELETE ON ${t}
     FOR EACH ROW EXECUTE FUNCTION acct_append_only()`,
    ),
  ],
};
