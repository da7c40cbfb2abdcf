import type { Migration } from '../migrate.js';

/**
 * Work the agent estimated from hashrate (firmwares without an accepted-difficulty counter, such
 * as Whatsminer API v3) is part of `diff1_shares` and also kept here, so a period's inputs show
 * how much of its work was measured and how much estimated.
 */
export const migration: Migration = {
  id: '0002_estimated_work',
  up: `ALTER TABLE container_hourly ADD COLUMN diff1_shares_estimated DOUBLE PRECISION NOT NULL DEFAULT 0`,
};
