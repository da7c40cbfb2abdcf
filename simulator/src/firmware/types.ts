import type { MinerModel } from '../model/miner.js';

/** What a firmware handler sees of one request. */
export type RpcCall = {
  miner: MinerModel;
  /** Sim time (ms). */
  now: number;
  /** Address the request came from, for access control. */
  peer: string;
  command: string;
  parameter: string | undefined;
  /** The whole JSON request (btminer reads `cmd`, `enc`, `token` ... from it). */
  request: Record<string, unknown> | null;
};

/** A reply document plus an effect to apply once it is sent (reboot after answering). */
export type Reply = { doc: unknown; after?: () => void; wire?: string };

export type CommandHandler = (call: RpcCall) => Reply;

/**
 * One firmware's RPC personality on port 4028: its commands as a table, its access rules and
 * its framing. Reply bodies are built from recorded replies (../templates.ts).
 */
export type RpcFirmware = {
  profile: string;
  /** STATUS[0].Description, e.g. `bmminer 1.0.0`. */
  description(miner: MinerModel): string;
  /** Whether replies end with cgminer's NUL byte. */
  nulTerminated: boolean;
  /** Whether `summary+pools` joins are answered (cgminer >= 3.1 API). */
  joinable: boolean;
  /** cgminer `--api-allow` as shipped; `W:` entries may run privileged commands. */
  defaultApiAllow: string;
  /** cgminer `--api-groups`, e.g. Bitmain's `A:stats:pools:devs:summary:version`. */
  defaultApiGroups?: string;
  commands: Record<string, CommandHandler>;
  /** Commands that need privileged (W) access. */
  privileged: ReadonlySet<string>;
  /** Requests that are not cgminer-shaped (btminer's `cmd` and `enc`); null to fall through. */
  native?(call: RpcCall): Reply | null;
  /** Serialises a reply when the firmware has a byte quirk for that command (`}{`). */
  serialize?(command: string, doc: unknown): string | null;
};
