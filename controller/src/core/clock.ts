/** Milliseconds since the epoch, as `Date.now()` gives them. */
export type Clock = () => number;

/**
 * The one place in controller/src that reads the wall clock: the default of `buildApp`'s `now`,
 * which every feature receives and passes down. Functions below the app take `now` from their
 * caller and never default it, so a code path under test cannot mix an injected clock with the
 * real one (a seeded row with today's date among rows at the test's date sorted wrong for a month
 * before anyone saw it). controller/test/clock.test.ts refuses any other read.
 */
export const systemClock: Clock = () => Date.now();
