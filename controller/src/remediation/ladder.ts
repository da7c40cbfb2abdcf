import { type CommandRung, isCommandRung, LADDERS, RUNGS, type Rung } from './ladders.js';
import type { RemediationSettings } from './settings.js';
import { throttle } from './throttle.js';

/**
 * The escalation ladder of one miner, pure: from its open alerts, the steps already taken, what
 * it can do and the throttles, the next steps to record. The job (`service.ts`) loads the inputs,
 * carries the steps out and stores them; nothing here touches storage or the clock.
 */

export type StepOutcome = 'pending' | 'verified' | 'failed' | 'skipped' | 'throttled' | 'ticket';

export type StepRecord = {
  alertId: string;
  rung: Rung;
  /** When it was recorded (for a command, when it was issued). */
  at: number;
  outcome: StepOutcome;
  /** Why it was skipped or throttled (`no_capability`, `cooldown`, ...); null otherwise. */
  code: string | null;
  /** A ticket step's ticket: its state and when it was done (null while not done). */
  ticketState: 'open' | 'in_progress' | 'done' | null;
  ticketDoneAt: number | null;
};

export type OpenAlert = { id: string; kind: string; openedAt: number };

/** Why each rung is out of reach for this miner (no capability, no outlet, no agent); absent = possible. */
export type Blocked = Partial<Record<CommandRung, { code: string; reason: string }>>;

export type LadderInput = {
  now: number;
  alerts: readonly OpenAlert[];
  /** This miner's steps: every step of its open alerts and at least the last 24 h of the others. */
  steps: readonly StepRecord[];
  blocked: Blocked;
  /** Other miners of its container with a step in its verification window. */
  containerBusy: number;
  /** A technician has taken a ticket on this miner (in progress): no restart, reboot or power-cycle under their hands. */
  technicianOnIt?: boolean;
  settings: RemediationSettings;
};

export type PlannedStep = {
  rung: Rung;
  outcome: 'pending' | 'skipped' | 'throttled' | 'ticket';
  code: string | null;
  reason: string;
  /** Until when a pending step waits for its verification. */
  verifyBy: number | null;
};

export type Decision = {
  /** The alert leading the ladder (null when no open alert has one). */
  alert: OpenAlert | null;
  /** idle: nothing to do; waiting: a step is being verified or a throttle holds; stopped: a ticket is open; acting: steps to carry out. */
  state: 'idle' | 'waiting' | 'stopped' | 'acting';
  reason: string;
  steps: PlannedStep[];
};

const COMMANDED: ReadonlySet<StepOutcome> = new Set(['pending', 'verified', 'failed']);

/** Whether a step sent a command (counted by the throttles). */
export const wasCommand = (s: Pick<StepRecord, 'rung' | 'outcome'>): boolean =>
  isCommandRung(s.rung) && COMMANDED.has(s.outcome);

/** The alert that leads a miner's ladder: highest priority, then the oldest, then by id. */
export function leadAlert(alerts: readonly OpenAlert[]): OpenAlert | null {
  const laddered = alerts.filter((a) => LADDERS[a.kind]);
  laddered.sort(
    (a, b) =>
      LADDERS[b.kind]!.priority - LADDERS[a.kind]!.priority ||
      a.openedAt - b.openedAt ||
      a.id.localeCompare(b.id),
  );
  return laddered[0] ?? null;
}

/**
 * The steps of the alert's current climb. A ticket a technician marked done while the alert is
 * still open starts the climb over (they changed something; the cheap cures are worth another
 * try, within the throttles).
 */
export function episode(steps: readonly StepRecord[], alertId: string): StepRecord[] {
  const mine = steps.filter((s) => s.alertId === alertId).sort((a, b) => a.at - b.at);
  const resetAt = lastTicketDone(mine);
  return mine.filter((s) => s.at > resetAt);
}

/** When the alert's last ticket was done (-Infinity when none was). */
function lastTicketDone(steps: readonly StepRecord[]): number {
  return Math.max(
    Number.NEGATIVE_INFINITY,
    ...steps
      .filter((s) => s.outcome === 'ticket' && s.ticketState === 'done')
      .map((s) => s.ticketDoneAt ?? s.at),
  );
}

