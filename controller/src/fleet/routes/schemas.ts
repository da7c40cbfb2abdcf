import { z } from 'zod';

/** Response schemas shared by the fleet routes (what `/docs` shows and strict tests check). */

const N = z.number().nullable();

export const Hottest = z.array(
  z.looseObject({
    minerId: z.string(),
    rack: z.string().nullable(),
    slot: z.string().nullable(),
    chipTempMaxC: z.number(),
  }),
);

/** `Rollup` of fleet/rollup.ts. */
export const RollupView = z.looseObject({
  hashrateThs: z.number(),
  expectedThs: z.number(),
  powerW: z.number(),
  powerProvenance: z.record(z.string(), z.number()),
  efficiencyJPerTh: N,
  online: z.number(),
  hashing: z.number(),
  total: z.number(),
  hottest: Hottest,
});

export const Discovery = z.object({ expected: z.number(), found: z.number(), notAnswering: z.number() });

export const IdOnly = z.object({ id: z.string() });

/** An event as the API shows it; `details` is open-ended (one shape per kind). */
export const EventView = z.looseObject({
  id: z.union([z.string(), z.number()]),
  at: z.number(),
  kind: z.string(),
  agentId: z.string().nullable(),
  details: z.unknown(),
});

/** The miner's names beside a `minerId` (fleet/names.ts), so no one reads an id (issue 19 item 2). */
export const MinerNameView = z.object({
  serial: z.string().nullable(),
  assetCode: z.string().nullable(),
  model: z.string().nullable(),
  containerId: z.string().nullable(),
  rack: z.string().nullable(),
  slot: z.string().nullable(),
});
