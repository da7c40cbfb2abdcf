import type { Migration } from '../migrate.js';

/**
 * Issue 15 (the HA path). `agent_miners.fp` and `fp_at`: the fingerprint of the last observation
 * reconciled for the agent's miner key and when it was observed (fleet/inventory/reconcile.ts). A
 * replica whose in-memory cache is cold (a restart, a failover, an agent the shared subscription
 * sends it for the first time) reads an agent's rows once and reconciles only the miners whose
 * observation changed, instead of some twelve statements for each miner of the agent.
 */
export const migration: Migration = {
  id: '0021_agent_miners_fingerprint',
  up: `ALTER TABLE agent_miners ADD COLUMN fp TEXT;
  ALTER TABLE agent_miners ADD COLUMN fp_at BIGINT`,
};
