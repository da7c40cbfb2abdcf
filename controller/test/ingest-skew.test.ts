import { exampleSample, exampleTelemetry, type Telemetry, topics } from '@hashfleet/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SkewTracker } from '../src/fleet/ingest/skew.js';
import { testApp } from './helpers.js';

/**
 * An agent's clock skew (controller/src/fleet/ingest/skew.ts): a message that waited in a queue
 * (the broker's, while a fleet is first seen or a replica catches up) is not a clock behind. In
 * the 100,000-miner rehearsal every agent was logged as 49 s behind, and stored so, because its
 * first messages waited. Proves that such waits are neither logged nor kept once a prompt message
 * comes, and that a clock really off is logged once its messages span 5 minutes, ahead or behind.
 */
const MIN = 60_000;
const T0 = 1_800_000_000_000;

describe('agent clock skew', () => {
  let t: Awaited<ReturnType<typeof testApp>> | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function agent(agentId: string, containerId: string) {
    let clock = T0;
    t = await testApp({}, () => clock);
    const warn = vi.spyOn(t.app.log, 'warn');
    let seq = 1;
    const send = async (sentAt: number, at: number) => {
      clock = at;
      const msg: Telemetry = {
        ...exampleTelemetry,
        agentId,
        containerId,
        seq: seq++,
        sentAt,
        samples: [{ ...exampleSample, at: sentAt }],
        unreachable: [],
      };
      expect(
        await t!.app.hashfleet.ingest.handle(topics.telemetry(agentId), Buffer.from(JSON.stringify(msg))),
      ).toBe('applied');
    };
    const skewWarnings = () =>
      warn.mock.calls.map((c) => String(c[1] ?? c[0])).filter((m) => m.includes(`agent ${agentId}: clock`));
    const stored = async () =>
      Number(
        (
          await t!.app.hashfleet.db.get<{ s: number }>('SELECT clock_skew_ms AS s FROM agents WHERE id = ?', [
            agentId,
          ])
        )?.s,
      );
    return { send, skewWarnings, stored };
  }

  it('a first message that waited a minute in the broker is no skew once prompt ones follow, and is not logged', async () => {
    const a = await agent('sc-c01', 'sc-c01');
    await a.send(T0, T0 + MIN); // sent at T0, reached ingest a minute later
    for (let i = 1; i <= 7; i++) await a.send(T0 + MIN + i * MIN, T0 + MIN + i * MIN + 20);
    expect(a.skewWarnings()).toEqual([]); // before: "clock is -60 s off" on the first message
    expect(await a.stored()).toBe(-20);
  });

  it('a clock 2 minutes behind is logged once its messages span 5 minutes, and stored', async () => {
    const a = await agent('sc-c01', 'sc-c01');
    for (let i = 0; i <= 7; i++) await a.send(T0 + i * MIN - 2 * MIN, T0 + i * MIN);
    expect(a.skewWarnings()).toHaveLength(1);
    expect(a.skewWarnings()[0]).toContain('clock is 120 s behind');
    expect(await a.stored()).toBe(-2 * MIN);
  });

  it('a clock ahead is logged as ahead', async () => {
    const a = await agent('sc-c01', 'sc-c01');
    for (let i = 0; i <= 6; i++) await a.send(T0 + i * MIN + 45_000, T0 + i * MIN);
    expect(a.skewWarnings()).toEqual(["agent sc-c01: clock is 45 s ahead of the controller's"]);
    expect(await a.stored()).toBe(45_000);
  });
});

describe('SkewTracker', () => {
  it('keeps the least-delayed message of the last 5 to 10 minutes', () => {
    const s = new SkewTracker(5 * MIN);
    expect(s.note('a', T0, T0 + 90_000)).toEqual({ ms: -90_000, spanMs: 0 });
    expect(s.note('a', T0 + 2 * MIN, T0 + 2 * MIN + 100)).toEqual({ ms: -100, spanMs: 30_100 });
    // A new window keeps the one before: the prompt message still counts.
    expect(s.note('a', T0 + 7 * MIN - 30_000, T0 + 7 * MIN)).toEqual({ ms: -100, spanMs: 330_000 });
    // A window on, the first window's evidence is gone: a clock put back 30 s shows.
    expect(s.note('a', T0 + 13 * MIN - 30_000, T0 + 13 * MIN).ms).toBe(-30_000);
    expect(s.estimate('b')).toBeNull();
  });
});
