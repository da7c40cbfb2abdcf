import type { ModelInfo } from '@hashfleet/firmware-profiles';
import type { CommandedWindow } from '../commands/index.js';

/**
 * The fleet's latest state as the evaluation sees it: plain data read in bulk once per tick
 * (read.ts), so evaluation is a pure function of it (evaluate.ts).
 */
export type LatestSample = {
  at: number;
  receivedAt: number;
  /** 0 once the agent reported the miner unreachable. */
  online: boolean;
  error: string | null;
  state: string;
  agentId: string | null;
  hashrateThs: number | null;
  expectedThs: number | null;
  chipTempMaxC: number | null;
  boardTempMaxC: number | null;
  fansRpm: number[];
  boards: { index: number; hashrateThs: number | null; chips: number | null }[];
  powerW: number | null;
  powerProvenance: string | null;
  hardwareErrors: number | null;
  uptimeS: number | null;
  pool: { url: string; user: string } | null;
  /** Figures of the sample outside the model's envelope, with their raw values (set to null above). */
  implausible?: { field: string; value: number; min: number; max: number }[];
};

export type MinerSnapshot = {
  id: string;
  siteId: string | null;
  containerId: string | null;
  slotId: string | null;
  rack: string | null;
  slot: string | null;
  /** Canonical model name when the model table knows it, else what the miner reported. */
  model: string | null;
  modelInfo: ModelInfo | null;
  /** Inventory status (in_service, sleeping, in_repair, ...). */
  status: string;
  latest: LatestSample | null;
  /** Hashrate samples (TH/s) of the median window, the latest included; null when not read. */
  recentThs: number[] | null;
  /** The metered outlet feeding this miner's slot. */
  outlet: { pduId: string; outlet: number; powerW: number | null; at: number } | null;
  /** The last sleep/wake/poll.stop/poll.resume command that went out for it. */
  lastControl: { op: string; at: number } | null;
  /** The last action its agent took on its own (local safety) that succeeded; absent = none. */
  lastSafety?: { action: string; at: number } | null;
  /** Last known-good worker (first seen, the last successful pool.set, or marked by a person). */
  knownWorker: { poolUrl: string; worker: string; source: string; at?: number } | null;
  /** Its latest downtime command (restart, reboot, power cycle, sleep) whose window is not over. */
  commanded?: CommandedWindow | null;
  /** A pool change sent or acknowledged and not yet verified: its worker is the one asked for. */
  poolPending?: { url: string; user: string } | null;
  /** Its longest-drifted field from its desired state (controller/src/desired/), since when. */
  drift?: { field: string; desired: string; actual: string | null; since: number } | null;
};

export type PduSnapshot = {
  id: string;
  containerId: string;
  siteId: string | null;
  at: number;
  totalPowerW: number | null;
  outlets: { outlet: number; powerW: number | null; currentA: number | null; state: string }[];
  inletTempsC: number[];
  /** Per-phase current and the PDU's own rating; null when the PDU reports no phases. */
  phases: { phase: number; currentA: number | null; ratedCurrentA: number | null }[] | null;
};

export type AgentSnapshot = {
  id: string;
  siteId: string | null;
  containerId: string | null;
  state: string;
  lastSeenAt: number | null;
  spoolMessages: number | null;
  spoolDropped: number | null;
};

export type FleetSnapshot = {
  miners: MinerSnapshot[];
  pdus: PduSnapshot[];
  agents: AgentSnapshot[];
  /** containerId -> siteId, for container subjects. */
  containerSites: Map<string, string>;
  /** siteId -> the worker names marked known good there (patterns, `*` any run of characters). */
  workerPatterns?: Map<string, RegExp[]>;
};
