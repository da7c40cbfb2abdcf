import { expect, test } from 'vitest';
import { SCAN_RAMP, scan } from '../src/discovery.js';
import { forEachBounded } from '../src/poll/pool.js';

// What this proves (issue 15, launch -> first sample < 2 s): a scan no longer opens its whole
// concurrency of probes at once, which held a starting agent's first miner and its first poll back
// behind hundreds of connects; it starts with a few and grows, one more per probe that ends and
// twice as many per interval, to its concurrency and no further, and still probes every address once.

const tick = () => new Promise((r) => setImmediate(r));

/**
 * forEachBounded over `n` items that each end when released; records how many ran at once at each
 * start. `finish` releases every item, as they start, until all have ended.
 */
function gated(n: number, concurrency: number, ramp?: { from: number; everyMs: number }) {
  const release: (() => void)[] = [];
  let running = 0;
  const atStart: number[] = [];
  const items = Array.from({ length: n }, (_, i) => i);
  const done = forEachBounded(
    items,
    concurrency,
    () =>
      new Promise<void>((r) => {
        running++;
        atStart.push(running);
        release.push(() => {
          running--;
          r();
        });
      }),
    ramp,
  );
  return {
    atStart,
    running: () => running,
    releaseOne: () => release.shift()?.(),
    finish: async () => {
      while (atStart.length < n || release.length) {
        release.shift()?.();
        await tick();
      }
      await done;
    },
  };
}

test('a ramp starts with `from` at once, adds one per item ended and stops at the concurrency', async () => {
  const g = gated(40, 8, { from: 2, everyMs: 60_000 });
  await tick();
  expect(g.running()).toBe(2);
  g.releaseOne();
  await tick();
  // The worker that ended takes the next item, and one more joins.
  expect(g.running()).toBe(3);
  await g.finish();
  expect(g.atStart).toHaveLength(40);
  expect(Math.max(...g.atStart)).toBe(8);
});

test('a ramp doubles every interval, even when nothing ends (items that time out)', async () => {
  const g = gated(20, 8, { from: 1, everyMs: 20 });
  await tick();
  expect(g.running()).toBe(1);
  await new Promise((r) => setTimeout(r, 200));
  expect(g.running()).toBe(8);
  await g.finish();
});

test('without a ramp every worker starts at once', async () => {
  const g = gated(5, 4);
  await tick();
  expect(g.running()).toBe(4);
  await g.finish();
});

test("a scan starts with the ramp's few probes, not its whole concurrency", async () => {
  const started: string[] = [];
  const ctx = { ports: { rpc: 1, wmV3: 1 } } as Parameters<typeof scan>[0];
  // Loopback addresses with nothing on the port: each probe is a refused connect.
  const ips = Array.from({ length: 300 }, (_, i) => `127.1.${i >> 7}.${(i & 127) + 1}`);
  const results: string[] = [];
  const done = scan(
    ctx,
    (function* () {
      for (const ip of ips) {
        started.push(ip);
        yield ip;
      }
    })(),
    { concurrency: 256, timeoutMs: 1000 },
    (r) => results.push(r.ip),
  );
  // The probes the scan opened before anything could answer.
  expect(started).toHaveLength(SCAN_RAMP.from);
  await done;
  expect(results.sort()).toEqual([...ips].sort());
});
