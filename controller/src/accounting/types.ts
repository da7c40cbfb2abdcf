/** Shapes shared by the pure accounting functions. Money is integer satoshis (bigint) throughout. */

export type NodeKind = 'solo' | 'shared';
/** What happens when costs exceed the pool credit (docs/reference.md §10). */
export type LossRule = 'carry_forward' | 'pay_zero';

export interface StakingNode {
  id: string;
  kind: NodeKind;
}

/**
 * One effective-dated stake entry: from `effectiveAtMs` on, `holder` has `amountUnits` HSS units
 * of collateral in `nodeId` (a level, not a delta; 0 withdraws). Entries are never updated:
 * a change is a new entry. Among entries with the same holder, node and time the highest `seq` wins.
 */
export interface StakeEntry {
  seq: number;
  holder: string;
  nodeId: string;
  amountUnits: bigint;
  /** Whole seconds (ms divisible by 1000), so time-weighted stake is units x seconds. */
  effectiveAtMs: number;
  /** When the entry was recorded in the register; in close inputs from schema @2 on. */
  recordedAtMs?: number;
}

/** Payout rule, versioned: a close records the version it used. Shares in basis points sum to 10000. */
export interface PayoutRule {
  version: number;
  stakerBps: number;
  reinvestBps: number;
  operatorBps: number;
  lossRule: LossRule;
  minNodeCollateralUnits: bigint;
}

export interface Period {
  id: string;
  startMs: number;
  endMs: number;
}
