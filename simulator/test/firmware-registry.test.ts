import { findModel, PROFILES } from '@hashfleet/firmware-profiles';
import { describe, expect, it } from 'vitest';
import { SIM_FIRMWARES } from '../src/firmware/registry.js';
import { parseScenario, smallScenario } from '../src/index.js';

/**
 * Proves the simulator follows the firmware registry from one record per firmware: a registered
 * firmware profile without a simulated twin fails here by name, and so does a twin of no profile.
 */
describe('simulated firmware registry', () => {
  const registered = PROFILES.map((p) => p.id);
  const simulated = SIM_FIRMWARES.map((f) => f.profile);

  it.each(registered)(
    'registered firmware %s has a simulated twin in simulator/src/firmware/registry.ts',
    (id) => {
      expect(
        simulated,
        `firmware ${id} is registered but has no simulated twin (add its record to SIM_FIRMWARES)`,
      ).toContain(id);
    },
  );

  it('every simulated twin is of a registered firmware, once, speaking for it on the wire', () => {
    for (const f of SIM_FIRMWARES) {
      expect(registered, `simulated firmware ${f.profile} names no registered profile`).toContain(f.profile);
      expect(f.rpc.profile, `twin ${f.profile}: its RPC personality says ${f.rpc.profile}`).toBe(f.profile);
    }
    expect(new Set(simulated).size, 'a profile has two simulated twins').toBe(simulated.length);
  });

  it('every model a twin runs on is in the model table', () => {
    for (const f of SIM_FIRMWARES)
      for (const m of f.models) expect(findModel(m)?.model, `twin ${f.profile}: model ${m}`).toBe(m);
  });

  it('a scenario naming a firmware without a twin fails at parse, naming it and the known ones', () => {
    const input = smallScenario({ miners: 1, pdus: false });
    input.miners[0]!.profile = 'iceriver';
    expect(() => parseScenario(input)).toThrow(
      /no simulated firmware "iceriver" \(known: antminer-stock, .*auradine/,
    );
  });
});
