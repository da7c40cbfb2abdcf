import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendWorkJournal, emptyState, loadState, saveState } from '../src/state.js';

describe('agent state across a crash', () => {
  it('work bases journaled after state.json win on reload, so a crash mid-cycle counts no share twice', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-state-'));
    saveState(dir, {
      ...emptyState(),
      work: { a: { at: 1000, difficultyAccepted: 10, uptimeS: 5 } },
      lastCommandSeq: 4,
    });
    appendWorkJournal(dir, [
      { minerKey: 'a', at: 2000, difficultyAccepted: 30, uptimeS: 35 },
      { minerKey: 'b', at: 2000, difficultyAccepted: 7, uptimeS: null },
    ]);
    // A crash while writing the next line leaves it torn: it is skipped, the rest still counts.
    appendFileSync(join(dir, 'work.journal'), '[{"minerKey":"a","at":30');
    const { state, error } = loadState(dir);
    expect(error).toBeNull();
    expect(state.work).toEqual({
      a: { at: 2000, difficultyAccepted: 30, uptimeS: 35 },
      b: { at: 2000, difficultyAccepted: 7, uptimeS: null },
    });
    expect(state.lastCommandSeq).toBe(4);
  });

  it('saving the state empties the journal; an unreadable state file is reported, not fatal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-state-'));
    appendWorkJournal(dir, [{ minerKey: 'a', at: 5, difficultyAccepted: 1, uptimeS: 1 }]);
    saveState(dir, emptyState());
    expect(loadState(dir).state.work).toEqual({});
    writeFileSync(join(dir, 'state.json'), '{broken');
    const r = loadState(dir);
    expect(r.error).toMatch(/state\.json: unreadable state, starting empty/);
  });
});
