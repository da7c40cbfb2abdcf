import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario, smallScenario } from '../src/index.js';

describe('scenarios', () => {
  it('demo: two sites, four containers, about 400 miners of every firmware, each on a PDU outlet', () => {
    const s = loadScenario('demo');
    expect(s.sites.map((x) => x.id)).toEqual(['sichuan', 'kazakhstan']);
    expect(s.containers).toHaveLength(4);
    expect(s.miners).toHaveLength(400);
    expect(new Set(s.miners.map((m) => m.profile)).size).toBe(8);
    expect(s.miners.every((m) => m.pdu !== null)).toBe(true);
    expect(s.faults.length).toBeGreaterThan(4);
    expect(s.ports).toEqual({ rpc: 4028, wmV3: 4433, ssh: 2222, http: 8080 });
    // Sichuan's wet season is cheaper than its dry season.
    const sc = s.sites[0]!;
    expect(sc.tariffUsdPerKwh[6]![3]!).toBeLessThan(sc.tariffUsdPerKwh[0]![3]!);
  });

  it('is deterministic in the seed', () => {
    expect(loadScenario('demo', { seed: 5 })).toEqual(loadScenario('demo', { seed: 5 }));
    expect(loadScenario('demo', { seed: 5 }).miners[0]!.serial).not.toBe(
      loadScenario('demo', { seed: 6 }).miners[0]!.serial,
    );
  });

  it('bench is sized by parameters up to 10,000 and refuses more', () => {
    const s = loadScenario('bench', { miners: 10_000 });
    expect(s.miners).toHaveLength(10_000);
    expect(new Set(s.miners.map((m) => m.ip)).size).toBe(10_000);
    expect(() => loadScenario('bench', { miners: 10_001 })).toThrow(/1\.\.10000/);
  });

  it('a bad scenario fails with every problem named, where it is', () => {
    const s = smallScenario({ miners: 3, pdus: false });
    s.miners[1]!.ip = s.miners[0]!.ip;
    s.miners[2]!.containerId = 'nowhere';
    (s.miners[0] as { mac: string }).mac = 'not-a-mac';
    expect(() => parseScenario(s)).toThrow(/miners\.0\.mac: MAC as AA:BB:CC:DD:EE:FF/);
    s.miners[0]!.mac = '02:00:00:00:00:01';
    const err = (() => {
      try {
        parseScenario(s);
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(err).toContain('miners.m0002: ip');
    expect(err).toContain('miners.m0003: unknown container nowhere');
  });
});
