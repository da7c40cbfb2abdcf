import type { CommandAction } from '@hashfleet/contracts';
import type { PollSink } from '../poll/poller.js';
import type { Outcome } from './execute.js';

export type PollAction = Extract<CommandAction, { op: 'poll.stop' | 'poll.resume' }>;

export const isPollAction = (a: CommandAction): a is PollAction =>
  a.op === 'poll.stop' || a.op === 'poll.resume';

/**
 * poll.stop / poll.resume: whether this agent polls a miner at all. They act on the agent, not on
 * the miner, so they need no transport; the set is keyed by minerKey, which survives an IP change,
 * and the caller persists it with the agent state.
 */
export function applyPollAction(
  action: PollAction,
  unmanaged: Set<string>,
  knows: (minerKey: string) => boolean,
): Outcome {
  const key = action.target.minerKey;
  if (!knows(key)) {
    return {
      status: 'refused',
      refusal: 'unknown_target',
      transport: null,
      message: `miner ${key}: not known to this agent`,
    };
  }
  const stop = action.op === 'poll.stop';
  const was = unmanaged.has(key);
  if (stop) unmanaged.add(key);
  else unmanaged.delete(key);
  const message =
    was === stop
      ? `miner ${key}: polling was already ${stop ? 'stopped' : 'on'}`
      : `miner ${key}: polling ${stop ? 'stopped' : 'resumed'}`;
  // The agent's own state is its effect, read back at once (issue 16: verified where observable).
  const now = unmanaged.has(key);
  return {
    status: now === stop ? 'succeeded' : 'failed',
    refusal: null,
    transport: null,
    message,
    effect: {
      state: now === stop ? 'verified' : 'failed',
      reply: null,
      observed: `miner ${key} is ${now ? 'out of' : 'in'} this agent's polling`,
      windowEndsAt: null,
    },
  };
}

/**
 * Drops whatever a poll produced for a miner taken out of polling: a poll already in flight when
 * poll.stop arrived, or the one poll that identifies it at a new address after a DHCP move.
 */
export function managedOnly(sink: PollSink, unmanaged: ReadonlySet<string>): PollSink {
  return {
    sample: (s) => {
      if (!unmanaged.has(s.minerKey)) sink.sample(s);
    },
    unreachable: (u) => {
      if (!unmanaged.has(u.minerKey)) sink.unreachable(u);
    },
    event: (e) => {
      if (!unmanaged.has(e.minerKey)) sink.event(e);
    },
  };
}
