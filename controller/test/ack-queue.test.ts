import { AcksSchema, topics } from '@hashfleet/contracts';
import { describe, expect, it } from 'vitest';
import { AckQueue } from '../src/core/mqtt/acks.js';

/**
 * The controller's end-to-end acks leave on the event loop's next turn after the commit, one
 * message per agent for what one batch committed, instead of waiting for the interval timer (which
 * added up to a second to every publish-to-durable time); a failed publish waits for the timer.
 */
const nextTurn = () => new Promise<void>((r) => setImmediate(r));

function queue(fail = false) {
  const sent: { topic: string; payload: string }[] = [];
  let calls = 0;
  const q = new AckQueue(
    async (topic, payload) => {
      calls++;
      if (fail) throw new Error('link down');
      sent.push({ topic, payload });
    },
    () => 1_796_000_000_000,
    // An interval no test waits for: whatever is sent here was sent without it.
    { intervalMs: 3_600_000, maxPending: 500 },
  );
  return { q, sent, calls: () => calls };
}

describe('AckQueue', () => {
  it("sends a batch's acks on the next turn, one message per agent, with the batch's seqs as ranges", async () => {
    const { q, sent } = queue();
    // One committed batch: the writer reports each message synchronously.
    for (const seq of [1, 2, 3, 7]) q.add('agent-a', 'boot-0001', seq);
    q.add('agent-b', 'boot-0009', 40);
    expect(sent, 'nothing before the event loop turns').toHaveLength(0);
    await nextTurn();
    expect(sent.map((m) => m.topic).sort()).toEqual([topics.acks('agent-a'), topics.acks('agent-b')]);
    const a = AcksSchema.parse(JSON.parse(sent.find((m) => m.topic === topics.acks('agent-a'))!.payload));
    expect(a.boots).toEqual([
      {
        bootId: 'boot-0001',
        ranges: [
          [1, 3],
          [7, 7],
        ],
      },
    ]);
    // The next batch goes out on its own turn.
    q.add('agent-a', 'boot-0001', 8);
    await nextTurn();
    expect(sent).toHaveLength(3);
    q.stop();
  });

  it('a failed publish puts its seqs back and waits for the timer: no retry loop on the next turns', async () => {
    const { q, calls } = queue(true);
    q.add('agent-a', 'boot-0001', 1);
    await nextTurn();
    expect(calls()).toBe(1);
    for (let i = 0; i < 5; i++) await nextTurn();
    expect(calls(), 'no publish until the interval or a new ack').toBe(1);
    q.flush();
    await nextTurn();
    expect(calls(), 'the interval flush resends the seqs put back').toBe(2);
    q.stop();
  });
});
