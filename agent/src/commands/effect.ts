import type { CommandAction, MinerReading } from '@hashfleet/contracts';
import type { Effect } from '@hashfleet/firmware-profiles';
import { withinTolerance } from '@hashfleet/firmware-profiles/effects';

/** Whether one reading shows an operation's effect, and what it showed in words. */
export type Sighting = { seen: boolean; observed: string };

const sameUrl = (a: string, b: string) =>
  a.trim().replace(/\/+$/, '').toLowerCase() === b.trim().replace(/\/+$/, '').toLowerCase();

/**
 * Whether the version a firmware reports is the image's: the same string, or the string after the
 * daemon's name some firmwares put before it (Braiins OS `BOSminer+ <version>` in Description).
 */
export const sameVersion = (reported: string, want: string): boolean => {
  const r = reported.trim();
  const w = want.trim();
  return r === w || r.endsWith(` ${w}`);
};

/**
 * Judges one reading against the profile's effect for the command (pure; issue 16 item 1).
 * `sinceSentS` is the time from sending the command to the reading, on the agent's clock;
 * `nameplateThs` is the model table's hashrate, for a firmware that reports no expected figure.
 */
export function sighting(
  effect: Exclude<Effect, { kind: 'unobservable' }>,
  action: CommandAction,
  reading: MinerReading,
  sinceSentS: number,
  nameplateThs: number | null = null,
): Sighting {
  switch (effect.kind) {
    case 'restarted': {
      const up = reading.uptimeS;
      if (up === null) return { seen: false, observed: 'answers, but reports no uptime' };
      // One second of slack: the firmware rounds its uptime, the agent its clock.
      const fresh = up <= sinceSentS + 1;
      // Done when it answers anew and hashes again; a restarted miner still starting is waited for.
      return {
        seen: fresh && reading.state === 'hashing',
        observed: `answers with uptime ${up} s, ${Math.round(sinceSentS)} s after the command${fresh ? '' : ' (not restarted)'}, ${reading.state}`,
      };
    }
    case 'pool': {
      if (action.op !== 'pool.set') return { seen: false, observed: `${action.op} has no pool to compare` };
      const p = reading.pool;
      if (!p) return { seen: false, observed: 'reports no active pool' };
      return {
        seen: sameUrl(p.url, action.url) && p.user === action.user,
        observed: `active pool ${p.url} user ${p.user}`,
      };
    }
    case 'power': {
      if (action.op !== 'power.target')
        return { seen: false, observed: `${action.op} has no watts to compare` };
      const limit = reading.powerLimitW;
      const value = limit ?? reading.powerW;
      const what = limit !== null ? 'power limit' : 'power';
      if (value === null) return { seen: false, observed: 'reports neither power limit nor power' };
      return {
        seen: withinTolerance(value, action.watts, effect.tolerancePct),
        observed: `reports ${what} ${Math.round(value)} W, asked ${action.watts} W ± ${effect.tolerancePct} %`,
      };
    }
    case 'hashing': {
      const hashing = reading.state === 'hashing';
      const rate = reading.hashrate5sThs === null ? 'no hashrate' : `${reading.hashrate5sThs} TH/s`;
      return { seen: hashing === effect.hashing, observed: `state ${reading.state}, ${rate}` };
    }
    case 'firmware': {
      if (action.op !== 'firmware.upgrade')
        return { seen: false, observed: `${action.op} has no firmware version to compare` };
      const version = reading.firmwareVersion;
      if (version === null) return { seen: false, observed: 'answers, but reports no firmware version' };
      const runs = sameVersion(version, action.image.version);
      const expected = reading.expectedHashrateThs ?? nameplateThs;
      const rate = reading.hashrate5sThs;
      const what = `firmware ${version}${runs ? '' : ` (want ${action.image.version})`}`;
      if (rate === null || expected === null || expected <= 0)
        return { seen: false, observed: `${what}, hashrate or expected hashrate unknown` };
      const pct = (rate / expected) * 100;
      return {
        seen: runs && pct >= effect.minHashPct,
        observed: `${what}, hashing ${rate.toFixed(1)} of ${expected.toFixed(1)} TH/s expected (${Math.round(pct)} %, at least ${effect.minHashPct} % wanted)`,
      };
    }
  }
}
