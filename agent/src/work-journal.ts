import type { MinerSample } from '@hashfleet/contracts';
import type { Logger } from 'pino';
import { appendWorkJournal, type WorkEntry } from './state.js';

/**
 * The work bases a batch of samples measured work to: one per sample that carries a share counter
 * or an estimate. A sample without either measured nothing, so its miner's base stays.
 */
export function journalEntries(samples: readonly MinerSample[]): WorkEntry[] {
  return samples.flatMap((s) =>
    s.difficultyAccepted === null && s.work.provenance !== 'estimated'
      ? []
      : [{ minerKey: s.minerKey, at: s.at, difficultyAccepted: s.difficultyAccepted, uptimeS: s.uptimeS }],
  );
}

/**
 * Appends the bases of samples that just reached the spool to `work.journal` (state.ts), so a
 * crash before the next state save neither loses nor double-counts the work they measured. A
 * write that fails is logged and the agent goes on: the state save at the end of the cycle holds
 * the same bases.
 */
export class WorkJournal {
  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  record(samples: readonly MinerSample[]): void {
    try {
      appendWorkJournal(this.dir, journalEntries(samples));
    } catch (err) {
      this.logger.error(`state: cannot append the work journal: ${(err as Error).message}`);
    }
  }
}
