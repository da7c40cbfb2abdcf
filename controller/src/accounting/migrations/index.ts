import type { Migration } from '../../core/storage/migrate.js';
import { migration as accounting } from './0100_accounting.js';
import { migration as closeSummaries } from './0101_close_summaries.js';
import { migration as minerHourlyEnergy } from './0102_miner_hourly_energy.js';
import { migration as minerHourlyCoverage } from './0103_miner_hourly_coverage.js';
import { migration as closeDocumentsLz4 } from './0104_close_documents_lz4.js';

/** Accounting migrations, numbers 0100-0199. */
export const accountingMigrations: Migration[] = [
  accounting,
  closeSummaries,
  minerHourlyEnergy,
  minerHourlyCoverage,
  closeDocumentsLz4,
];
