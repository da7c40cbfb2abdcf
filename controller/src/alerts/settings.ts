/** Timing and notification limits of the alerts engine (the rules themselves are data). */
export type AlertSettings = {
  // How often the evaluation job runs is configuration: `alerts.evaluateEveryS` (core/config.ts).
  /** How often the webhook outbox is drained. */
  notifyEveryMs: number;
  /** A (rule, subject) that opened more than `flapBudget` times within `flapWindowMs` is flapping: held. */
  flapWindowMs: number;
  flapBudget: number;
  /** Delivery attempts per notification before it is marked dead. */
  maxAttempts: number;
  /** Back-off after a failed attempt: base x 2^(attempt-1), capped. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** One webhook POST's time limit. */
  timeoutMs: number;
  /** Deliveries per outbox pass. */
  batch: number;
};

export const DEFAULT_ALERT_SETTINGS: AlertSettings = {
  notifyEveryMs: 5_000,
  flapWindowMs: 3_600_000,
  flapBudget: 3,
  maxAttempts: 10,
  backoffBaseMs: 5_000,
  backoffMaxMs: 600_000,
  timeoutMs: 5_000,
  batch: 50,
};

/** Delay before attempt `attempts + 1` after `attempts` failures. */
export const backoffMs = (
  attempts: number,
  s: Pick<AlertSettings, 'backoffBaseMs' | 'backoffMaxMs'>,
): number => Math.min(s.backoffMaxMs, s.backoffBaseMs * 2 ** Math.max(0, attempts - 1));
