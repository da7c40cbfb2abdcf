import type { CommandResult } from '@hashfleet/contracts';
import { getProfile } from '@hashfleet/firmware-profiles';
import type { Db } from '../core/storage/db.js';

/**
 * A command's states as the controller records them (issue 16): `sent`, then the agent's word:
 * `acknowledged` (the miner said yes, nothing checked yet), then `verified`, `failed` or
 * `unverified`. Agents and commands without effect checks (outlets, older agents) end in
 * `succeeded`; `refused`, `timeout` and `expired` as before. An acknowledgement is never success.
 */
export const FINAL_STATES: ReadonlySet<string> = new Set([
  'verified',
  'unverified',
  'succeeded',
  'failed',
  'refused',
  'timeout',
  'expired',
]);

/** States that count as done for bulk jobs, operating profiles and the known-good worker. */
export const DONE_STATES = ['verified', 'unverified', 'succeeded'] as const;

/** States in which the miner accepted the command (a sleep that counts as sent, a pool it took). */
export const ACCEPTED_STATES = ['acknowledged', ...DONE_STATES] as const;

/** SQL list of quoted states, for `state IN (...)` (constants only, never input). */
export const sqlStates = (states: readonly string[]) => states.map((s) => `'${s}'`).join(', ');

/**
 * Operations that take a miner down on purpose (issue 16 item 4): from the miner's `yes` until
 * the window ends or it is seen back, missing readings are expected, not a fault.
 */
export const DOWNTIME_OPS: ReadonlySet<string> = new Set(['restart', 'reboot', 'sleep', 'outlet.cycle']);

/**
 * Window for a downtime command whose agent reports no window of its own (an outlet cycle, an agent
 * from before effect checks): the profile's boot window for the operation (a power cycle boots
 * like a reboot), or this when the profile is unknown or names none.
 */
export const FALLBACK_WINDOW_S = 300;

/**
 * The profile's window for a downtime operation. A power cycle boots like a reboot; its result
 * arrives once the outlet is back on, so its off time is already behind it.
 */
export function profileWindowS(profileId: string | null, op: string): number {
  const asOp = op === 'outlet.cycle' ? 'reboot' : op;
  const profile = profileId ? getProfile(profileId) : undefined;
  const effect = profile?.controls.find((c) => c.op === asOp && c.effect && 'windowS' in c.effect)?.effect;
  const windowS = effect && 'windowS' in effect ? effect.windowS : FALLBACK_WINDOW_S;
  return windowS;
}

/** What one agent result does to the stored command. Pure. */
export type Transition = {
  /** The state the result reports (its effect state, else its status). */
  reported: string;
  /** The command's state after it: unchanged when a late acknowledgement follows a final word. */
  state: string;
  /** Commanded window end on the controller clock; null when the command opens none. */
  windowEndsAt: number | null;
  /** When the command got its final state (controller clock); null while it waits. */
  settledAt: number | null;
};

/**
 * Reads an agent result against the stored command. The agent's window end is on its own clock,
 * so it is carried over as a duration from the result's `sentAt` to the controller's `now`.
 */
export function transition(
  current: {
    op: string;
    state: string;
    windowEndsAt: number | null;
    settledAt: number | null;
    /** When it was sent (controller clock): a window the agent does not report starts there. */
    issuedAt: number | null;
    /** A power cycle's off time, before its boot window starts. */
    offSeconds: number;
  },
  msg: Pick<CommandResult, 'status' | 'effect' | 'sentAt'>,
  now: number,
  fallbackWindowS: number,
): Transition {
  const effect = msg.effect;
  // `sent` in an effect means the miner never answered: the status says how (timeout, failed).
  const reported = effect && effect.state !== 'sent' ? effect.state : msg.status;
  if (reported === 'acknowledged' && FINAL_STATES.has(current.state))
    return {
      reported,
      state: current.state,
      windowEndsAt: current.windowEndsAt,
      settledAt: current.settledAt,
    };
  const downtime = DOWNTIME_OPS.has(current.op);
  let windowEndsAt = current.windowEndsAt;
  // Without the agent's window: the profile's, from when the command went out (an agent answers
  // as soon as the miner does; a late answer does not stretch the window).
  const profileWindowEnd = (current.issuedAt ?? now) + (current.offSeconds + fallbackWindowS) * 1000;
  if (downtime && reported === 'acknowledged') {
    windowEndsAt =
      effect?.windowEndsAt != null ? now + Math.max(0, effect.windowEndsAt - msg.sentAt) : profileWindowEnd;
  } else if (downtime && reported === 'succeeded' && windowEndsAt === null) {
    // No effect check from the agent: the miner is expected back within its profile's window.
    windowEndsAt = profileWindowEnd;
  }
  return {
    reported,
    state: reported,
    windowEndsAt,
    settledAt: FINAL_STATES.has(reported) ? now : null,
  };
}

