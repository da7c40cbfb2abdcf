import { describe, expect, it } from 'vitest';
import { type CommandRow, shownState, shownWords } from '../ui/app/command-row.js';
import { CATALOGUES } from '../ui/app/i18n.js';
import { LABELLED } from '../ui/app/labels.js';

/**
 * Issue 16 in the UI ("claim only what you observed"): a miner's command history shows the
 * command's own state, so an acknowledged command reads as acknowledged, not as the result's
 * `succeeded` summary; the miner's reply and what was observed after are shown where the agent
 * sent them. Every state the controller stores has a name in every catalogue.
 */
const row = (over: Partial<CommandRow>): CommandRow => ({
  id: 'c1',
  op: 'restart',
  issuer: 'ops',
  state: 'acknowledged',
  createdAt: 0,
  result: {
    status: 'succeeded',
    message: 'ok',
    effect: { state: 'acknowledged', reply: 'STATUS=S,Msg=restart', observed: null },
  },
  ...over,
});

describe('command history', () => {
  it('shows an acknowledged command as acknowledged, not as its result status succeeded', () => {
    expect(shownState(row({}))).toBe('acknowledged');
    expect(shownState(row({ state: 'unverified' }))).toBe('unverified');
    expect(shownState(row({ state: 'timeout', result: { status: 'timeout', message: 'no answer' } }))).toBe(
      'timeout',
    );
  });

  it("shows the miner's reply and the observation, and the message only when neither came", () => {
    expect(shownWords(row({}))).toEqual({ reply: 'STATUS=S,Msg=restart', observed: null, message: null });
    const verified = row({
      state: 'verified',
      result: {
        status: 'succeeded',
        message: 'ok',
        effect: { reply: 'ok', observed: 'uptime went back to 12 s' },
      },
    });
    expect(shownWords(verified)).toEqual({
      reply: 'ok',
      observed: 'uptime went back to 12 s',
      message: null,
    });
    const outlet = row({
      op: 'outlet.cycle',
      state: 'succeeded',
      result: { status: 'succeeded', message: 'cycled' },
    });
    expect(shownWords(outlet)).toEqual({ reply: null, observed: null, message: 'cycled' });
    expect(shownWords(row({ state: 'sent', result: null }))).toEqual({
      reply: null,
      observed: null,
      message: null,
    });
  });

  it('names every state the controller stores in every catalogue', () => {
    const stored = [
      'pending_approval',
      'signing',
      'queued',
      'sent',
      'acknowledged',
      'verified',
      'unverified',
      'succeeded',
      'failed',
      'timeout',
      'expired',
      'refused',
      // A second person turned a waiting command down (controller/src/approvals/store.ts).
      'rejected',
    ];
    expect([...LABELLED.commandState].sort()).toEqual([...stored].sort());
    for (const [lng, cat] of Object.entries(CATALOGUES))
      for (const s of stored) expect(cat, `${lng} commandState.${s}`).toHaveProperty([`commandState.${s}`]);
  });
});
