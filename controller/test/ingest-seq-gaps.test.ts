import { join } from 'node:path';
import {
  exampleBirth,
  examplePower,
  exampleSample,
  exampleStatus,
  exampleTelemetry,
  SESSION_SEQ_FROM,
  topics,
} from '@hashfleet/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { seqStep } from '../src/fleet/ingest/seq.js';
import { metric, tempDir, testApp } from './helpers.js';

/**
 * Issue 17 item 4 (controller side): every gap in an agent's data seq is counted as a loss, once,
 * whichever replica ingests what, and a birth, status or last will (on the session counter)
 * never makes one. Before this, nothing counted gaps at all.
 */

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const T0 = exampleSample.at;
const telemetry = (seq: number, bootId = exampleTelemetry.bootId) => ({
  ...exampleTelemetry,
  bootId,
  seq,
  agent: null,
  unreachable: [],
  samples: [{ ...exampleSample, at: T0 + seq * 1000 }],
});
const power = (seq: number) => ({ ...examplePower, seq, sentAt: T0 + seq * 1000 });
const agent = exampleTelemetry.agentId;

/** The agent's series of `name`, 0 before it has one. */
const agentMetric = (text: string, name: string) => metric(text, `${name}{agent="${agent}"} `, 0);

describe('seqStep', () => {
  it.each([
    [-1, 0, { skipped: 0, late: false }],
    [4, 5, { skipped: 0, late: false }],
    [4, 8, { skipped: 3, late: false }],
    [8, 6, { skipped: 0, late: true }],
  ])('after %i, seq %i: %o', (prev, seq, step) => {
    expect(seqStep(prev, seq)).toEqual(step);
  });
});

describe('data seq gaps', () => {
  const apps: Awaited<ReturnType<typeof testApp>>[] = [];
  const tmp = tempDir();
  afterEach(async () => {
    for (const a of apps.splice(0)) await a.close();
  });

  async function replica(url = 'sqlite::memory:') {
    const t = await testApp({ storage: { url } }, () => T0 + 60_000);
    apps.push(t);
    const ingest = (topic: string, msg: unknown) => t.app.hashfleet.ingest.handle(topic, enc(msg));
    const metrics = async () => (await t.app.inject({ url: '/metrics' })).body;
    return { ingest, metrics };
  }

  it('counts a gap exactly; a late arrival and a duplicate change nothing more; birth, status and the will make none', async () => {
    const r = await replica();
    await r.ingest(topics.birth(agent), { ...exampleBirth, seq: SESSION_SEQ_FROM });
    for (const seq of [0, 1, 2])
      expect(await r.ingest(topics.telemetry(agent), telemetry(seq))).toBe('applied');
    expect(await r.ingest(topics.power(agent), power(3))).toBe('applied');
    await r.ingest(topics.status(agent), { ...exampleStatus, seq: SESSION_SEQ_FROM + 1 });
    await r.ingest(topics.status(agent), {
      ...exampleStatus,
      seq: SESSION_SEQ_FROM + 2,
      state: 'offline',
      reason: 'lwt',
    });
    expect(await r.ingest(topics.telemetry(agent), telemetry(4))).toBe('applied');
    let m = await r.metrics();
    expect(agentMetric(m, 'hashfleet_ingest_seq_gaps_total')).toBe(0);
    expect(agentMetric(m, 'hashfleet_ingest_seq_missing')).toBe(0);

    // 5 and 6 lost, 7 arrives: two skipped.
    expect(await r.ingest(topics.telemetry(agent), telemetry(7))).toBe('applied');
    m = await r.metrics();
    expect(agentMetric(m, 'hashfleet_ingest_seq_gaps_total')).toBe(2);
    expect(agentMetric(m, 'hashfleet_ingest_seq_missing')).toBe(2);

    // 6 arrives late (a spool replay), 7 again (a redelivery): one still missing.
    expect(await r.ingest(topics.telemetry(agent), telemetry(6))).toBe('applied');
    expect(await r.ingest(topics.telemetry(agent), telemetry(7))).toBe('duplicate');
    m = await r.metrics();
    expect(agentMetric(m, 'hashfleet_ingest_seq_gaps_total')).toBe(2);
    expect(agentMetric(m, 'hashfleet_ingest_seq_late_total')).toBe(1);
    expect(agentMetric(m, 'hashfleet_ingest_seq_missing')).toBe(1);

    // The agent restarts: a new boot numbers from 0 again, which is no gap.
    expect(await r.ingest(topics.telemetry(agent), telemetry(0, 'b7e1c0de-0002'))).toBe('applied');
    expect(await r.ingest(topics.telemetry(agent), telemetry(1, 'b7e1c0de-0002'))).toBe('applied');
    m = await r.metrics();
    expect(agentMetric(m, 'hashfleet_ingest_seq_gaps_total')).toBe(2);
    expect(agentMetric(m, 'hashfleet_ingest_seq_missing')).toBe(1);
  });

  it('two replicas on one database count one gap once between them', async () => {
    const url = `sqlite:${join(tmp.dir, 'shared.db')}`;
    const a = await replica(url);
    const b = await replica(url);
    await a.ingest(topics.telemetry(agent), telemetry(0));
    await b.ingest(topics.telemetry(agent), telemetry(1));
    await a.ingest(topics.telemetry(agent), telemetry(3));
    await b.ingest(topics.telemetry(agent), telemetry(4));
    const [ma, mb] = [await a.metrics(), await b.metrics()];
    expect(
      agentMetric(ma, 'hashfleet_ingest_seq_gaps_total') + agentMetric(mb, 'hashfleet_ingest_seq_gaps_total'),
    ).toBe(1);
    expect(agentMetric(ma, 'hashfleet_ingest_seq_missing')).toBe(1);
    expect(agentMetric(mb, 'hashfleet_ingest_seq_missing')).toBe(1);
  });
});
