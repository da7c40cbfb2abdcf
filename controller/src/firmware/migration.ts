import type { Migration } from '../core/storage/migrate.js';

/**
 * Firmware images the controller keeps (issue 20 item 4): one row per upload, the bytes in a file
 * under `<dataDir>/firmware/` named by their SHA-256 (identical uploads share it). The hash is
 * computed by the controller as the bytes arrive and checked again every time they are served.
 */
export const migration: Migration = {
  id: '0700_firmware_images',
  up: `
CREATE TABLE firmware_images (
  id TEXT PRIMARY KEY,
  family TEXT NOT NULL,
  version TEXT NOT NULL,
  name TEXT NOT NULL,
  size_bytes BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL
);
CREATE INDEX firmware_images_family ON firmware_images(family, version)
`,
};
