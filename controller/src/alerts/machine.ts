import type { Status } from './evaluate.js';

/** Counters carried across ticks for one (rule, subject); persisted in `alert_tracking`. */
export type Tracking = { breaches: number; breachSince: number | null; clears: number };

/** The open alert of a (rule, subject), if any. */
export type OpenAlert = { id: string; value: number | null; message: string };

export type Thresholds = { forPolls: number; forMs: number; clearPolls: number };

export type Transition = 'open' | 'update' | 'resolve' | null;

export type Step = {
  /** null: nothing to keep (no counters, no open alert). */
  tracking: Tracking | null;
  transition: Transition;
};

const fresh: Tracking = { breaches: 0, breachSince: null, clears: 0 };

/**
 * One evaluation's effect on one (rule, subject). Opens after `forPolls` consecutive breaches
 * lasting at least `forMs`; an open alert updates while it breaches or sits in the hysteresis
 * band, and resolves after `clearPolls` consecutive clears, or at once when the subject is
 * suppressed (paused, sleeping) or gone. `unknown` (no fresh data) changes nothing. `status`
 * undefined means the subject no longer has this rule (rule changed or subject removed).
 */
export function step(
  prev: Tracking | undefined,
  open: boolean,
  status: Status | undefined,
  rule: Thresholds,
  now: number,
): Step {
  const t = prev ?? fresh;
  switch (status) {
    case 'breach': {
      const next: Tracking = { breaches: t.breaches + 1, breachSince: t.breachSince ?? now, clears: 0 };
      if (open) return { tracking: next, transition: 'update' };
      const due = next.breaches >= rule.forPolls && now - next.breachSince! >= rule.forMs;
      return { tracking: next, transition: due ? 'open' : null };
    }
    case 'hold':
      // In the band: an open alert stays (and its clear count restarts); a pending one starts over.
      return open
        ? { tracking: { ...t, clears: 0 }, transition: 'update' }
        : { tracking: null, transition: null };
    case 'clear': {
      if (!open) return { tracking: null, transition: null };
      const clears = t.clears + 1;
      if (clears >= rule.clearPolls) return { tracking: null, transition: 'resolve' };
      return { tracking: { breaches: 0, breachSince: null, clears }, transition: null };
    }
    case 'unknown':
      return { tracking: prev ?? null, transition: null };
    default:
      // suppressed, or the rule no longer applies to this subject.
      return { tracking: null, transition: open ? 'resolve' : null };
  }
}
