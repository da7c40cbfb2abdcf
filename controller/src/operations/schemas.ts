import { z } from 'zod';

/** Response schemas of the operations routes. */

const S = z.string().nullable();
const N = z.number().nullable();

/** A bulk job with its per-miner progress (`describeJob`). */
export const BulkJobView = z.looseObject({
  id: z.string(),
  kind: z.string(),
  ref: S,
  op: z.string(),
  selector: z.unknown(),
  state: z.string(),
  batchSize: z.number(),
  pauseS: z.number(),
  nextBatch: N,
  nextBatchAt: N,
  requestedBy: S,
  approvedBy: S,
  createdAt: z.number(),
  finishedAt: N,
  progress: z.record(z.string(), z.number()),
  items: z.array(
    z.looseObject({
      minerId: z.string(),
      serial: S,
      containerId: S,
      rack: S,
      slot: S,
      batch: z.number(),
      state: z.string(),
      reason: S,
      actions: z.array(z.record(z.string(), z.unknown())),
      previous: z.unknown(),
      commandIds: z.array(z.string()),
      sentAt: N,
    }),
  ),
});
