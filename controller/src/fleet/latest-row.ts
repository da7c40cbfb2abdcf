import type { MinerSample } from '@hashfleet/contracts';
import type { Implausible } from '@hashfleet/firmware-profiles';
import type { SqlValue } from '../core/storage/db.js';

/**
 * A miner's latest sample as miner_latest stores it (migration 0022): the figures its hot readers
 * need as columns of their own, so the alert tick (alerts/read.ts, alerts/latest-cache.ts), the
 * desired-state pass (desired/drift-store.ts) and the known-worker route read a few hundred bytes
 * a miner and parse only the short boards and fans lists, instead of the whole stored sample
 * (~1.4 KB of JSON at three boards) that the miner's own page still reads from `sample_json`.
 * The list arrays are JSON text; an empty `implausible` list is NULL, as it is on most rows.
 */
export type LatestColumns = {
  at: number;
  received_at: number;
  online: number;
  error: string | null;
  state: string;
  agent_id: string | null;
  hashrate_ths: number | null;
  expected_ths: number | null;
  chip_temp_max_c: number | null;
  board_temp_max_c: number | null;
  fans_rpm: string | null;
  boards: string | null;
  power_w: number | null;
  power_provenance: string | null;
  power_limit_w: number | null;
  hardware_errors: number | null;
  uptime_s: number | null;
  pool_url: string | null;
  pool_user: string | null;
  firmware_version: string | null;
  implausible: string | null;
};

/** The columns above, as a select list. */
export const LATEST_COLUMNS: readonly (keyof LatestColumns)[] = [
  'at',
  'received_at',
  'online',
  'error',
  'state',
  'agent_id',
  'hashrate_ths',
  'expected_ths',
  'chip_temp_max_c',
  'board_temp_max_c',
  'fans_rpm',
  'boards',
  'power_w',
  'power_provenance',
  'power_limit_w',
  'hardware_errors',
  'uptime_s',
  'pool_url',
  'pool_user',
  'firmware_version',
  'implausible',
];

/** `LATEST_COLUMNS` of the table aliased `alias`, comma-separated. */
export const latestSelect = (alias = ''): string =>
  LATEST_COLUMNS.map((c) => (alias ? `${alias}.${c}` : c)).join(', ');

/** The columns ingest writes, in `latestRowValues` order (`at` second: the upsert keeps the newest). */
export const LATEST_INSERT_COLUMNS = ['miner_id', ...LATEST_COLUMNS, 'sample_json'] as const;

/** An upsert's update of every column ingest writes but the key, from the row it tried to insert. */
export const LATEST_UPDATE = LATEST_INSERT_COLUMNS.filter((c) => c !== 'miner_id')
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');

/**
 * The stored sample (`sample_json`): the sample's own fields but the boards and fans lists, which
 * have columns of their own (read back into it by `storedSample`), then the agent and the
 * implausible list, as `JSON.stringify({ ...rest, agentId, implausible })` writes it (a sample
 * carries neither key: contracts' schema strips keys it does not know). The lists are serialised
 * once a sample, for their columns, as they were once for the stored sample before 0022.
 */
export function sampleJson(s: MinerSample, agentId: string, implausible: readonly Implausible[]): string {
  const { boards: _boards, fansRpm: _fans, ...rest } = s;
  const own = JSON.stringify(rest);
  return `${own.slice(0, -1)}${own.length > 2 ? ',' : ''}"agentId":${JSON.stringify(agentId)},"implausible":${JSON.stringify(implausible)}}`;
}

/**
 * A miner's whole stored sample from its row: `sample_json` with the boards and fans lists of
 * their columns (a row stored before 0022 has them in both, the same); null when it does not parse
 * or is not an object.
 */
export function storedSample(row: {
  sample_json: string | null;
  boards: string | null;
  fans_rpm: string | null;
}): Record<string, unknown> | null {
  if (row.sample_json === null) return null;
  let s: unknown;
  try {
    s = JSON.parse(row.sample_json);
  } catch {
    return null;
  }
  if (!s || typeof s !== 'object' || Array.isArray(s)) return null;
  const out = { ...(s as Record<string, unknown>) };
  // A placeholder's empty sample has neither column, and stays empty.
  if (row.boards !== null) out['boards'] = listColumn(row.boards);
  if (row.fans_rpm !== null) out['fansRpm'] = listColumn(row.fans_rpm);
  return out;
}

/** One miner_latest row of a judged sample, in `LATEST_INSERT_COLUMNS` order. */
export function latestRowValues(
  minerId: string,
  s: MinerSample,
  receivedAt: number,
  agentId: string,
  implausible: readonly Implausible[],
): SqlValue[] {
  return [
    minerId,
    s.at,
    receivedAt,
    1,
    null,
    s.state,
    agentId,
    s.hashrate5sThs ?? s.hashrateAvgThs,
    s.expectedHashrateThs,
    s.chipTempMaxC,
    s.boardTempMaxC,
    JSON.stringify(s.fansRpm),
    JSON.stringify(s.boards),
    s.powerW,
    s.powerProvenance,
    s.powerLimitW,
    s.hardwareErrors,
    s.uptimeS,
    s.pool?.url ?? null,
    s.pool?.user ?? null,
    s.firmwareVersion,
    implausible.length ? JSON.stringify(implausible) : null,
    sampleJson(s, agentId, implausible),
  ];
}

/** A JSON list column; NULL, or text that is not a list, is an empty list. */
export function listColumn<T>(text: string | null): T[] {
  if (text === null) return [];
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
}
