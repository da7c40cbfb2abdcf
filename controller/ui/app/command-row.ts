/**
 * A command as `GET /commands` sends it (controller/src/commands/routes.ts `commandView`), and
 * what the history shows of it. The state is the controller's (issue 16: `acknowledged` means the
 * miner said yes and nothing has checked it yet), never the result's `status`, which summarises an
 * acknowledgement as `succeeded` for readers that know no better.
 */
export interface CommandRow {
  id: string;
  op: string;
  issuer: string;
  state: string;
  createdAt: number;
  result: {
    status?: string;
    message?: string;
    /** The miner's own words and what the readings after showed (contracts/src/commands.ts). */
    effect?: { state?: string; reply?: string | null; observed?: string | null } | null;
  } | null;
}

/** The state to show: the stored command's own. */
export const shownState = (c: CommandRow): string => c.state;

/**
 * What the miner said and what was seen after, where the agent reported them; else the result's
 * message; else nothing. Each line is one observation, as sent.
 */
export function shownWords(c: CommandRow): {
  reply: string | null;
  observed: string | null;
  message: string | null;
} {
  const effect = c.result?.effect;
  const reply = effect?.reply ?? null;
  const observed = effect?.observed ?? null;
  const message = reply === null && observed === null ? (c.result?.message ?? null) : null;
  return { reply, observed, message };
}
