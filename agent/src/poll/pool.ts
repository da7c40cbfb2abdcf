/**
 * Runs `fn` over `items` with at most `concurrency` at once; resolves when all have settled. Kept
 * by hand rather than p-limit (agent/src/poll/poller.ts uses that): it pulls `items` lazily, so a
 * scan of 65,536 addresses never holds more than `concurrency` of them, where p-limit takes one
 * queued promise per item.
 *
 * `ramp` starts with `ramp.from` at once and grows to `concurrency` as in TCP's slow start: one
 * more each time an item ends, and twice as many every `ramp.everyMs` (so items that time out do
 * not hold the growth back).
 */
export async function forEachBounded<T>(
  items: Iterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<void>,
  ramp?: { from: number; everyMs: number },
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  const max = Math.max(1, concurrency);
  let done = false;
  const running: Promise<void>[] = [];
  const add = (n: number) => {
    for (let i = 0; i < n && !done && running.length < max; i++) running.push(worker());
  };
  const worker = async () => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) {
      try {
        await fn(next.value);
      } catch {
        // fn reports its own failures; one target's error must not stop the others.
      }
      add(1);
    }
    done = true;
  };
  const timer = ramp ? setInterval(() => add(running.length), ramp.everyMs) : undefined;
  add(ramp ? Math.max(1, ramp.from) : max);
  try {
    // Workers join while earlier ones run: wait for each, including those added meanwhile.
    for (let i = 0; i < running.length; i++) await running[i];
  } finally {
    clearInterval(timer);
  }
}
