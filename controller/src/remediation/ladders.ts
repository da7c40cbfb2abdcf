/**
 * Which alerts start the escalation ladder, and on which rungs. A table (docs/style.md §3), read by
 * the pure ladder (`ladder.ts`); the alert kinds are the `alerts.kind` values of the alerts feature.
 */

/** A rung of the ladder. `ticket` is the last: a technician takes over. */
export type Rung = 'restart' | 'reboot' | 'power_cycle' | 'sleep' | 'ticket';

/** The rungs that send a command to the miner or its PDU outlet. */
export type CommandRung = Exclude<Rung, 'ticket'>;

export type RungInfo = {
  /** The command it sends (contracts `CommandAction.op`). */
  op: 'restart' | 'reboot' | 'outlet.cycle' | 'sleep';
  /**
   * How a step is judged: `alert` waits for the alert to resolve within the rung's verification
   * window; `command` only needs the command to succeed (a protective step that is not expected
   * to cure anything, so the ladder goes on to the next rung at once).
   */
  verify: 'alert' | 'command';
  /**
   * Whether the throttles hold it back. A protective sleep is not held back by a cool-down or a
   * container cap: it lowers power and heat, while the throttles exist to stop restart, reboot and
   * power-cycle storms. It is still recorded and counted.
   */
  throttled: boolean;
};

export const RUNGS: Record<CommandRung, RungInfo> = {
  restart: { op: 'restart', verify: 'alert', throttled: true },
  reboot: { op: 'reboot', verify: 'alert', throttled: true },
  power_cycle: { op: 'outlet.cycle', verify: 'alert', throttled: true },
  sleep: { op: 'sleep', verify: 'command', throttled: false },
};

export type Plan = {
  rungs: readonly Rung[];
  /** When a miner has several open alerts, the highest priority one leads its ladder. */
  priority: number;
};

const SOFT: readonly Rung[] = ['restart', 'reboot', 'power_cycle', 'ticket'];

/**
 * Why these rungs:
 * - `offline` and `hashrate_low` are usually software: a wedged or mis-tuned mining daemon, a hung
 *   control board. The cheapest cure first (a daemon restart, seconds of lost work), then a
 *   reboot (a minute or two), then cutting power at the PDU (clears a control board whose OS no
 *   longer answers, what a technician would do first), then a person. A rung the miner cannot do
 *   (no restart in its firmware profile, no PDU outlet on its slot) is skipped and recorded.
 * - `hw_errors` (chips returning bad nonces): a restart re-runs the firmware's tuning, which is
 *   the one software cure; a reboot or power-cycle does not mend failing chips, so then a ticket.
 * - `fan_failed` and `board_missing` are hardware: restarting or rebooting cannot spin a dead fan
 *   or bring back a board and only adds thermal cycles, so straight to a ticket (no reboot loop
 *   on a hardware fault).
 * - `chip_overtemp` / `board_overtemp` (typically a failed fan or a clogged intake): keep hashing
 *   and the chips cook, reboot and it heats up again; so put the miner to sleep to protect it and
 *   open a ticket in the same step. They outrank everything else so a miner that is both slow and
 *   hot is slept, never rebooted.
 * - `power_mismatch` (the miner's reported power disagrees with its metered outlet): a cabling,
 *   PSU or outlet-map question for a person.
 * - Not here: pool and worker alerts (a pool change is never automatic: it needs a human
 *   approval), and alerts about containers, PDUs, outlets and agents (no single miner to act on).
 */
export const LADDERS: Readonly<Record<string, Plan>> = {
  chip_overtemp: { rungs: ['sleep', 'ticket'], priority: 100 },
  board_overtemp: { rungs: ['sleep', 'ticket'], priority: 100 },
  fan_failed: { rungs: ['ticket'], priority: 90 },
  board_missing: { rungs: ['ticket'], priority: 90 },
  power_mismatch: { rungs: ['ticket'], priority: 50 },
  offline: { rungs: SOFT, priority: 40 },
  hashrate_low: { rungs: SOFT, priority: 30 },
  hw_errors: { rungs: ['restart', 'ticket'], priority: 20 },
};

export const isCommandRung = (r: Rung): r is CommandRung => r !== 'ticket';
