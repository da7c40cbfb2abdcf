import type { Migration } from '../../core/storage/migrate.js';

/**
 * Energy per miner-hour and source (written at ingest by fleet/hourly.ts `addMinerEnergy`), so a
 * close picks the best source of each miner-hour instead of one source per container-hour; and
 * the completeness report and waivers of periods (accounting/completeness.ts).
 * `unit` is `slot:<rack>/<slot>` (what an outlet meters) or `miner:<id>` for a miner in no slot;
 * `*_n` count the samples of each source, so a source that read 0 Wh is told from one that was absent.
 */
export const migration: Migration = {
  id: '0102_miner_hourly_energy',
  up: `
CREATE TABLE miner_hourly_energy (
  site_id TEXT NOT NULL,
  container_id TEXT NOT NULL,
  hour_start BIGINT NOT NULL,
  unit TEXT NOT NULL,
  metered_wh DOUBLE PRECISION NOT NULL,
  metered_n BIGINT NOT NULL,
  reported_wh DOUBLE PRECISION NOT NULL,
  reported_n BIGINT NOT NULL,
  estimated_wh DOUBLE PRECISION NOT NULL,
  estimated_n BIGINT NOT NULL,
  PRIMARY KEY (site_id, container_id, hour_start, unit)
);
CREATE INDEX miner_hourly_energy_hour ON miner_hourly_energy(hour_start);
CREATE TABLE acct_completeness (
  period_id TEXT PRIMARY KEY,
  report_json TEXT NOT NULL,
  computed_at BIGINT NOT NULL
);
CREATE TABLE acct_waivers (
  period_id TEXT PRIMARY KEY,
  reason TEXT NOT NULL,
  waived_by TEXT NOT NULL,
  waived_at BIGINT NOT NULL
)
`,
};
