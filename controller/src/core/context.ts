import type { Commands } from '../commands/index.js';
import type { Ingest } from '../fleet/index.js';
import type { FeatureContext } from './feature.js';
import type { Metrics } from './metrics.js';

/** What the core's own routes and services share (a FeatureContext plus core internals). */
export type CoreContext = FeatureContext & {
  metrics: Metrics;
  /** Named readiness checks; /ready fails while any returns a reason. */
  readiness: Map<string, () => string | null>;
  /** Applies agent messages; the MQTT link (or a test) feeds it. */
  ingest: Ingest;
  commands: Commands;
};
