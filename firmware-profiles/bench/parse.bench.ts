/**
 * Parse throughput per profile over its recorded testcase replies, against a bare `JSON.parse`
 * of the same bytes measured in the same process (the floor any parser pays). Prints figures;
 * asserts nothing.
 */
import { findModel } from '../src/models.js';
import { PROFILES } from '../src/registry.js';
import type { RawReplies } from '../src/types.js';
import { loadTestcases, pollReplies } from '../test/testcase-files.js';

const BUDGET_MS = Number(process.env.BENCH_MS ?? 700);

function rate(fn: () => void): number {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < BUDGET_MS) {
    for (let i = 0; i < 50; i++) fn();
    n += 50;
    elapsed = performance.now() - start;
  }
  return (n * 1000) / elapsed;
}

const cycles = new Map<string, RawReplies[]>();
for (const tc of loadTestcases()) {
  if (tc.manifest.poll) cycles.set(tc.profile, [...(cycles.get(tc.profile) ?? []), pollReplies(tc)]);
}

const rows: string[][] = [
  ['profile', 'cycles', 'KiB/cycle', 'parse cycles/s', 'JSON.parse cycles/s', 'parse / JSON.parse'],
];
for (const profile of PROFILES) {
  const set = cycles.get(profile.id) ?? [];
  if (!set.length) continue;
  const bodies = set.map((raw) => Object.values(raw).filter((b): b is string => b !== null));
  const kib = bodies.flat().reduce((a, b) => a + b.length, 0) / 1024 / set.length;
  const ctx = set.map((raw) => ({ modelInfo: findModel(profile.parse(raw, { modelInfo: null }).model) }));
  let i = 0;
  const parseRate = rate(() => {
    const k = i++ % set.length;
    profile.parse(set[k]!, ctx[k]!);
  });
  let j = 0;
  const baseRate = rate(() => {
    for (const b of bodies[j++ % bodies.length]!) {
      try {
        JSON.parse(b);
      } catch {
        // malformed captures: the baseline only pays for the failed attempt
      }
    }
  });
  rows.push([
    profile.id,
    String(set.length),
    kib.toFixed(1),
    parseRate.toFixed(0),
    baseRate.toFixed(0),
    `${(baseRate / parseRate).toFixed(1)}x slower`,
  ]);
}

const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows) console.log(r.map((cell, c) => cell.padStart(widths[c]!)).join('  '));
console.log(
  `(each figure: ${BUDGET_MS} ms of repeated calls over all recorded cycles of the profile, after warm-up)`,
);
