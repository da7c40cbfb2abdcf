/**
 * Energy since the previous reading of a cumulative counter, in the counter's own units.
 * A counter that went backwards either wrapped (it was near the top of its width: Raritan values
 * wrap at 2^32) or was reset (APC energy is "user resettable"): a wrap adds the distance to the
 * top, a reset counts from zero and says so.
 */
export function counterSince(
  previous: number | null,
  current: number,
  width: number,
): { since: number | null; reset: boolean } {
  if (previous === null) return { since: null, reset: false };
  if (current >= previous) return { since: current - previous, reset: false };
  if (previous >= width * 0.9 && current < width * 0.1)
    return { since: width - previous + current, reset: false };
  return { since: current, reset: true };
}
