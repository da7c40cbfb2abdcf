import { detectFirmware, findModel, PROFILES } from '@hashfleet/firmware-profiles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALL_PROFILES,
  PROFILE_MODELS,
  type Profile,
  type Simulation,
  smallScenario,
  startSimulation,
} from '../src/index.js';
import { json, rpc, wmV3 } from './client.js';
import { pollOnce } from './poll.js';

/**
 * Runs every registered profile's own poll steps and parser against the simulated firmware of
 * the same id and checks the normalized reading against the simulator's true state. Every model
 * the simulator runs that firmware on is covered (S9 chains 6..8 as well as S19/S21).
 */
const simulated = new Set<string>(ALL_PROFILES);
const cases = PROFILES.flatMap((p) => {
  const models = simulated.has(p.id) ? (PROFILE_MODELS[p.id as Profile] ?? []) : [];
  return models.map((model) => ({ profile: p, model }));
});

/** Counters a firmware does not report at all (no recorded reply of it carries one). */
const NOT_REPORTED: Record<string, string[]> = {
  // m60s-get.miner.status-{summary,edevs}: v3 has share counts in pools, no accepted difficulty.
  'whatsminer-v3': ['difficultyAccepted'],
  // Upstream cgminer's summary/devs/pools carry no fan speeds (the driver's stats might).
  cgminer: ['fansRpm'],
  // BFGMiner too: its summary/devs/pools are cgminer's layout.
  bfgminer: ['fansRpm'],
};

let sim: Simulation;
beforeAll(async () => {
  const scenario = smallScenario({ miners: cases.length, pdus: false, seed: 5 });
  for (const [i, c] of cases.entries())
    Object.assign(scenario.miners[i]!, { profile: c.profile.id, model: c.model });
  sim = await startSimulation(scenario, { httpPort: 8080 });
});
afterAll(() => sim?.stop());

describe('firmware profiles parse the simulated firmwares', () => {
  it('every registered profile is simulated', () => {
    for (const p of PROFILES)
      expect(simulated.has(p.id), `profile ${p.id} has no simulated firmware`).toBe(true);
  });

  cases.forEach((c, i) => {
    it(`${c.profile.id} on ${c.model}: detection and normalized values match the true state`, async () => {
      const m = sim.miners[i]!;
      const detect = {
        version: (await rpc(m.ip, 4028, json('version')).catch(() => null))?.toString('latin1') ?? null,
        devdetails: (await rpc(m.ip, 4028, json('devdetails')).catch(() => null))?.toString('latin1') ?? null,
        deviceInfo: m.ports.wmV3
          ? JSON.stringify((await wmV3(m.ip, m.ports.wmV3, [{ cmd: 'get.device.info' }]))[0])
          : null,
      };
      expect(detectFirmware(detect)?.profile).toBe(c.profile.id);

      const raw = await pollOnce(m.ip, c.profile.poll, m.ports.http);
      const truth = sim.miner(m.id);
      const reading = c.profile.parse(raw, { modelInfo: findModel(c.model) });

      expect(reading.hashrate5sThs).not.toBeNull();
      expect(Math.abs(reading.hashrate5sThs! - truth.hashrateThs)).toBeLessThan(
        truth.nominalThs * 0.001 + 0.01,
      );
      expect(reading.boards).toHaveLength(truth.boardThs.length);
      const boardSum = reading.boards.reduce((s, b) => s + (b.hashrateThs ?? 0), 0);
      // Some profiles sum the boards' averages rather than their 5 s rates: allow the noise.
      expect(Math.abs(boardSum - truth.hashrateThs)).toBeLessThan(truth.nominalThs * 0.03);
      if (NOT_REPORTED[c.profile.id]?.includes('difficultyAccepted')) {
        expect(reading.difficultyAccepted).toBeNull();
        expect(reading.missing).toContain('difficultyAccepted');
      } else expect(reading.difficultyAccepted).toBe(truth.difficultyAccepted);
      if (reading.sharesAccepted !== null) expect(reading.sharesAccepted).toBe(truth.accepted);
      if (NOT_REPORTED[c.profile.id]?.includes('fansRpm')) expect(reading.fansRpm).toEqual([]);
      else expect(reading.fansRpm.filter((f) => f > 0).length).toBe(truth.fanRpm.filter((f) => f > 0).length);
      if (reading.chipTempMaxC !== null)
        expect(Math.abs(reading.chipTempMaxC - Math.max(...truth.chipTempC))).toBeLessThan(10);
      if (reading.uptimeS !== null) expect([truth.elapsedS, truth.uptimeS]).toContain(reading.uptimeS);
      if (reading.pool) expect(reading.pool.url).toBe(truth.pool.url);
      expect(reading.state).toBe('hashing');
      // Power where the firmware reports one (stats.cgi watt, tunerstatus, btminer Power, Avalon PS ...).
      if (reading.powerW !== null)
        expect(Math.abs(reading.powerW - truth.powerW) / truth.powerW).toBeLessThan(0.07);
      if (c.profile.id === 'antminer-stock' && c.model !== 'Antminer S9')
        expect(reading.powerW).toBe(Math.round(truth.powerW));
    });
  });
});
