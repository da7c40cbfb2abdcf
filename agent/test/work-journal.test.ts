import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleSample, type MinerSample } from '@hashfleet/contracts';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { emptyState, loadState, saveState } from '../src/state.js';
import { journalEntries, WorkJournal } from '../src/work-journal.js';

/**
 * The work journal alone: which samples move a miner's work base (a share counter, or an estimate),
 * and that the bases it records come back on the next start until a state save takes them in.
 */
const sample = (minerKey: string, at: number, over: Partial<MinerSample> = {}): MinerSample => ({
  ...exampleSample,
  minerKey,
  at,
  ...over,
});

describe('work journal', () => {
  it('journals a base per sample with a share counter or an estimate, none for one without', () => {
    const counted = sample('a', 10, { difficultyAccepted: 5, uptimeS: 100 });
    const estimated = sample('b', 11, {
      difficultyAccepted: null,
      work: { ...exampleSample.work, provenance: 'estimated' },
    });
    const blind = sample('c', 12, {
      difficultyAccepted: null,
      work: { ...exampleSample.work, provenance: 'reported' },
    });
    expect(journalEntries([counted, estimated, blind]).map((e) => [e.minerKey, e.at])).toEqual([
      ['a', 10],
      ['b', 11],
    ]);
  });

  it('bases recorded after the last state save come back on load; a save takes them in', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    saveState(dir, { ...emptyState(), work: { a: { at: 1, difficultyAccepted: 1, uptimeS: 1 } } });
    const journal = new WorkJournal(dir, pino({ level: 'silent' }));
    journal.record([sample('a', 20, { difficultyAccepted: 9, uptimeS: 50 })]);
    expect(loadState(dir).state.work['a']).toEqual({ at: 20, difficultyAccepted: 9, uptimeS: 50 });
    saveState(dir, emptyState());
    expect(loadState(dir).state.work['a']).toBeUndefined();
  });
});
