import type { Migration } from '../../core/storage/migrate.js';

/**
 * What the planner needs of a site that inventory does not hold (issue 18 item 6): whether the
 * vendor's repair centre is near it, and its monthly mean temperatures with where they come from.
 */
export const migration: Migration = {
  id: '0201_relocation_sites',
  up: `
CREATE TABLE relocation_sites (
  site_id TEXT PRIMARY KEY,
  repair_centre INTEGER NOT NULL,
  ambient_c_json TEXT,
  ambient_source TEXT,
  updated_by TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
`,
};
