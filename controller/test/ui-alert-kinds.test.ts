import { describe, expect, it } from 'vitest';
import { ALERT_KINDS } from '../src/alerts/kinds.js';
import { CATALOGUES } from '../ui/app/i18n.js';
import { LABELLED } from '../ui/app/labels.js';

/**
 * The web UI keeps its own list of alert kinds (ui/app/labels.ts: the bundle does not import
 * controller source), so this holds it to the controller's (alerts/kinds.ts): a kind added on one
 * side only would show untranslated, or never be offered as a filter.
 */
describe('alert kinds: the UI and the controller name the same ones', () => {
  it('the UI labels exactly the kinds the controller raises, in the same order', () => {
    expect([...LABELLED.alertKind]).toEqual([...ALERT_KINDS]);
  });

  it('every kind has its name in every catalogue', () => {
    for (const [lng, cat] of Object.entries(CATALOGUES))
      for (const kind of ALERT_KINDS)
        expect(cat, `${lng} alertKind.${kind}`).toHaveProperty([`alertKind.${kind}`]);
  });
});
