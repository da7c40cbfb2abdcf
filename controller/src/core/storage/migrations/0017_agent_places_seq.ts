import type { Migration } from '../migrate.js';

/**
 * Issue 17. `agent_places`: the containers (each with its site) an agent credential may speak for;
 * ingest refuses a message claiming any other (controller/src/fleet/ingest/place.ts).
 * `agent_seq`: per agent and boot, the highest data seq seen, the one before it and how many
 * distinct data seqs arrived, so any replica counts a gap in the agent's data seq exactly once
 * (controller/src/fleet/ingest/seq.ts).
 */
export const migration: Migration = {
  id: '0017_agent_places_seq',
  up: `CREATE TABLE agent_places (
    agent_id TEXT NOT NULL,
    site_id TEXT NOT NULL,
    container_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (agent_id, container_id)
  );
  CREATE INDEX agent_places_container ON agent_places (container_id);
  CREATE TABLE agent_seq (
    agent_id TEXT NOT NULL,
    boot_id TEXT NOT NULL,
    max_seq BIGINT NOT NULL,
    prev_max BIGINT NOT NULL,
    received BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (agent_id, boot_id)
  )`,
};
