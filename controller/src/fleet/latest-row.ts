import type { MinerSample } from '@hashfleet/contracts';
import type { Implausible } from '@hashfleet/firmware-profiles';
import { parseJson } from '../core/http/common.js';
import type { SqlValue } from '../core/storage/db.js';

/**
 * A miner's latest sample as miner_latest stores it (migration 0022): the figures its hot readers
 * need as columns of their own, so the alert tick (alerts/read.ts, alerts/latest-cache.ts), the
 * desired-state pass (desired/drift-store.ts) and the known-worker route read a few hundred bytes
 * a miner and parse only the short boards and fans lists, instead of the whole stored sample
 * (~1.2 KB of JSON at three boards); `sample_json` keeps only the fields no reader but the
 * miner's own page needs (`storedSample`).
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
 * The stored sample (`sample_json`): the sample's fields that have no column of their own (the
 * miner's identity, raw hashrates, shares, work, the poll's own fields). `storedSample` puts the
 * columns' figures back for the miner's page. The lists and figures that are columns are
 * serialised once a sample, for their columns, as they were once in the whole stored sample
 * before 0022. The state stays in it: the columns' `state` becomes `error` when the agent reports
 * the miner unreachable, the sample's is what the miner last said.
 */
export function sampleJson(s: MinerSample): string {
  const {
    expectedHashrateThs: _expected,
    chipTempMaxC: _chip,
    boardTempMaxC: _board,
    fansRpm: _fans,
    boards: _boards,
    powerW: _power,
    powerProvenance: _provenance,
    powerLimitW: _limit,
    hardwareErrors: _errors,
    uptimeS: _uptime,
    pool: _pool,
    firmwareVersion: _firmware,
    ...rest
  } = s;
  return JSON.stringify(rest);
}

/** A row's columns, any of which is NULL when the row is missing (a LEFT JOIN) or not filled. */
export type Nullable<T> = { [K in keyof T]: T[K] | null };

/** The hashrate a sample is judged and rolled up by: the 5-second figure, else the average. */
export const sampleHashrate = (s: MinerSample): number | null => s.hashrate5sThs ?? s.hashrateAvgThs;

/** The pool and worker of a row's columns; null when the sample named none. */
export const poolOf = (r: { pool_url: string | null; pool_user: string | null }) =>
  r.pool_url === null || r.pool_user === null ? null : { url: r.pool_url, user: r.pool_user };

/**
 * A miner's whole stored sample from its row, as ingest stored it before 0022: `sample_json` with
 * the figures of the columns, the agent and the implausible list; null when it does not parse or
 * is not an object. A row without a boards column is a placeholder (a miner not heard from) or was
 * never filled: its `sample_json` is all there is. Long because it lists each column's field.
 */
export function storedSample(
  row: Nullable<LatestColumns> & { sample_json: string | null },
): Record<string, unknown> | null {
  const s = parseJson(row.sample_json);
  if (!s || typeof s !== 'object' || Array.isArray(s)) return null;
  if (row.boards === null) return s as Record<string, unknown>;
  const num = (v: number | string | null) => (v === null ? null : Number(v));
  return {
    ...(s as Record<string, unknown>),
    firmwareVersion: row.firmware_version,
    expectedHashrateThs: row.expected_ths,
    boards: listColumn(row.boards),
    chipTempMaxC: row.chip_temp_max_c,
    boardTempMaxC: row.board_temp_max_c,
    fansRpm: listColumn(row.fans_rpm),
    powerW: row.power_w,
    powerProvenance: row.power_provenance,
    powerLimitW: row.power_limit_w,
    hardwareErrors: num(row.hardware_errors),
    uptimeS: num(row.uptime_s),
    pool: poolOf(row),
    agentId: row.agent_id,
    implausible: listColumn(row.implausible),
  };
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
    sampleHashrate(s),
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
    sampleJson(s),
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
