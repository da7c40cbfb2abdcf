import { exampleSample, type MinerSample } from '@hashfleet/contracts';
import type { Implausible } from '@hashfleet/firmware-profiles';
import { describe, expect, it } from 'vitest';
import { latestFromRow } from '../src/alerts/read.js';
import { allMigrations } from '../src/core/app.js';
import { insertRows, openDb, type SqlValue } from '../src/core/storage/db.js';
import { migrate } from '../src/core/storage/migrate.js';
import { ADDED } from '../src/core/storage/migrations/0022_miner_latest_columns.js';
import {
  LATEST_COLUMNS,
  LATEST_INSERT_COLUMNS,
  latestRowValues,
  latestSelect,
  storedSample,
} from '../src/fleet/latest-row.js';
import { PG_URL, pgAvailable, pgSchemaUrl } from './helpers.js';

/**
 * miner_latest keeps the figures the alert tick and the desired-state pass read as columns
 * (migration 0022, fleet/latest-row.ts), where they parsed every miner's stored sample each pass.
 * This proves, on SQLite and PostgreSQL, that rows stored before the migration get from their
 * stored sample exactly the columns ingest now writes for the same sample (lists, a missing pool,
 * the implausible list, a placeholder's empty sample, a stored sample that is not JSON), that the
 * tick's view of a miner read from the columns is its view of the stored sample, and that the
 * miner's page reads back the whole sample from either row (ingest no longer stores the boards and
 * fans lists in `sample_json`).
 */
const pgUp = await pgAvailable(PG_URL);
const variants = [
  { name: 'SQLite', url: 'sqlite::memory:', run: true },
  { name: 'PostgreSQL', url: pgSchemaUrl(PG_URL), run: pgUp },
];
const T = Date.UTC(2026, 11, 8, 1, 0);

const hot: Implausible = { field: 'chipTempMaxC', value: 412, min: -20, max: 130 };
const samples: { id: string; sample: MinerSample; implausible: Implausible[] }[] = [
  { id: 'plain', sample: exampleSample, implausible: [] },
  {
    id: 'three-boards',
    sample: {
      ...exampleSample,
      boards: [1, 2, 3].map((index) => ({
        ...exampleSample.boards[0]!,
        index,
        chips: index === 2 ? 0 : 114,
      })),
      powerLimitW: 3010,
      boardTempMaxC: 61.5,
    },
    implausible: [],
  },
  {
    id: 'no-pool',
    sample: {
      ...exampleSample,
      pool: null,
      fansRpm: [],
      hardwareErrors: null,
      uptimeS: null,
      firmwareVersion: null,
    },
    implausible: [],
  },
  { id: 'implausible', sample: { ...exampleSample, chipTempMaxC: null }, implausible: [hot] },
];

/** The columns 0022 adds and fills. */
const added = ADDED.map((a) => a.column);
/** The columns the tick reads of one miner's row, read back. */
const addedOf = (r: Record<string, unknown>) =>
  Object.fromEntries(LATEST_COLUMNS.map((c) => [c, norm(c, r[c])]));
/** A number read back (BIGINT may come as text), and a list's JSON text as its value. */
function norm(column: string, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (['fans_rpm', 'boards', 'implausible'].includes(column)) return JSON.parse(String(v));
  return typeof v === 'string' &&
    ['at', 'received_at', 'online', 'hardware_errors', 'uptime_s'].includes(column)
    ? Number(v)
    : v;
}

for (const v of variants) {
  describe.skipIf(!v.run)(`miner_latest columns (${v.name})`, () => {
    it('fills the columns of rows stored before it as ingest writes them, and the tick reads the stored sample', async () => {
      const db = await openDb(v.url);
      try {
        await migrate(
          db,
          allMigrations().filter((m) => m.id !== '0022_miner_latest_columns'),
          () => T,
        );
        // What ingest wrote before 0022: every column it writes now but the added ones.
        const old = LATEST_INSERT_COLUMNS.filter((c) => !added.includes(c));
        const now = samples.map((s) => latestRowValues(s.id, s.sample, T, 'sc-c01', s.implausible));
        // The stored sample before 0022: the whole sample, lists included.
        const whole = samples.map((s) =>
          JSON.stringify({ ...s.sample, agentId: 'sc-c01', implausible: s.implausible }),
        );
        // A row inventory writes for a miner not heard from, and one whose stored sample is broken.
        const placeholder = (id: string, json: string): SqlValue[] =>
          old.map((c) => {
            const set: Record<string, SqlValue> = { miner_id: id, at: T, received_at: T, sample_json: json };
            return set[c] ?? (c === 'state' ? 'error' : c === 'online' ? 0 : null);
          });
        const pick = (row: SqlValue[], i: number) =>
          old.map((c) => (c === 'sample_json' ? whole[i]! : row[LATEST_INSERT_COLUMNS.indexOf(c)]!));
        await insertRows(db, `INSERT INTO miner_latest (${old.join(', ')})`, [
          ...now.map(pick),
          placeholder('placeholder', '{}'),
          placeholder('corrupt', 'not json {'),
        ]);
        expect(await migrate(db, allMigrations(), () => T)).toEqual(['0022_miner_latest_columns']);

        const read = async (id: string) =>
          (await db.get<Record<string, unknown>>(
            `SELECT ${latestSelect()}, sample_json FROM miner_latest WHERE miner_id = ?`,
            [id],
          ))!;
        for (const [i, s] of samples.entries()) {
          const migrated = await read(s.id);
          // What ingest writes today for the same sample, into a row of its own.
          // (db.run: insertRows read the table's columns before the migration added some.)
          await db.run(
            `INSERT INTO miner_latest (${LATEST_INSERT_COLUMNS.join(', ')}) VALUES (${LATEST_INSERT_COLUMNS.map(() => '?')})`,
            [`${s.id}-new`, ...now[i]!.slice(1)],
          );
          expect(addedOf(migrated), s.id).toEqual(addedOf(await read(`${s.id}-new`)));

          // The tick's view from the columns is the stored sample's own figures.
          const stored = JSON.parse(whole[i]!) as MinerSample & { agentId: string };
          // The miner's page reads the whole sample back, from either row.
          expect(storedSample(migrated as never), s.id).toEqual(stored);
          expect(storedSample((await read(`${s.id}-new`)) as never), s.id).toEqual(stored);
          const seen = latestFromRow(migrated as never)!;
          expect(seen, s.id).toMatchObject({
            agentId: 'sc-c01',
            hashrateThs: stored.hashrate5sThs ?? stored.hashrateAvgThs,
            expectedThs: stored.expectedHashrateThs,
            chipTempMaxC: stored.chipTempMaxC,
            boardTempMaxC: stored.boardTempMaxC,
            fansRpm: stored.fansRpm,
            boards: stored.boards,
            powerW: stored.powerW,
            powerProvenance: stored.powerProvenance,
            hardwareErrors: stored.hardwareErrors,
            uptimeS: stored.uptimeS,
            pool: stored.pool,
            implausible: s.implausible,
          });
        }
        for (const id of ['placeholder', 'corrupt']) {
          const row = await read(id);
          expect(Object.fromEntries(added.map((c) => [c, row[c]])), id).toEqual(
            Object.fromEntries(added.map((c) => [c, null])),
          );
          expect(latestFromRow(row as never), id).toMatchObject({
            agentId: null,
            fansRpm: [],
            boards: [],
            pool: null,
            implausible: [],
          });
        }
      } finally {
        await db.close();
      }
    });
  });
}
