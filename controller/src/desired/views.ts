import { z } from 'zod';

/** Response shapes of the desired-state API. */
const Drift = z.object({
  field: z.string(),
  desired: z.string(),
  actual: z.string().nullable(),
  since: z.number().nullable().optional(),
});

export const VersionView = z.looseObject({
  id: z.string(),
  scopeKey: z.string(),
  scope: z.record(z.string(), z.unknown()),
  version: z.number(),
  state: z.string(),
  note: z.string(),
  spec: z.record(z.string(), z.unknown()),
  previousId: z.string().nullable(),
  requestedBy: z.string(),
  approvedBy: z.string().nullable(),
  createdAt: z.number(),
  decidedAt: z.number().nullable(),
});

export const StatesView = z.object({ active: z.array(VersionView), versions: z.array(VersionView) });

export const MinerDriftView = z.object({
  minerId: z.string(),
  serial: z.string().nullable(),
  siteId: z.string().nullable(),
  containerId: z.string().nullable(),
  model: z.string().nullable(),
  rack: z.string().nullable(),
  slot: z.string().nullable(),
  managed: z.boolean(),
  drift: z.array(Drift),
});

const Counts = z.object({
  managed: z.number(),
  drifted: z.number(),
  byField: z.record(z.string(), z.number()),
});
export const DriftCountsView = z.object({
  total: Counts,
  sites: z.array(Counts.extend({ siteId: z.string().nullable() })),
  containers: z.array(Counts.extend({ containerId: z.string().nullable(), siteId: z.string().nullable() })),
});

export const RolloutView = z.looseObject({
  id: z.string(),
  versionId: z.string(),
  version: z.number().nullable(),
  scopeKey: z.string(),
  state: z.string(),
  reason: z.string().nullable(),
  wave: z.number(),
  waves: z.number(),
  canary: z.number(),
  powerBudget: z.number(),
  sitePowerBudget: z.number().nullable(),
  progress: z.array(z.object({ wave: z.number(), counts: z.record(z.string(), z.number()) })),
  items: z.array(
    z.looseObject({
      minerId: z.string(),
      serial: z.string().nullable(),
      wave: z.number(),
      state: z.string(),
      reason: z.string().nullable(),
      ops: z.array(z.string()),
      drift: z.array(Drift),
    }),
  ),
});
