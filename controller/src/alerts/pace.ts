/**
 * Pacing for the alert tick on the main thread. Awaiting a query does not let timers or I/O run
 * (better-sqlite3 answers synchronously and the await resolves as a microtask), so a tick that
 * reads and builds 100,000 miners' state in one go holds the event loop for its whole length;
 * these helpers give the loop a turn between bounded pieces of work.
 */
export const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
