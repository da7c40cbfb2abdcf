import type { Migration } from '../migrate.js';

/**
 * Issue 19 item 2. `miners.asset_code`: the short name a person reads on the rack or the label
 * (an import's asset tag, else derived from the slot it was first placed in, e.g. `KZ-C2-R2-S09`);
 * unique, and kept by the asset when it moves (controller/src/fleet/inventory/asset-code.ts).
 */
export const migration: Migration = {
  id: '0019_asset_codes',
  up: `ALTER TABLE miners ADD COLUMN asset_code TEXT;
  CREATE UNIQUE INDEX miners_asset_code ON miners (asset_code)`,
};
