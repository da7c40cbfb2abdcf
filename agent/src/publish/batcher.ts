import { LIMITS, type MinerSample, type Unreachable } from '@hashfleet/contracts';

export type TelemetryBatch = { samples: MinerSample[]; unreachable: Unreachable[] };

/**
 * Splits a batch in halves until each half serialises under the payload limit. `atMost`, when
 * known, is a size the whole batch's serialisation cannot exceed: under the limit, the batch is
 * not serialised just to measure it (OpenBatch knows one from its lines, see BatchContent.chars).
 */
export function splitToFit<T extends TelemetryBatch>(
  batch: T,
  size: (b: T) => number,
  limit: number = LIMITS.maxPayloadBytes - 4096,
  atMost?: number,
): T[] {
  if (atMost !== undefined && atMost <= limit) return [batch];
  if (size(batch) <= limit || batch.samples.length + batch.unreachable.length <= 1) return [batch];
  const hs = Math.ceil(batch.samples.length / 2);
  const hu = Math.ceil(batch.unreachable.length / 2);
  const a = { ...batch, samples: batch.samples.slice(0, hs), unreachable: batch.unreachable.slice(0, hu) };
  const b = { ...batch, samples: batch.samples.slice(hs), unreachable: batch.unreachable.slice(hu) };
  return [...splitToFit(a, size, limit), ...splitToFit(b, size, limit)];
}
