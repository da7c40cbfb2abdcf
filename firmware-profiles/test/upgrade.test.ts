import { describe, expect, it } from 'vitest';
import { getProfile, PROFILES, upgradePath } from '../src/index.js';

/**
 * Firmware upgrade per family as data (issue 20 item 4): every profile says how it takes an image
 * (with the public source of the wire facts and an effect to verify by) or why it cannot, and a
 * family without a path, or an image of another family, is refused up front with the reason.
 */
describe('firmware upgrade paths', () => {
  it('every profile names its transport and source, or the reason it has none', () => {
    for (const p of PROFILES) {
      const u = p.upgrade;
      if (u.kind === 'none') expect(u.why.length, p.id).toBeGreaterThan(20);
      else {
        expect(u.source.length, p.id).toBeGreaterThan(20);
        expect(u.effect.kind, p.id).toBe('firmware');
        expect(u.effect.minHashPct, p.id).toBe(90);
      }
    }
  });

  it.each([
    ['antminer-stock', 'http-upload'],
    ['braiins-os', 'ssh-stream'],
    ['vnish', 'http-upload'],
  ])('%s takes an image over %s', (id, kind) => {
    const path = upgradePath(getProfile(id)!, id);
    expect(path.ok && path.upgrade.kind).toBe(kind);
  });

  it.each(['cgminer', 'bfgminer', 'avalon', 'auradine', 'luxos', 'whatsminer-v2', 'whatsminer-v3'])(
    '%s is refused with the reason',
    (id) => {
      const path = upgradePath(getProfile(id)!, id);
      expect(path.ok).toBe(false);
      if (!path.ok) expect(path.why).toMatch(new RegExp(`^${id} has no upgrade path: .{20,}`));
    },
  );

  it('an image for another firmware is refused, naming both', () => {
    const path = upgradePath(getProfile('braiins-os')!, 'antminer-stock');
    expect(path).toEqual({ ok: false, why: 'the image is for antminer-stock, the miner runs braiins-os' });
  });
});
