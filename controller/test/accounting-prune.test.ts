import { describe, expect, it } from 'vitest';
import { pruneEntries, pruneHoldings } from '../src/accounting/load-inputs.js';
import type { StakeEntry } from '../src/accounting/types.js';

/**
 * The close prunes the stake entries of each page of stakers in one pass over entries that come
 * by holding, time and seq (load-inputs.ts `pruneHoldings`, issue 15 item 3): it must keep exactly
 * what `pruneEntries` keeps (the last level of each holding at the period start, by time then seq,
 * and every entry inside the period), here over random registers with several entries per holding
 * before the start, entries at the same instant, at the start itself and after it.
 */
const START = 1_000_000;

let seed = 12345;
const rand = (n: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % n;
};

function register(count: number): StakeEntry[] {
  const times = [START - 3000, START - 2000, START - 1000, START, START + 1000, START + 2000];
  return Array.from({ length: count }, (_, i) => ({
    seq: i + 1,
    holder: `h${rand(5)}`,
    nodeId: `n${rand(3)}`,
    amountUnits: BigInt(rand(4)),
    effectiveAtMs: times[rand(times.length)]!,
  }));
}

/** As the page query orders them: holder (one per staker), node, time, seq. */
const byHolding = (a: StakeEntry, b: StakeEntry) =>
  (a.holder < b.holder ? -1 : a.holder > b.holder ? 1 : 0) ||
  (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0) ||
  a.effectiveAtMs - b.effectiveAtMs ||
  a.seq - b.seq;

describe('pruning a page of stake entries in one pass', () => {
  it('keeps what pruneEntries keeps, over 500 random registers', () => {
    for (let run = 0; run < 500; run++) {
      const entries = register(1 + rand(40));
      const expected = pruneEntries(entries, START);
      const kept: StakeEntry[] = [];
      pruneHoldings([...entries].sort(byHolding), START, kept);
      kept.sort((a, b) => a.seq - b.seq);
      expect(kept).toEqual(expected);
    }
  });

  it('keeps the last entry at the start of a holding with several before it, and all inside', () => {
    const e = (seq: number, at: number): StakeEntry => ({
      seq,
      holder: 'h',
      nodeId: 'n',
      amountUnits: BigInt(seq),
      effectiveAtMs: at,
    });
    const kept: StakeEntry[] = [];
    pruneHoldings([e(1, START - 5), e(4, START - 5), e(2, START), e(3, START + 1)], START, kept);
    expect(kept.map((x) => x.seq)).toEqual([2, 3]);
  });
});
