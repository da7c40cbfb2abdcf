import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleEvents, examplePower, exampleTelemetry } from '@hashfleet/contracts';
import { buildApp } from '@hashfleet/controller/core/app';
import { loadControllerConfig } from '@hashfleet/controller/core/config';
import { energyPoint } from '@hashfleet/controller/core/influx/points-energy';
import { eventPoints, sharePoints } from '@hashfleet/controller/core/influx/points-miner';
import { phasePoints } from '@hashfleet/controller/core/influx/points-pdu';
import type { InfluxPoint } from '@hashfleet/controller/core/influx/sink';
import { powerPoints } from '@hashfleet/controller/fleet/ingest/power';
import { telemetryPoints } from '@hashfleet/controller/fleet/ingest/telemetry';
import { influxSchema, type Measurement } from '@hashfleet/dashboards/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The dashboards read the schema in dashboards/src/schema.ts; the controller writes points of its
 * own. This runs the contracts' example messages through the controller's point builders and
 * checks that every point it would write fits the dashboards' schema, so a renamed field on
 * either side fails here instead of leaving a panel empty.
 */
const CHECKED = [
  'miner',
  'board',
  'agent',
  'pdu',
  'outlet',
  'sensor',
  'pdu_phase',
  'miner_shares',
  'miner_event',
  'energy',
] as const;
/** Written from a database rollup (ingest's container point, accounting's attribution), checked by name only. */
const ROLLUPS = ['container', 'staker_hashrate'];

/** Every `measurement: '<name>'` in the controller's source: a new measurement must be in the schema and here. */
function writtenMeasurements(dir: string): Set<string> {
  const found = new Set<string>();
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const text = readFileSync(join(entry.parentPath, entry.name), 'utf8');
    for (const m of text.matchAll(/measurement: '([a-z_]+)'/g)) found.add(m[1]!);
  }
  return found;
}

describe("the controller's InfluxDB points fit the dashboards' schema", () => {
  let points: InfluxPoint[] = [];
  let close: () => Promise<void> = async () => {};

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'schema-'));
    // eventPoints looks miners up in SQL: a real, migrated SQLite behind it.
    const app = await buildApp(
      loadControllerConfig(
        { dataDir: dir, storage: { url: 'sqlite::memory:' }, log: { level: 'silent' } },
        {},
      ),
    );
    close = async () => {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    };
    const ids = exampleTelemetry.samples.map((_, i) => `asset-${i}`);
    points = [
      ...telemetryPoints(exampleTelemetry, ids),
      ...powerPoints(examplePower),
      ...phasePoints(examplePower),
      ...sharePoints(exampleTelemetry, ids),
      ...(await eventPoints(app.hashfleet.db, exampleEvents)),
      energyPoint(
        { siteId: 'sichuan', containerId: 'sc-c01', hourStartMs: 1_763_899_200_000, diff1Shares: 1_000_000 },
        {
          siteId: 'sichuan',
          containerId: 'sc-c01',
          hourStartMs: 1_763_899_200_000,
          meteredWh: 39_000,
          reportedWh: 0,
          estimatedWh: 0,
          meteredMinerHours: 1,
          reportedMinerHours: 0,
          estimatedMinerHours: 0,
          currency: 'USD',
          ratePerKwhMicro: 40_000n,
        },
        { currency: 'USD', ratePerKwhMicro: 40_000n },
      ),
    ];
  });
  afterAll(() => close());

  it('covers every measurement the controller writes, rollups aside', () => {
    expect(new Set(points.map((p) => p.measurement))).toEqual(new Set(CHECKED));
    const written = writtenMeasurements(join(import.meta.dirname, '../../controller/src'));
    expect([...written].sort()).toEqual([...CHECKED, ...ROLLUPS].sort());
    for (const m of written)
      expect(Object.keys(influxSchema), `${m} in dashboards/src/schema.ts`).toContain(m);
  });

  for (const measurement of CHECKED) {
    it(`${measurement}: the same tags, and only fields the dashboards know`, () => {
      const schema = influxSchema[measurement as Measurement];
      const of = points.filter((p) => p.measurement === measurement);
      expect(of.length).toBeGreaterThan(0);
      for (const point of of) {
        expect(Object.keys(point.tags).sort()).toEqual([...schema.tags].sort());
        expect(
          Object.keys(point.fields).filter((f) => !(schema.fields as readonly string[]).includes(f)),
        ).toEqual([]);
      }
    });
  }
});
