import {
  exampleSample,
  exampleTelemetry,
  type MinerSample,
  type Telemetry,
  topics,
} from '@hashfleet/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { alertsFeature } from '../src/alerts/index.js';
import { testApp } from './helpers.js';

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const T0 = exampleSample.at;
/** The agent's defaults (agent/src/config-schema.ts, `polling`): per-miner offset, request deadline, re-probe. */
const JITTER_MS = 2_000;
const REQUEST_TIMEOUT_MS = 3_000;
const BACKOFF_MS = 30_000;
const MINERS = 12;

/**
 * Issue 19: a miner that stops answering is alerted offline within one minute. On a manual clock,
 * the real `alerts` job (its own interval, alerts/settings.ts) runs against telemetry from an agent
 * polling every `pollMs`; each miner dies just after a good poll (the worst case for the agent),
 * its next poll fails at its deadline plus the worst jitter, and the miners' poll phases spread
 * the failure reports over the job's ticks. The slowest opening bounds the delay.
 */
describe('offline alert: how long after a miner stops answering it opens', () => {
  let t: Awaited<ReturnType<typeof testApp>> | undefined;
  afterEach(async () => t?.close());

  async function worstDelayMs(pollMs: number): Promise<{ worst: number; everyMs: number }> {
    let clock = T0;
    t = await testApp({}, () => clock);
    const job = alertsFeature.jobs!(t.app.hashfleet).find((j) => j.name === 'alerts')!;
    const keys = Array.from({ length: MINERS }, (_, i) => `SN-BOUND${i}`);
    // Each miner's polls start at its own phase within the poll interval; it dies after two good polls.
    const phase = (i: number) => Math.round((i * pollMs) / MINERS);
    const stoppedAt = new Map(keys.map((k, i) => [k, T0 + phase(i) + pollMs + 1]));
    type Ev = { at: number; run: () => Promise<unknown> };
    const events: Ev[] = [];
    let seq = 1;
    const send = (at: number, samples: MinerSample[], unreachable: Telemetry['unreachable']) =>
      t!.app.hashfleet.ingest.handle(
        topics.telemetry('sc-c01'),
        enc({ ...exampleTelemetry, seq: seq++, sentAt: at, samples, unreachable }),
      );
    const end = T0 + 4 * 60_000;
    keys.forEach((key, i) => {
      const sample = (at: number): MinerSample => ({
        ...exampleSample,
        at,
        minerKey: key,
        serial: key.slice(3),
        ip: `10.0.9.${10 + i}`,
        mac: `02:00:00:00:09:${String(10 + i).padStart(2, '0')}`,
        slot: { rack: 'R09', slot: String(i + 1).padStart(2, '0') },
      });
      const stop = stoppedAt.get(key)!;
      let since: number | null = null;
      for (let at = T0 + phase(i); at < end; ) {
        if (at < stop) {
          const a = at;
          events.push({ at: a, run: () => send(a, [sample(a)], []) });
          at += pollMs;
        } else {
          // The failed poll is reported at its deadline, after the worst offset.
          const a = at + JITTER_MS + REQUEST_TIMEOUT_MS;
          since ??= a;
          const s = since;
          events.push({
            at: a,
            run: () =>
              send(a, [], [{ minerKey: key, ip: `10.0.9.${10 + i}`, at: a, error: 'timeout', since: s }]),
          });
          at += BACKOFF_MS;
        }
      }
    });
    // The job's ticks, at a phase of their own; other agents' traffic keeps this agent heard.
    for (let at = T0 + 7; at < end; at += job.everyMs!) events.push({ at, run: () => job.run(at) });
    events.sort((a, b) => a.at - b.at);
    for (const e of events) {
      clock = e.at;
      await e.run();
    }
    const rows = await t.app.hashfleet.db.all<{ miner_key: string; opened_at: number }>(
      `SELECT am.miner_key, a.opened_at FROM alerts a JOIN agent_miners am ON am.miner_id = a.miner_id
       WHERE a.kind = 'offline' ORDER BY a.opened_at`,
    );
    expect(rows.map((r) => r.miner_key).sort()).toEqual([...keys].sort());
    const worst = Math.max(...rows.map((r) => Number(r.opened_at) - stoppedAt.get(r.miner_key)!));
    return { worst, everyMs: job.everyMs! };
  }

  it("the demo's agents (10 s polls): within 40 s, a margin of 20 s on the minute", async () => {
    const { worst, everyMs } = await worstDelayMs(10_000);
    expect(worst, `worst delay with the alerts job every ${everyMs} ms`).toBeLessThanOrEqual(40_000);
  });

  it('an agent at its default 30 s polls: still within the minute', async () => {
    const { worst, everyMs } = await worstDelayMs(30_000);
    expect(worst, `worst delay with the alerts job every ${everyMs} ms`).toBeLessThanOrEqual(60_000);
  });
});
