import type { Migration } from '../migrate.js';

/** The columns 0022 adds to miner_latest, each with its type and where in the stored sample it is. */
export const ADDED: { column: string; type: string; path: string[]; list?: true }[] = [
  { column: 'agent_id', type: 'TEXT', path: ['agentId'] },
  { column: 'board_temp_max_c', type: 'DOUBLE PRECISION', path: ['boardTempMaxC'] },
  { column: 'fans_rpm', type: 'TEXT', path: ['fansRpm'], list: true },
  { column: 'boards', type: 'TEXT', path: ['boards'], list: true },
  { column: 'power_limit_w', type: 'DOUBLE PRECISION', path: ['powerLimitW'] },
  { column: 'hardware_errors', type: 'BIGINT', path: ['hardwareErrors'] },
  { column: 'uptime_s', type: 'BIGINT', path: ['uptimeS'] },
  { column: 'pool_url', type: 'TEXT', path: ['pool', 'url'] },
  { column: 'pool_user', type: 'TEXT', path: ['pool', 'user'] },
  { column: 'firmware_version', type: 'TEXT', path: ['firmwareVersion'] },
  { column: 'implausible', type: 'TEXT', path: ['implausible'], list: true },
];

const PG_CAST: Record<string, string> = { 'DOUBLE PRECISION': '::float8', BIGINT: '::bigint', TEXT: '' };

/** An added column's value from the stored sample, on PostgreSQL (`j` is the sample as jsonb). */
function pgValue(a: (typeof ADDED)[number]): string {
  const path = `'{${a.path.join(',')}}'`;
  if (!a.list) return `(j #>> ${path})${PG_CAST[a.type]}`;
  // A list is stored as its JSON text; an empty implausible list as NULL (what ingest writes).
  // CASE, not AND: PostgreSQL evaluates a CASE in order, and jsonb_array_length fails on a non-list.
  const text =
    a.column === 'implausible'
      ? `CASE WHEN jsonb_array_length(j #> ${path}) > 0 THEN (j #> ${path})::text END`
      : `(j #> ${path})::text`;
  return `CASE WHEN jsonb_typeof(j #> ${path}) = 'array' THEN ${text} END`;
}

/** The same on SQLite, where json_extract gives a list as its JSON text. */
function sqliteValue(a: (typeof ADDED)[number]): string {
  const path = `'$.${a.path.join('.')}'`;
  if (!a.list) return `json_extract(sample_json, ${path})`;
  const list = `CASE WHEN json_type(sample_json, ${path}) = 'array' THEN json_extract(sample_json, ${path}) END`;
  return a.column === 'implausible'
    ? `CASE WHEN json_array_length(sample_json, ${path}) > 0 THEN ${list} END`
    : list;
}

/**
 * Issue 15 item 1: miner_latest keeps the figures its hot readers need as columns
 * (fleet/latest-row.ts), so the alert tick reads those instead of parsing every miner's stored
 * sample each tick: at 100,000 miners polled every 10 s that parse and its ~1.4 KB a row were most
 * of the tick. `sample_json` stays for the miner's own page. Rows already stored get their
 * columns from their stored sample; a stored sample that is not JSON leaves them NULL (the tick
 * then sees a miner with no figures, as it saw one whose sample did not parse).
 */
export const migration: Migration = {
  id: '0022_miner_latest_columns',
  up: ADDED.map((a) => `ALTER TABLE miner_latest ADD COLUMN ${a.column} ${a.type}`).join(';\n'),
  sqlite: [
    `UPDATE miner_latest SET ${ADDED.map((a) => `${a.column} = ${sqliteValue(a)}`).join(', ')}
     WHERE json_valid(sample_json) AND json_type(sample_json) = 'object'`,
  ],
  postgres: [
    `CREATE FUNCTION pg_temp.hashfleet_try_jsonb(t text) RETURNS jsonb LANGUAGE plpgsql AS $$
    BEGIN
      RETURN t::jsonb;
    EXCEPTION WHEN others THEN
      RETURN NULL;
    END $$`,
    `UPDATE miner_latest l SET ${ADDED.map((a) => `${a.column} = ${pgValue(a)}`).join(', ')}
     FROM (SELECT miner_id, pg_temp.hashfleet_try_jsonb(sample_json) AS j FROM miner_latest) s
     WHERE s.miner_id = l.miner_id AND jsonb_typeof(s.j) = 'object'`,
  ],
};
