/**
 * Runs `fn` over `items` with at most `concurrency` at once; resolves when all have settled. Kept
 * by hand rather than p-limit (agent/src/poll/poller.ts uses that): it pulls `items` lazily, so a
 * scan of 65,536 addresses never holds more than `concurrency` of them, where p-limit takes one
 * queued promise per item.
 */
export async function forEachBounded<T>(
  items: Iterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.iterator]();
  const worker = async () => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) {
      try {
        await fn(next.value);
      } catch {
        // fn reports its own failures; one target's error must not stop the others.
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
}
