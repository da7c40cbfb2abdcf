import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { agents } from './agents.js';
import { container } from './container.js';
import { fleetOverview } from './fleet-overview.js';
import { miner } from './miner.js';
import { powerCost } from './power-cost.js';
import { stakers } from './stakers.js';

export { INFLUX_DATABASE, influxSchema } from './schema.js';

/** Every dashboard by name; each is written to deploy/grafana/dashboards/<uid>.json. */
export const dashboards: Record<string, () => Dashboard> = {
  'fleet-overview': fleetOverview,
  container,
  miner,
  'power-cost': powerCost,
  agents,
  stakers,
};
