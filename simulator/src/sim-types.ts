import type { ClockMode } from './clock.js';
import type { Fault } from './model/faults.js';
import type { MinerSpec } from './scenario/schema.js';

export type SimMinerInfo = {
  id: string;
  ip: string;
  ports: { rpc: number; wmV3?: number; ssh?: number; http?: number };
  profile: MinerSpec['profile'];
  model: string;
  firmwareVersion: string;
  serial: string;
  mac: string;
  worker: string;
  siteId: string;
  containerId: string;
  rack: string;
  slot: string;
  pduId: string | null;
  outlet: number | null;
};

/** The model's true state, to compare what a poller reports against. */
export type MinerTruth = {
  id: string;
  ip: string;
  mac: string;
  serial: string;
  model: string;
  /** The firmware version it runs (an upgrade changes it). */
  firmwareVersion: string;
  poweredOn: boolean;
  apiUp: boolean;
  mode: 'normal' | 'sleep';
  hashrateThs: number;
  boardThs: number[];
  averageThs: number;
  nominalThs: number;
  accepted: number;
  rejected: number;
  difficultyAccepted: number;
  difficultyRejected: number;
  poolDifficulty: number;
  hardwareErrors: number;
  chipTempC: number[];
  boardTempC: number[];
  fanRpm: number[];
  powerW: number;
  powerLimitW: number;
  uptimeS: number;
  elapsedS: number;
  ambientC: number;
  pool: { url: string; user: string };
  pools: { url: string; user: string }[];
  led: boolean;
  faults: Fault[];
};

export type SimulationOptions = {
  /** `manual` (default for tests) moves time only on tick(); `real` follows the wall clock. */
  clock?: ClockMode;
  /** Start instant of a manual clock (ms since epoch). */
  startMs?: number;
  /** Start the SNMP agents of the scenario's PDUs (default true). */
  pdus?: boolean;
  /** Serve Antminer's web CGI (digest root/root) on this port at every antminer-stock miner; off by default (80 needs root). */
  httpPort?: number;
  /** Serve SSH (reboot, daemon restart) on this port at every miner's address; off by default. */
  sshPort?: number;
  /** Called with progress while binding thousands of listeners. */
  onProgress?: (done: number, total: number) => void;
};
