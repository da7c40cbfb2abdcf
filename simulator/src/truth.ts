import type { MinerModel } from './model/miner.js';
import type { MinerTruth } from './sim-types.js';

/** The model's true state at `now`, as plain data (copies, so callers cannot change the model). */
export function truthOf(x: MinerModel, now: number): MinerTruth {
  const pool = x.pools[x.activePool] ?? { url: '', user: '' };
  return {
    id: x.id,
    ip: x.ip,
    mac: x.mac,
    serial: x.serial,
    model: x.model.model,
    firmwareVersion: x.firmwareVersion,
    poweredOn: x.poweredOn,
    apiUp: x.apiUp(now),
    mode: x.mode,
    hashrateThs: x.hashrateThs,
    boardThs: [...x.boardThs],
    averageThs: x.averageThs(now),
    nominalThs: x.nominalThs,
    accepted: x.accepted,
    rejected: x.rejected,
    difficultyAccepted: x.difficultyAccepted,
    difficultyRejected: x.difficultyRejected,
    poolDifficulty: x.poolDifficulty,
    hardwareErrors: x.hardwareErrors,
    chipTempC: [...x.chipTempC],
    boardTempC: [...x.boardTempC],
    fanRpm: [...x.fanRpm],
    powerW: x.powerW,
    powerLimitW: x.powerLimitW,
    uptimeS: x.uptimeS(now),
    elapsedS: x.elapsedS(now),
    ambientC: x.ambientC,
    pool: { url: pool.url, user: pool.user },
    pools: x.pools.map((p) => ({ url: p.url, user: p.user })),
    led: x.led,
    faults: [...x.faults.values()],
  };
}
