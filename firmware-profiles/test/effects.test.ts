import { describe, expect, it } from 'vitest';
import { PROFILES } from '../src/registry.js';

/**
 * Issue 16: a command is done when the miner shows it, so every control operation of every
 * registered firmware names its effect as data: one a reading can show, within a window, or
 * `unobservable` with the reason the result will carry. A profile added without them fails here.
 */
describe('control effects', () => {
  it.each(PROFILES.flatMap((p) => p.controls.map((c) => [p.id, c.op, c.transport, c] as const)))(
    '%s %s over %s names its effect',
    (_id, _op, _transport, c) => {
      expect(c.effect, 'no effect: the agent could only report it acknowledged').toBeDefined();
      if (c.effect!.kind === 'unobservable') expect(c.effect!.why.length).toBeGreaterThan(10);
      else expect(c.effect!.windowS).toBeGreaterThan(0);
    },
  );
});
