import type { Migration } from '../../core/storage/migrate.js';

/**
 * A site's planning tariff (USD/kWh per calendar month, with its source: Sichuan's wet-season
 * hydro price May-October against the dry season, for months the billing tariff does not yet
 * hold) and what a retired miner fetches there, by model (issue 18 item 6). Both are optional:
 * without them a plan takes the billing tariff's monthly means and retires nothing.
 */
export const migration: Migration = {
  id: '0202_relocation_site_tariff_salvage',
  up: `
ALTER TABLE relocation_sites ADD COLUMN tariff_usd_json TEXT;
ALTER TABLE relocation_sites ADD COLUMN tariff_source TEXT;
ALTER TABLE relocation_sites ADD COLUMN salvage_json TEXT
`,
};
