import type { Migration } from '../../core/storage/migrate.js';

/**
 * PostgreSQL: a close's documents (inputs_json, outputs_json: 166 MB and 197 MB at 1,000,000
 * stakers) are compressed with lz4 instead of the default pglz, which took about twice as long to
 * store the same text (70 MB of payouts JSON, load 11 on 2 cores: pglz 4.7 s, lz4 2.5 s, issue 15
 * item 3). Only how PostgreSQL stores the text changes, not the text. A server built without lz4
 * keeps pglz. SQLite stores text as it is.
 */
export const migration: Migration = {
  id: '0104_close_documents_lz4',
  up: '',
  postgres: [
    `DO $$
BEGIN
  ALTER TABLE acct_closes ALTER COLUMN inputs_json SET COMPRESSION lz4;
  ALTER TABLE acct_closes ALTER COLUMN outputs_json SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value OR syntax_error THEN
  RAISE NOTICE 'lz4 not available: close documents stay compressed with pglz';
END $$`,
  ],
};
