import type { MinerOp } from '@hashfleet/contracts';
import type { AuthScheme, Capture, ControlOperation, Effect, Transport } from './types.js';

/**
 * The effects profiles attach to their control operations (issue 16), and the reasons an
 * operation cannot be verified. Windows are the commanded downtime plus settling; each profile
 * passes its own boot and restart times.
 */
export const restarted = (windowS: number): Effect => ({ kind: 'restarted', windowS });
export const poolActive = (windowS: number): Effect => ({ kind: 'pool', windowS });
/** 10 %: the tolerance operating profiles verify power against by default. */
export const powerWithin = (windowS: number, tolerancePct = 10): Effect => ({
  kind: 'power',
  windowS,
  tolerancePct,
});
export const hashing = (on: boolean, windowS: number): Effect => ({ kind: 'hashing', hashing: on, windowS });
/**
 * A firmware upgrade took (issue 20 item 3): the version read back is the image's and the miner
 * hashes at 90 % or more of its expected hashrate, within the window.
 */
export const firmwareRunning = (windowS: number, minHashPct = 90): Extract<Effect, { kind: 'firmware' }> => ({
  kind: 'firmware',
  windowS,
  minHashPct,
});

/**
 * Flashing an image before the boot that follows: no flash time is measured here either, so the
 * upgrade window is the boot window twice over (flash, then boot to hashing).
 */
export const upgradeWindowS = (bootS: number): number => bootS * 2;

/**
 * Whether a reported figure is the asked one within `pct` percent: the one rule both the agent's
 * `power` effect and operating-profile verification judge power by.
 */
export const withinTolerance = (value: number, want: number, pct: number): boolean =>
  Math.abs(value - want) <= (want * pct) / 100;

export const LED_UNOBSERVABLE: Effect = {
  kind: 'unobservable',
  why: 'no reading carries the LED state',
};
export const MODE_UNOBSERVABLE: Effect = {
  kind: 'unobservable',
  why: 'readings carry no work mode, and the power a mode gives depends on the model: operating profiles verify it by expectPowerW',
};

/**
 * Boot windows: every profile's `BOOT_S` is 600 s, power-on to hashing with room to spare. No boot
 * time is measured here, so it is the 10 minutes operating profiles give a change to settle; a
 * miner that hashes again sooner is verified sooner (the window only bounds the wait).
 *
 * cgminer-family daemon restart: the API was gone 2.9 s on a real cgminer 4.11.1 (issue 16); a
 * minute covers the restart, the first reading and a slow fork.
 */
export const DAEMON_RESTART_WINDOW_S = 60;

/**
 * The index of the last row of a `pools` reply: where `addpool` put the pool it added, for
 * firmwares whose `addpool` answer does not name the index (BFGMiner "Added pool 'url'").
 */
export const LAST_POOL_INDEX: Capture = {
  param: 'poolIndex',
  pattern: '"POOL":(\\d+)',
  from: 'body',
  match: 'last',
};

/** Attaches to each control operation the effect named for its op: one row per operation. */
export function withEffects(
  controls: ControlOperation[],
  effects: Partial<Record<MinerOp, Effect>>,
): ControlOperation[] {
  return controls.map((c) => (c.effect || !effects[c.op] ? c : { ...c, effect: effects[c.op] }));
}

type Step = ControlOperation['steps'][number];

/**
 * The maker of a profile's control operations that share a transport, an auth scheme and how
 * success shows in the reply (the Whatsminer v2, v3, VNish, Avalon and LuxOS control tables):
 * each is an op, its request (or requests, in order), whether it disrupts, and a note.
 */
export function controlOps<R extends Step>(
  transport: Transport,
  auth: AuthScheme,
  expect: ControlOperation['expect'],
): (op: MinerOp, steps: R | R[], disruptive: boolean, note?: string) => ControlOperation {
  return (op, steps, disruptive, note) => ({
    op,
    transport,
    auth,
    steps: Array.isArray(steps) ? steps : [steps],
    expect,
    disruptive,
    ...(note ? { note } : {}),
  });
}
