/** Reachability of one target and when to try it next: pure, so back-off is tested as a table. */
export type Health = {
  failures: number;
  downSince: number | null;
  lastError: string | null;
  nextAttemptAt: number;
};

export type Backoff = { initialMs: number; maxMs: number };

export const healthy = (): Health => ({ failures: 0, downSince: null, lastError: null, nextAttemptAt: 0 });

/** A dead target is retried after initial·2^(n-1), capped, with ±20 % jitter so retries spread out. */
export function backoffDelay(failures: number, b: Backoff, random: number): number {
  const base = Math.min(b.maxMs, b.initialMs * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + 0.4 * random));
}

export function onFailure(
  h: Health,
  error: string,
  now: number,
  b: Backoff,
  random: number,
): { health: Health; wentDown: boolean } {
  const failures = h.failures + 1;
  return {
    health: {
      failures,
      downSince: h.downSince ?? now,
      lastError: error,
      nextAttemptAt: now + backoffDelay(failures, b, random),
    },
    wentDown: h.downSince === null,
  };
}

export function onSuccess(h: Health): { health: Health; recoveredFrom: number | null } {
  return { health: healthy(), recoveredFrom: h.downSince };
}

/** Whether the target is polled this cycle; a down one only when its back-off has passed. */
export const isDue = (h: Health, now: number): boolean => h.failures === 0 || now >= h.nextAttemptAt;
