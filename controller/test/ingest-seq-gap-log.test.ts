import { exampleSample, exampleTelemetry, type Telemetry, topics } from '@hashfleet/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { testApp } from './helpers.js';

/**
 * A skipped data seq is logged only when it is still missing 5 minutes later
 * (controller/src/fleet/ingest/ingest.ts reportGap). Replicas sharing the broker subscription
 * apply one agent's messages out of order as a matter of course: in the 100,000-miner rehearsal
 * one replica logged "lost unless they arrive late" 70 times in 5 minutes and nothing was lost.
 * The gap and late counters are unchanged; only the warning waits.
 */
const T0 = 1_800_000_000_000;

describe('skipped seqs in the log', () => {
  let t: Awaited<ReturnType<typeof testApp>> | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function agent() {
    let clock = T0;
    t = await testApp({}, () => clock);
    const warn = vi.spyOn(t.app.log, 'warn');
    const send = async (seq: number, at: number) => {
      clock = at;
      const msg: Telemetry = {
        ...exampleTelemetry,
        seq,
        sentAt: at,
        samples: [{ ...exampleSample, at }],
        unreachable: [],
      };
      expect(
        await t!.app.hashfleet.ingest.handle(
          topics.telemetry(exampleTelemetry.agentId),
          Buffer.from(JSON.stringify(msg)),
        ),
      ).toBe('applied');
    };
    const gapWarnings = () =>
      warn.mock.calls.map((c) => String(c[1] ?? c[0])).filter((m) => m.includes('data seq(s)'));
    const metrics = async () => (await t!.app.inject({ url: '/metrics' })).body;
    return { send, gapWarnings, metrics };
  }

  it('a seq that arrives a few seconds late is counted as a gap and as late, and not logged', async () => {
    const a = await agent();
    await a.send(0, T0);
    await a.send(2, T0 + 10_000); // 1 skipped
    await a.send(1, T0 + 12_000); // ...and here it is
    await a.send(3, T0 + 320_000); // judged here: nothing missing
    await a.send(4, T0 + 330_000);
    expect(a.gapWarnings()).toEqual([]); // before: "1 data seq(s) skipped: lost unless they arrive late"
    const m = await a.metrics();
    expect(m).toContain('hashfleet_ingest_seq_gaps_total{agent="sc-c01"} 1');
    expect(m).toContain('hashfleet_ingest_seq_late_total{agent="sc-c01"} 1');
  });

  it('a seq still missing 5 minutes later is logged once, on the agent’s next message', async () => {
    const a = await agent();
    await a.send(0, T0);
    await a.send(2, T0 + 10_000); // 1 never comes
    await a.send(3, T0 + 20_000);
    expect(a.gapWarnings()).toEqual([]);
    await a.send(4, T0 + 75_000); // a minute on: not yet
    expect(a.gapWarnings()).toEqual([]);
    await a.send(5, T0 + 315_000);
    await a.send(6, T0 + 325_000);
    expect(a.gapWarnings()).toEqual([
      'agent sc-c01: 1 data seq(s) still missing 5 minutes after later ones arrived: lost unless they arrive late',
    ]);
  });
});
