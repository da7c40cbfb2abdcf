import { exampleBirth, examplePower, topics } from '@hashfleet/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSnapshot } from '../src/alerts/read.js';
import { phasePoints } from '../src/core/influx/points-pdu.js';
import { powerPoints } from '../src/fleet/ingest/power.js';
import { testApp } from './helpers.js';

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const pdu0 = examplePower.pdus[0]!;

describe('pdu_phase points', () => {
  it('one point per reported phase, tagged by site, container, pdu and phase, with the PDU rating', () => {
    const points = phasePoints(examplePower);
    expect(points).toHaveLength(3);
    expect(points[1]).toEqual({
      measurement: 'pdu_phase',
      tags: { site: 'sichuan', container: 'sc-c01', pdu: 'pdu-r03', phase: '2' },
      fields: { current_a: 57.1, voltage_v: 230, power_w: 13_100, rated_current_a: 63 },
      at: pdu0.at,
    });
  });

  it('a PDU with phases null or absent (an older agent) writes none, and its other points are unchanged', () => {
    const { phases: _omit, ...older } = pdu0;
    for (const pdu of [older, { ...older, phases: null }]) {
      const msg = { ...examplePower, pdus: [pdu] };
      expect(phasePoints(msg)).toEqual([]);
      expect(powerPoints(msg)).toEqual(powerPoints(examplePower));
    }
  });
});

describe('ingest keeps the phases with the PDU latest state', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  beforeEach(async () => {
    t = await testApp({}, () => pdu0.at + 1000);
  });
  afterEach(async () => t.close());

  it('pdu_latest.sample_json holds the phases and the alert snapshot reads them back', async () => {
    expect(await t.app.hashfleet.ingest.handle(topics.power('sc-c01'), enc(examplePower))).toBe('applied');
    const [row] = await t.app.hashfleet.db.all<{ sample_json: string }>(
      'SELECT sample_json FROM pdu_latest WHERE pdu_id = ?',
      ['pdu-r03'],
    );
    expect(JSON.parse(row!.sample_json).phases).toEqual(pdu0.phases);
    const snap = await readSnapshot(t.app.hashfleet.db);
    expect(snap.pdus.find((p) => p.id === 'pdu-r03')!.phases).toEqual(
      pdu0.phases!.map((p) => ({ phase: p.phase, currentA: p.currentA, ratedCurrentA: 63 })),
    );
  });

  it('GET /containers/:id gives each PDU its phases, for the container view', async () => {
    await t.app.hashfleet.ingest.handle(topics.birth('sc-c01'), enc(exampleBirth));
    await t.app.hashfleet.ingest.handle(topics.power('sc-c01'), enc(examplePower));
    const res = await t.app.inject({ url: '/api/v1/containers/sc-c01', headers: t.auth('technician') });
    expect(res.statusCode).toBe(200);
    expect(res.json().pdus).toEqual([{ pduId: 'pdu-r03', at: pdu0.at, powerW: 39_000, phases: pdu0.phases }]);
  });

  it('a later sample without phases replaces them: the snapshot has phases null', async () => {
    await t.app.hashfleet.ingest.handle(topics.power('sc-c01'), enc(examplePower));
    const later = { ...examplePower, seq: 2, pdus: [{ ...pdu0, at: pdu0.at + 30_000, phases: null }] };
    await t.app.hashfleet.ingest.handle(topics.power('sc-c01'), enc(later));
    const snap = await readSnapshot(t.app.hashfleet.db);
    expect(snap.pdus.find((p) => p.id === 'pdu-r03')!.phases).toBeNull();
  });
});