export function decide(input: LadderInput): Decision {
  const { now, settings } = input;
  const alert = leadAlert(input.alerts);
  if (!alert) return { alert: null, state: 'idle', reason: 'no open alert starts the ladder', steps: [] };
  if (!settings.enabled)
    return { alert, state: 'idle', reason: 'remediation is disabled at this site', steps: [] };
  const pending = input.steps.find((s) => s.outcome === 'pending');
  if (pending) return { alert, state: 'waiting', reason: `${pending.rung} is being verified`, steps: [] };

  const plan = LADDERS[alert.kind]!.rungs;
  const doneAt = lastTicketDone(input.steps.filter((s) => s.alertId === alert.id));
  if (now < doneAt + settings.afterTicketS * 1000)
    return { alert, state: 'waiting', reason: 'ticket done: giving the alert time to clear', steps: [] };
  const climb = episode(input.steps, alert.id);
  const done = climb.filter((s) => s.outcome !== 'throttled');
  const last = done.at(-1);
  if (last?.outcome === 'ticket')
    return { alert, state: 'stopped', reason: 'the ladder has not helped: a ticket is open', steps: [] };
  const from = last ? plan.indexOf(last.rung) + 1 : 0;
  const issued = input.steps.filter(wasCommand).map((s) => s.at);
  const lastThrottle = climb.at(-1)?.outcome === 'throttled' ? climb.at(-1)! : null;

  const steps: PlannedStep[] = [];
  for (const rung of plan.slice(from)) {
    if (!isCommandRung(rung)) {
      steps.push({ rung, outcome: 'ticket', code: null, reason: ticketReason(climb, steps), verifyBy: null });
      return { alert, state: 'acting', reason: 'ticket for a technician', steps };
    }
    const blocked = input.blocked[rung];
    if (blocked) {
      steps.push({ rung, outcome: 'skipped', code: blocked.code, reason: blocked.reason, verifyBy: null });
      continue;
    }
    const info = RUNGS[rung];
    const held = !info.throttled
      ? null
      : input.technicianOnIt
        ? {
            code: 'technician' as const,
            reason: 'a technician is working on it (ticket in progress)',
            until: null,
          }
        : throttle({ now, issuedAt: issued, containerBusy: input.containerBusy, settings });
    if (held?.code === 'daily_cap') {
      // Out of budget for today: the ladder has not helped, so a person takes over now.
      steps.push({ rung, outcome: 'throttled', code: held.code, reason: held.reason, verifyBy: null });
      steps.push({
        rung: 'ticket',
        outcome: 'ticket',
        code: null,
        reason: `${rung} not sent: ${held.reason}`,
        verifyBy: null,
      });
      return { alert, state: 'acting', reason: held.reason, steps };
    }
    if (held) {
      // Recorded once per wait, not on every tick.
      const again = lastThrottle?.rung === rung && lastThrottle.code === held.code && steps.length === 0;
      if (!again)
        steps.push({ rung, outcome: 'throttled', code: held.code, reason: held.reason, verifyBy: null });
      return { alert, state: steps.length ? 'acting' : 'waiting', reason: held.reason, steps };
    }
    steps.push({
      rung,
      outcome: 'pending',
      code: null,
      reason: `${alert.kind}: ${rung}`,
      verifyBy: now + settings.verifyS[rung] * 1000,
    });
    // A protective step is not waited on: the next rung follows in the same tick.
    if (info.verify === 'alert') return { alert, state: 'acting', reason: `${rung} sent`, steps };
  }
  return { alert, state: 'stopped', reason: 'no rung left on the ladder', steps };
}

function ticketReason(climb: readonly StepRecord[], planned: readonly PlannedStep[]): string {
  const tried = [
    ...climb.filter((s) => s.outcome !== 'throttled').map((s) => `${s.rung} ${s.outcome}`),
    ...planned.map((s) => `${s.rung} ${s.outcome === 'pending' ? 'sent' : s.outcome}`),
  ];
  return tried.length ? `after ${tried.join(', ')}` : 'needs a technician';
}

export type SettleInput = {
  rung: CommandRung;
  verifyBy: number;
  /** The alert the step was taken for: its state now (null when not found). */
  alertState: 'open' | 'resolved' | null;
  /**
   * How a resolved alert resolved (`details.resolvedBy` of the alerts feature): `clear` when its
   * figure came back; `suppressed` (the miner was paused, slept, taken out of service, the rule
   * disabled) or `rule_gone` prove nothing about the fix. Absent on alerts resolved before the
   * field existed: then `resolvedBecause` 'back to normal' is a clear.
   */
  alertResolvedBy?: string | null;
  alertResolvedBecause?: string | null;
  /** The step's command: `commands.state` and its result message. */
  commandState: string | null;
  commandMessage: string | null;
  now: number;
};

const FAILED_COMMAND = new Set(['failed', 'refused', 'timeout', 'expired']);
const COMMAND_DONE = new Set(['verified', 'unverified', 'succeeded']);

/** Whether a pending step is verified (it helped) or failed (escalate); null while it waits. */
export function settle(s: SettleInput): { outcome: 'verified' | 'failed'; reason: string } | null {
  const why = s.commandMessage ? `: ${s.commandMessage}` : '';
  if (s.commandState && FAILED_COMMAND.has(s.commandState))
    return { outcome: 'failed', reason: `command ${s.commandState}${why}` };
  if (RUNGS[s.rung].verify === 'command') {
    // Done only on the agent's word that it took (verified), or that no reading can show it
    // (unverified, succeeded from agents without effect checks); acknowledged still waits.
    if (s.commandState && COMMAND_DONE.has(s.commandState))
      return { outcome: 'verified', reason: `command ${s.commandState}` };
    return s.now >= s.verifyBy ? { outcome: 'failed', reason: 'no command result in time' } : null;
  }
  if (s.alertState === 'resolved') {
    const cleared = s.alertResolvedBy
      ? s.alertResolvedBy === 'clear'
      : (s.alertResolvedBecause ?? 'back to normal') === 'back to normal';
    if (cleared) return { outcome: 'verified', reason: 'alert resolved' };
    // Not a success: the next alert of this miner climbs from where this one stopped.
    return {
      outcome: 'failed',
      reason: `alert resolved without proving the fix: ${s.alertResolvedBecause ?? s.alertResolvedBy}`,
    };
  }
  if (s.now >= s.verifyBy)
    return { outcome: 'failed', reason: 'alert still open after the verification window' };
  return null;
}
