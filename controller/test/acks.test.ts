import { ACK_LIMITS, decodeAcks, seqRanges, topics } from '@hashfleet/contracts';
import { describe, expect, it } from 'vitest';
import { canPublish, canSubscribe } from '../src/core/broker/acl.js';
import { ackMessages } from '../src/core/mqtt/acks.js';

describe('end-to-end acks: building the messages', () => {
  it.each([
    [[], []],
    [[3], [[3, 3]]],
    [
      [1, 2, 3, 7],
      [
        [1, 3],
        [7, 7],
      ],
    ],
    [
      [9, 8, 8, 1, 0],
      [
        [0, 1],
        [8, 9],
      ],
    ],
  ])('seqRanges(%o) = %o', (seqs, ranges) => {
    expect(seqRanges(seqs)).toEqual(ranges);
  });

  it('splits a batch over several messages, each within ACK_LIMITS and valid by the contract', () => {
    const pending = new Map<string, Set<number>>();
    // Every other seq: as many ranges as seqs, more than one message holds.
    for (let b = 0; b < ACK_LIMITS.maxBoots + 1; b++)
      pending.set(`boot-${String(b).padStart(4, '0')}`, new Set(b === 0 ? [0, 2, 4] : [1]));
    pending.set(
      'boot-many',
      new Set(Array.from({ length: ACK_LIMITS.maxRangesPerBoot + 5 }, (_, i) => i * 2)),
    );
    const msgs = ackMessages('sc-c01', pending, 1000);
    expect(msgs.length).toBeGreaterThan(1);
    for (const m of msgs) expect(decodeAcks(JSON.stringify(m), 'sc-c01').ok).toBe(true);
    const covered = msgs.flatMap((m) => m.boots.flatMap((b) => b.ranges.map(([f]) => `${b.bootId}:${f}`)));
    expect(covered).toHaveLength(3 + ACK_LIMITS.maxBoots + ACK_LIMITS.maxRangesPerBoot + 5);
  });

  it('acks topics: only the controller writes them; an agent reads only its own', () => {
    const a = { kind: 'agent', agentId: 'c01' } as const;
    expect(canPublish({ kind: 'controller' }, topics.acks('c01'))).toBe(true);
    expect(canPublish(a, topics.acks('c01'))).toBe(false);
    expect(canPublish(a, topics.acks('c02'))).toBe(false);
    expect(canSubscribe(a, topics.acks('c01'))).toBe(true);
    expect(canSubscribe(a, topics.acks('c02'))).toBe(false);
    expect(canSubscribe(a, topics.acks('+'))).toBe(false);
  });
});
