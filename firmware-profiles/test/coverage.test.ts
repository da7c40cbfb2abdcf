import { expect, it } from 'vitest';
import { loadTestcases } from './testcase-files.js';

it('the runner covers at least 120 recorded real replies across the firmware families', () => {
  const byProfile = new Map<string, number>();
  for (const tc of loadTestcases())
    byProfile.set(tc.profile, (byProfile.get(tc.profile) ?? 0) + tc.files.length);
  const total = [...byProfile.values()].reduce((a, b) => a + b, 0);
  console.log(
    `recorded replies covered: ${total} (${[...byProfile].map(([p, n]) => `${p} ${n}`).join(', ')})`,
  );
  expect(total).toBeGreaterThanOrEqual(120);
});
