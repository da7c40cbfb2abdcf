import type { Migration } from '../../core/storage/migrate.js';

/**
 * A schedule made from an operating profile's sleep windows names the profile and the application
 * that last set it, so it can be explained, and removed by that application's rollback.
 */
export const profileScheduleMigration: Migration = {
  id: '0501_profile_schedules',
  up: `
ALTER TABLE curtailment_schedules ADD COLUMN profile_name TEXT;
ALTER TABLE curtailment_schedules ADD COLUMN application_id TEXT;
CREATE INDEX curtailment_schedules_profile ON curtailment_schedules(profile_name, site_id)
`,
};
