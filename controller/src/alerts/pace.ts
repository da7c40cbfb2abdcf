/**
 * Pacing for the alert tick on the main thread. Awaiting a query does not let timers or I/O run
 * (better-sqlite3 answers synchronously and the await resolves as a microtask), so a tick that
 * reads and builds 100,000 miners' state in one go holds the event loop for its whole length;
 * these helpers give the loop a turn between bounded pieces of work. Each turn also ends the tick
 * when the controller is shutting down (core/jobs.ts throwIfStopping), so a stop does not wait for
 * a long tick; its writes are one transaction, rolled back. `yieldToLoop` is core/jobs.ts's.
 */
import { yieldToLoop } from '../core/jobs.js';

export { yieldToLoop };

/**
 * Every row of a keyset-paged query, `size` rows per page with a turn of the event loop between
 * pages. `fetch(after)` reads the page after the row `after` (null: the first page), in key order.
 */
export async function inPages<T>(fetch: (after: T | null) => Promise<T[]>, size: number): Promise<T[]> {
  const all: T[] = [];
  let after: T | null = null;
  for (;;) {
    const page = await fetch(after);
    for (const r of page) all.push(r);
    if (page.length < size) return all;
    after = page[page.length - 1]!;
    await yieldToLoop();
  }
}
