import type { CommandAction, MinerReading } from '@hashfleet/contracts';
import type { Effect } from '@hashfleet/firmware-profiles';
import { describe, expect, it } from 'vitest';
import { sighting } from '../src/commands/effect.js';

/**
 * The effect judgement alone, as a table (issue 16 item 1): which reading shows a restart (a fresh
 * uptime and hashing again), a pool change (the active pool is the requested URL and user), a
 * power target (limit, else power, within tolerance) and sleep/wake.
 */
const reading = (over: Partial<MinerReading>): MinerReading => ({
  profile: 'cgminer',
  model: null,
  firmwareVersion: null,
  serial: null,
  mac: null,
  state: 'hashing',
  hashrate5sThs: 100,
  hashrateAvgThs: 100,
  expectedHashrateThs: null,
  boards: [],
  chipTempMaxC: null,
  boardTempMaxC: null,
  inletTempC: null,
  outletTempC: null,
  fansRpm: [],
  powerW: null,
  powerProvenance: null,
  powerLimitW: null,
  sharesAccepted: null,
  sharesRejected: null,
  difficultyAccepted: null,
  difficultyRejected: null,
  hardwareErrors: null,
  uptimeS: 86_400,
  pool: null,
  missing: [],
  repairs: [],
  ...over,
});
const target = { kind: 'miner' as const, minerKey: 'm1' };
const restart: CommandAction = { op: 'restart', target };
const pool: CommandAction = {
  op: 'pool.set',
  target,
  url: 'stratum+tcp://new.example:3333',
  user: 'w.new',
  password: 'x',
};
const watts: CommandAction = { op: 'power.target', target, watts: 3000 };
const E = {
  restarted: { kind: 'restarted', windowS: 60 },
  pool: { kind: 'pool', windowS: 60 },
  power: { kind: 'power', windowS: 300, tolerancePct: 10 },
  asleep: { kind: 'hashing', hashing: false, windowS: 60 },
  awake: { kind: 'hashing', hashing: true, windowS: 300 },
} satisfies Record<string, Exclude<Effect, { kind: 'unobservable' }>>;

describe('sighting', () => {
  it.each([
    ['restart: fresh uptime and hashing', E.restarted, restart, { uptimeS: 4 }, 6, true],
    [
      'restart: fresh uptime, still starting',
      E.restarted,
      restart,
      { uptimeS: 4, state: 'starting' },
      6,
      false,
    ],
    ['restart: the old uptime (it never restarted)', E.restarted, restart, { uptimeS: 86_400 }, 6, false],
    ['restart: no uptime reported', E.restarted, restart, { uptimeS: null }, 6, false],
    [
      'pool: requested URL and user',
      E.pool,
      pool,
      { pool: { url: 'STRATUM+TCP://new.example:3333/', user: 'w.new' } },
      5,
      true,
    ],
    [
      'pool: requested URL, other user',
      E.pool,
      pool,
      { pool: { url: 'stratum+tcp://new.example:3333', user: 'w.old' } },
      5,
      false,
    ],
    [
      'pool: still the old pool',
      E.pool,
      pool,
      { pool: { url: 'stratum+tcp://old.example:3333', user: 'w.new' } },
      5,
      false,
    ],
    ['power: limit within 10 %', E.power, watts, { powerLimitW: 3100, powerW: 2000 }, 300, true],
    [
      'power: limit outside 10 % (power near is not enough)',
      E.power,
      watts,
      { powerLimitW: 3400, powerW: 3000 },
      300,
      false,
    ],
    ['power: no limit, power within 10 %', E.power, watts, { powerW: 2800 }, 300, true],
    ['power: neither reported', E.power, watts, {}, 300, false],
    [
      'sleep: not hashing',
      E.asleep,
      { op: 'sleep', target },
      { state: 'sleeping', hashrate5sThs: 0 },
      30,
      true,
    ],
    ['sleep: still hashing', E.asleep, { op: 'sleep', target }, {}, 30, false],
    ['wake: hashing', E.awake, { op: 'wake', target }, {}, 30, true],
  ] as const)('%s', (_name, effect, action, over, sinceS, seen) => {
    const s = sighting(effect, action, reading(over as Partial<MinerReading>), sinceS);
    expect(s.seen, s.observed).toBe(seen);
    expect(s.observed.length).toBeGreaterThan(0);
  });
});

/**
 * A firmware upgrade (issue 20 item 4) shows when the version read back is the image's (Braiins OS
 * names its daemon before it) and the miner hashes at 90 % or more of its expected hashrate, the
 * firmware's own figure first, the nameplate's when it gives none.
 */
describe('sighting: firmware upgrade', () => {
  const upgrade: CommandAction = {
    op: 'firmware.upgrade',
    target,
    family: 'braiins-os',
    image: {
      url: '/api/v1/firmware/images/x/content',
      sha256: 'a'.repeat(64),
      sizeBytes: 10,
      version: '23.1',
    },
  };
  const fw = { kind: 'firmware', windowS: 1200, minHashPct: 90 } as const;
  it.each([
    [
      'new version, 95 % of expected',
      { firmwareVersion: '23.1', hashrate5sThs: 95, expectedHashrateThs: 100 },
      null,
      true,
    ],
    [
      'daemon name before the version',
      { firmwareVersion: 'BOSminer+ 23.1', hashrate5sThs: 95, expectedHashrateThs: 100 },
      null,
      true,
    ],
    [
      'new version, 80 % of expected',
      { firmwareVersion: '23.1', hashrate5sThs: 80, expectedHashrateThs: 100 },
      null,
      false,
    ],
    [
      'old version, hashing',
      { firmwareVersion: '22.8', hashrate5sThs: 100, expectedHashrateThs: 100 },
      null,
      false,
    ],
    [
      'a version that only ends like it',
      { firmwareVersion: '123.1', hashrate5sThs: 100, expectedHashrateThs: 100 },
      null,
      false,
    ],
    [
      'no expected figure: the nameplate',
      { firmwareVersion: '23.1', hashrate5sThs: 95, expectedHashrateThs: null },
      100,
      true,
    ],
    [
      'no expected figure at all',
      { firmwareVersion: '23.1', hashrate5sThs: 95, expectedHashrateThs: null },
      null,
      false,
    ],
    [
      'no version reported',
      { firmwareVersion: null, hashrate5sThs: 100, expectedHashrateThs: 100 },
      null,
      false,
    ],
  ] as const)('%s', (_why, over, nameplate, seen) => {
    expect(sighting(fw, upgrade, reading(over), 300, nameplate).seen).toBe(seen);
  });
});
