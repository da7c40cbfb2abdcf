import type { Migration } from '../migrate.js';
import { migration as core } from './0001_core.js';
import { migration as estimatedWork } from './0002_estimated_work.js';
import { migration as commandEffects } from './0003_command_effects.js';
import { migration as agentPlacesSeq } from './0017_agent_places_seq.js';
import { migration as assetCodes } from './0019_asset_codes.js';
import { migration as agentMinersFingerprint } from './0021_agent_miners_fingerprint.js';
import { migration as minerLatestColumns } from './0022_miner_latest_columns.js';

/** Core migrations (0001-0099). Features contribute theirs through features.ts. */
export const coreMigrations: Migration[] = [
  core,
  estimatedWork,
  commandEffects,
  agentPlacesSeq,
  assetCodes,
  agentMinersFingerprint,
  minerLatestColumns,
];