/** A miner's latest downtime command that may still hold a commanded window. */
export type CommandedWindow = {
  commandId: string;
  op: string;
  state: string;
  /** When the command was created (readings from before it say nothing about after). */
  since: number;
  until: number;
  settledAt: number | null;
};

/**
 * Why a miner's missing or idle readings are expected now, or null: inside the window of a
 * downtime command the miner accepted, until the window ends, the command fails, or (verified,
 * or done without a check) a reading received after that shows it online again.
 */
export function commandedReason(
  w: CommandedWindow | null | undefined,
  latest: { online: boolean; receivedAt: number } | null,
  now: number,
): string | null {
  if (!w || now >= w.until) return null;
  if (w.state !== 'acknowledged' && w.state !== 'verified' && w.state !== 'succeeded') return null;
  if (w.settledAt !== null && latest?.online && latest.receivedAt > w.settledAt) return null;
  return `${w.op} commanded (command ${w.commandId}, ${w.state}), downtime expected until ${new Date(w.until).toISOString()}`;
}

/** Every miner's latest downtime command whose window has not ended at `now`. One query. */
export async function commandedWindows(db: Db, now: number): Promise<Map<string, CommandedWindow>> {
  const rows = await db.all<{
    id: string;
    miner_id: string;
    op: string;
    state: string;
    created_at: number;
    window_ends_at: number;
    settled_at: number | null;
  }>(
    `SELECT id, miner_id, op, state, created_at, window_ends_at, settled_at FROM commands
     WHERE window_ends_at > ? AND miner_id IS NOT NULL ORDER BY created_at, id`,
    [now],
  );
  const out = new Map<string, CommandedWindow>();
  for (const r of rows) {
    out.set(r.miner_id, {
      commandId: r.id,
      op: r.op,
      state: r.state,
      since: Number(r.created_at),
      until: Number(r.window_ends_at),
      settledAt: r.settled_at === null ? null : Number(r.settled_at),
    });
  }
  return out;
}

export type StateRecord = {
  state: string;
  at: number;
  reply: string | null;
  observed: string | null;
  message: string | null;
  windowEndsAt: number | null;
};

/** Appends one state to a command's history (numbered per command, in arrival order). */
export async function recordState(db: Db, commandId: string, s: StateRecord): Promise<void> {
  await db.run(
    `INSERT INTO command_states (command_id, n, state, at, reply, observed, message, window_ends_at)
     VALUES (?, (SELECT COALESCE(MAX(n), 0) + 1 FROM command_states WHERE command_id = ?), ?, ?, ?, ?, ?, ?)`,
    [commandId, commandId, s.state, s.at, s.reply, s.observed, s.message, s.windowEndsAt],
  );
}

/** A command's states, oldest first, as the API shows them. */
export async function commandStates(db: Db, commandId: string): Promise<StateRecord[]> {
  const rows = await db.all<{
    state: string;
    at: number;
    reply: string | null;
    observed: string | null;
    message: string | null;
    window_ends_at: number | null;
  }>(
    'SELECT state, at, reply, observed, message, window_ends_at FROM command_states WHERE command_id = ? ORDER BY n',
    [commandId],
  );
  return rows.map((r) => ({
    state: r.state,
    at: Number(r.at),
    reply: r.reply,
    observed: r.observed,
    message: r.message,
    windowEndsAt: r.window_ends_at === null ? null : Number(r.window_ends_at),
  }));
}
