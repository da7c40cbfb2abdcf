import type { MinerStatus } from '../fleet/index.js';

/**
 * A move's life, as data: each step says what happens to the asset in inventory. A move that
 * fails a check (wrong serial at installation, not hashing at verification) becomes `flagged`;
 * once the unit is sorted out on site it may be installed again.
 */
export const MOVE_STATES = [
  'planned',
  'decommissioned',
  'packed',
  'in_transit',
  'arrived',
  'installed',
  'verified',
  'flagged',
  'cancelled',
] as const;
export type MoveState = (typeof MOVE_STATES)[number];

/** Where the asset is after a step: kept in its slot, out of any slot, on the road, at the destination. */
export type Placement = 'keep' | 'unslotted' | 'on_road' | 'destination' | 'slot';

export type MoveCommand = 'sleep' | 'poll.stop';

export type Step = {
  from: MoveState[];
  to: MoveState;
  status: MinerStatus | null;
  placement: Placement;
  /**
   * Commands the miner's agent gets, in order: at decommission it puts the miner to sleep (it stops
   * hashing before anyone unplugs it) and stops polling it (no lost-miner alarms while it travels).
   */
  commands: readonly MoveCommand[];
  meaning: string;
};

export const STEPS: readonly Step[] = [
  {
    from: ['planned'],
    to: 'decommissioned',
    status: 'sleeping',
    placement: 'keep',
    commands: ['sleep', 'poll.stop'],
    meaning: 'agent puts the miner to sleep and stops polling it',
  },
  {
    from: ['decommissioned'],
    to: 'packed',
    status: 'in_transit',
    placement: 'unslotted',
    commands: [],
    meaning: 'out of its slot, crated',
  },
  {
    from: ['packed'],
    to: 'in_transit',
    status: 'in_transit',
    placement: 'on_road',
    commands: [],
    meaning: 'left the origin site',
  },
  {
    from: ['in_transit'],
    to: 'arrived',
    status: 'in_storage',
    placement: 'destination',
    commands: [],
    meaning: 'at the destination site, not installed',
  },
  {
    from: ['arrived', 'flagged'],
    to: 'installed',
    status: 'in_service',
    placement: 'slot',
    commands: [],
    meaning: 'installed into a named slot',
  },
  {
    from: ['installed'],
    to: 'verified',
    status: null,
    placement: 'keep',
    commands: [],
    meaning: 'destination agent sees the same serial hashing',
  },
  {
    from: ['planned'],
    to: 'cancelled',
    status: null,
    placement: 'keep',
    commands: [],
    meaning: 'dropped before anything moved',
  },
];

/** The step from `from` to `to`, or an error naming the allowed next states. */
export function stepFor(moveId: string, from: MoveState, to: MoveState): Step {
  const step = STEPS.find((s) => s.to === to && s.from.includes(from));
  if (step) return step;
  const next = STEPS.filter((s) => s.from.includes(from)).map((s) => s.to);
  throw new Error(`move ${moveId}: cannot go from ${from} to ${to} (next: ${next.join(', ') || 'none'})`);
}

/** Share of the expected hashrate a relocated miner must reach to count as verified. */
export const VERIFY_MIN_SHARE = 0.9;

export type Evidence = {
  expectedSerial: string | null;
  expectedThs: number | null;
  /** The miner's latest sample since installation, from the destination container's agent. */
  sample: { serial: string | null; hashrateThs: number | null } | null;
  /** Another unit's serial seen in the named slot, or as a new unit in the container, since installation. */
  intruderSerial: string | null;
};

/** The verification verdict: verified, flagged with a reason, or not yet (no evidence). */
export function verify(e: Evidence): { verdict: 'verified' | 'flagged' | 'wait'; reason: string } {
  if (e.sample) {
    if (e.expectedSerial && e.sample.serial && e.sample.serial !== e.expectedSerial) {
      return { verdict: 'flagged', reason: `serial ${e.sample.serial} seen, expected ${e.expectedSerial}` };
    }
    const ths = e.sample.hashrateThs ?? 0;
    const need = (e.expectedThs ?? 0) * VERIFY_MIN_SHARE;
    if (ths <= 0 || ths < need) {
      return {
        verdict: 'flagged',
        reason: `hashing ${ths.toFixed(1)} TH/s, expected at least ${need.toFixed(1)}`,
      };
    }
    return {
      verdict: 'verified',
      reason: `serial ${e.sample.serial ?? e.expectedSerial} hashing ${ths.toFixed(1)} TH/s`,
    };
  }
  if (e.intruderSerial) {
    return {
      verdict: 'flagged',
      reason: `unit ${e.intruderSerial} seen instead of ${e.expectedSerial ?? 'the expected miner'}`,
    };
  }
  return { verdict: 'wait', reason: 'the destination agent has not reported this miner since installation' };
}
