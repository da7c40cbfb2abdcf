import type { Migration } from '../../core/storage/migrate.js';

/**
 * The outputs document without its per-staker lists (payouts, journal), so statements and the
 * reconciliation read a few hundred bytes instead of parsing a close of a million stakers.
 */
export const migration: Migration = {
  id: '0101_close_summaries',
  up: `
CREATE TABLE acct_close_summaries (
  period_id TEXT PRIMARY KEY,
  summary_json TEXT NOT NULL
)
`,
  sqlite: [
    `CREATE TRIGGER acct_close_summaries_no_update BEFORE UPDATE ON acct_close_summaries
     BEGIN SELECT RAISE(ABORT, 'acct_close_summaries is append-only'); END`,
    `CREATE TRIGGER acct_close_summaries_no_delete BEFORE DELETE ON acct_close_summaries
     BEGIN SELECT RAISE(ABORT, 'acct_close_summaries is append-only'); END`,
  ],
  postgres: [
    `CREATE TRIGGER acct_close_summaries_no_change BEFORE UPDATE OR DELETE ON acct_close_summaries
     FOR EACH ROW EXECUTE FUNCTION acct_append_only()`,
  ],
};
