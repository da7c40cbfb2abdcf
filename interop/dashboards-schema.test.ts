import { examplePower, exampleTelemetry } from '@hashfleet/contracts';
import { powerPoints } from '@hashfleet/controller/ingest/power';
import { telemetryPoints } from '@hashfleet/controller/ingest/telemetry';
import { influxSchema, type Measurement } from '@hashfleet/dashboards/schema';
import { describe, expect, it } from 'vitest';

/**
 * The dashboards read the schema in dashboards/src/schema.ts; the controller writes points of its
 * own. This runs the contracts' example messages through the controller's point builders and
 * checks that every point it would write fits the dashboards' schema, so a renamed field on
 * either side fails here instead of leaving a panel empty.
 */
describe("the controller's InfluxDB points fit the dashboards' schema", () => {
  const points = [
    ...telemetryPoints(
      exampleTelemetry,
      exampleTelemetry.samples.map((_, i) => `asset-${i}`),
    ),
    ...powerPoints(examplePower),
  ];

  it('covers the miner, board, agent, pdu, outlet and sensor measurements', () => {
    expect(new Set(points.map((p) => p.measurement))).toEqual(
      new Set(['miner', 'board', 'agent', 'pdu', 'outlet', 'sensor']),
    );
  });

  for (const measurement of ['miner', 'board', 'agent', 'pdu', 'outlet', 'sensor'] as const) {
    it(`${measurement}: the same tags, and only fields the dashboards know`, () => {
      const schema = influxSchema[measurement as Measurement];
      for (const point of points.filter((p) => p.measurement === measurement)) {
        expect(Object.keys(point.tags).sort()).toEqual([...schema.tags].sort());
        expect(
          Object.keys(point.fields).filter((f) => !(schema.fields as readonly string[]).includes(f)),
        ).toEqual([]);
      }
    });
  }
});
