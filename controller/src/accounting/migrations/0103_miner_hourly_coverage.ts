import type { Migration } from '../../core/storage/migrate.js';

/**
 * Seconds each miner-hour is covered by its outlet's readings (`metered_s`) and by the miner's own
 * samples (`telemetry_s`): a meter that covered only part of the hour (a PDU outage) is not taken
 * as the whole hour's energy (energy/energy.ts `pickMinerHour`).
 */
export const migration: Migration = {
  id: '0103_miner_hourly_coverage',
  up: `
ALTER TABLE miner_hourly_energy ADD COLUMN metered_s DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE miner_hourly_energy ADD COLUMN telemetry_s DOUBLE PRECISION NOT NULL DEFAULT 0
`,
};
