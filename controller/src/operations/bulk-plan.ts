import { DONE_STATES } from '../commands/index.js';

/** Batch number of the i-th queued miner (selection order): batches of `batchSize`. */
export const batchOf = (i: number, batchSize: number): number => Math.floor(i / batchSize);

/** States of an item's commands -> the item's state: every command must be done. */
export function itemOutcome(
  commands: { state: string; result_json: string | null }[],
): { state: 'sent' } | { state: 'succeeded' } | { state: 'failed'; reason: string } {
  for (const c of commands) {
    if (['failed', 'refused', 'timeout', 'expired'].includes(c.state)) {
      let message = '';
      try {
        message = (JSON.parse(c.result_json ?? 'null') as { message?: string } | null)?.message ?? '';
      } catch {
        // keep the state alone
      }
      return { state: 'failed', reason: `${c.state}${message ? `: ${message}` : ''}` };
    }
  }
  // Verified (or unverified, or succeeded from agents without effect checks) is done; an
  // acknowledgement is still pending: the miner said yes, nothing showed it yet (issue 16).
  return commands.every((c) => (DONE_STATES as readonly string[]).includes(c.state))
    ? { state: 'succeeded' }
    : { state: 'sent' };
}

/** Item states that will not change any more. */
export const FINAL_ITEM_STATES = new Set(['succeeded', 'verified', 'failed', 'refused', 'cancelled']);

/**
 * When the next batch goes out: the batch after `dispatched` waits `pauseMs` after it; null when
 * no queued batch is left.
 */
export function nextBatchAt(dispatchedAt: number, pauseMs: number, batchesLeft: number): number | null {
  return batchesLeft > 0 ? dispatchedAt + pauseMs : null;
}
