import type { RemediationSettings } from './settings.js';

const DAY_MS = 86_400_000;

export type ThrottleInput = {
  now: number;
  /** When each command the ladder sent to this miner was issued (any alert, any age). */
  issuedAt: readonly number[];
  /** Other miners of its container with a step in its verification window right now. */
  containerBusy: number;
  settings: Pick<RemediationSettings, 'maxActionsPerDay' | 'cooldownS' | 'maxConcurrentPerContainer'>;
};

export type Throttle = {
  code: 'daily_cap' | 'cooldown' | 'container_cap';
  reason: string;
  /** When the throttle lifts (null: not by time alone). */
  until: number | null;
};

/** Whether one more command to this miner must wait, and why; null when it may go now. */
export function throttle({ now, issuedAt, containerBusy, settings }: ThrottleInput): Throttle | null {
  const today = issuedAt.filter((t) => t > now - DAY_MS && t <= now).sort((a, b) => a - b);
  if (today.length >= settings.maxActionsPerDay) {
    return {
      code: 'daily_cap',
      reason: `${today.length} commands in the last 24 h (at most ${settings.maxActionsPerDay})`,
      // Lifts when enough of the day's commands age out to leave room for one more.
      until: settings.maxActionsPerDay > 0 ? today[today.length - settings.maxActionsPerDay]! + DAY_MS : null,
    };
  }
  const last = today.at(-1);
  const cooldownMs = settings.cooldownS * 1000;
  if (last !== undefined && now - last < cooldownMs) {
    return {
      code: 'cooldown',
      reason: `last command ${Math.round((now - last) / 1000)} s ago (cool-down ${settings.cooldownS} s)`,
      until: last + cooldownMs,
    };
  }
  if (containerBusy >= settings.maxConcurrentPerContainer) {
    return {
      code: 'container_cap',
      reason: `${containerBusy} miners of this container already being acted on (at most ${settings.maxConcurrentPerContainer})`,
      until: null,
    };
  }
  return null;
}
