import { z } from 'zod';

/**
 * Faults a simulated miner can be given at run time. Connection faults (dead ... garbage) and
 * hardware faults (dead-board, failed-fan, low-hashrate) persist until cleared; the others are
 * events that happen once when set (the pool is changed, counters reset, the miner moves).
 */
export const FaultSchema = z.discriminatedUnion('kind', [
  /** Connection refused on every port. */
  z.object({ kind: z.literal('dead') }),
  /** Accepts the connection and never answers. */
  z.object({ kind: z.literal('hung') }),
  /** Answers after `seconds` (wall clock). */
  z.object({ kind: z.literal('slow'), seconds: z.number().positive().max(600) }),
  /** Sends the first part of the reply and closes. */
  z.object({ kind: z.literal('truncated') }),
  /** Sends bytes that are not a reply. */
  z.object({ kind: z.literal('garbage') }),
  /** Hash board `board` (0-based) stops hashing; its chips read 0. */
  z.object({ kind: z.literal('dead-board'), board: z.number().int().min(0).default(0) }),
  /** Fan `fan` (0-based) reads 0 RPM; temperatures rise and the miner throttles. */
  z.object({ kind: z.literal('failed-fan'), fan: z.number().int().min(0).default(0) }),
  /** Hashrate drops to `factor` of nominal (chips degrading, bad tuning). */
  z.object({ kind: z.literal('low-hashrate'), factor: z.number().min(0).max(1).default(0.6) }),
  /** Someone changed the active pool behind our back. */
  z.object({
    kind: z.literal('pool-changed'),
    url: z.string().default('stratum+tcp://btc.hijack.example:3333'),
    user: z.string().default('intruder.worker1'),
  }),
  /** The mining daemon restarted on its own: counters start from zero, API stays up. */
  z.object({ kind: z.literal('counter-reset') }),
  /** DHCP gave the miner another free address in its container's block. */
  z.object({ kind: z.literal('changed-ip') }),
  /** The control board was swapped: new MAC, same serial, counters reset. */
  z.object({ kind: z.literal('swapped-control-board') }),
]);
export type Fault = z.infer<typeof FaultSchema>;
export type FaultInput = z.input<typeof FaultSchema>;
export type FaultKind = Fault['kind'];

/** Faults that stay active until cleared, as opposed to one-shot events. */
export const PERSISTENT_FAULTS: ReadonlySet<FaultKind> = new Set([
  'dead',
  'hung',
  'slow',
  'truncated',
  'garbage',
  'dead-board',
  'failed-fan',
  'low-hashrate',
]);
