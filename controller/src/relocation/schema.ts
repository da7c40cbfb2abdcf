import { z } from 'zod';
import type { PlannerInput } from './types.js';

/** The planner's input at the API boundary: every option has a default and a one-line meaning. */
const twelve = z.array(z.number().finite()).length(12);
const perMonth = z.union([z.number().positive(), z.array(z.number().positive()).min(1)]);

export const policiesSchema = z.object({
  warranty: z.enum(['keep-near-repair', 'ignore']).default('keep-near-repair'),
  containerMoves: z.enum(['allow', 'never']).default('allow'),
  minerMoves: z.enum(['allow', 'never']).default('allow'),
  deratePctPerC: z.number().min(0).max(100).default(1.5),
  derateAboveC: z.number().default(30),
  conditionStep: z.number().min(0).max(1).default(0.05),
  timeLimitS: z.number().positive().max(3600).default(60),
  mipRelGap: z.number().min(0).max(0.05).default(1e-4),
  /** Salvage value of retiring (selling or scrapping) a miner, USD, by model name; 0 = never retire. */
  salvageUsd: z.record(z.string(), z.number().min(0)).default({}),
  defaultSalvageUsd: z.number().min(0).default(0),
});

export const plannerInputSchema = z.object({
  start: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected YYYY-MM'),
  horizonMonths: z.number().int().min(1).max(36).default(12),
  miners: z.array(
    z.object({
      id: z.string().min(1),
      serial: z.string().nullable().default(null),
      model: z.string().min(1),
      nominalThs: z.number().positive(),
      efficiencyJth: z.number().positive(),
      condition: z.number().min(0).max(1.5).default(1),
      cooling: z.enum(['air', 'hydro', 'immersion']).default('air'),
      warrantyEnd: z.string().nullable().default(null),
      siteId: z.string().min(1),
      containerId: z.string().min(1),
      slot: z.string().nullable().default(null),
    }),
  ),
  sites: z
    .array(
      z.object({
        id: z.string().min(1),
        tariffUsdPerKwh: twelve,
        slots: z.number().int().min(0),
        mw: z.number().min(0),
        ambientC: twelve.default([20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20]),
        availability: twelve.default([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]),
        repairSite: z.boolean().default(false),
        salvageUsd: z.record(z.string(), z.number().min(0)).default({}),
      }),
    )
    .min(1),
  containers: z
    .array(z.object({ id: z.string().min(1), siteId: z.string().min(1), slots: z.number().int().min(0) }))
    .default([]),
  routes: z
    .array(
      z.object({
        from: z.string().min(1),
        to: z.string().min(1),
        transitDays: z.number().min(0).max(120),
        costPerMinerUsd: z.number().min(0),
        costPerContainerUsd: z.number().min(0),
        customsPerMinerUsd: z.number().min(0).default(0),
      }),
    )
    .default([]),
  market: z
    .object({
      btcPriceUsd: perMonth,
      hashpriceBtcPerPhDay: perMonth,
      difficultyGrowthPctPerMonth: z.number().min(-50).max(100).default(0),
    })
    .refine((m) => typeof m.hashpriceBtcPerPhDay === 'number' || m.difficultyGrowthPctPerMonth === 0, {
      message:
        'difficultyGrowthPctPerMonth applies to a single hashprice figure; a per-month hashpriceBtcPerPhDay already carries each month',
      path: ['difficultyGrowthPctPerMonth'],
    }),
  policies: policiesSchema.default(policiesSchema.parse({})),
});

/** Parses an untrusted input; the error lists every problem with its path. */
export function parsePlannerInput(raw: unknown): PlannerInput {
  const r = plannerInputSchema.safeParse(raw);
  if (!r.success) {
    throw new Error(
      `relocation input: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  const problems = checkReferences(r.data);
  if (problems.length) throw new Error(`relocation input: ${problems.join('; ')}`);
  return r.data;
}

/** Cross-references zod cannot see: ids that must exist, containers on one site, full sites. */
export function checkReferences(input: PlannerInput): string[] {
  const problems: string[] = [];
  const sites = new Set(input.sites.map((s) => s.id));
  if (sites.size !== input.sites.length) problems.push('sites: duplicate site id');
  const ids = new Set<string>();
  const containerSite = new Map(input.containers.map((c) => [c.id, c.siteId]));
  for (const c of input.containers)
    if (!sites.has(c.siteId)) problems.push(`container ${c.id}: unknown site ${c.siteId}`);
  const perSite = new Map<string, number>();
  for (const m of input.miners) {
    if (ids.has(m.id)) problems.push(`miner ${m.id}: duplicate id`);
    ids.add(m.id);
    if (!sites.has(m.siteId)) problems.push(`miner ${m.id}: unknown site ${m.siteId}`);
    const cs = containerSite.get(m.containerId);
    if (cs !== undefined && cs !== m.siteId)
      problems.push(`miner ${m.id}: container ${m.containerId} is at ${cs}, not ${m.siteId}`);
    containerSite.set(m.containerId, m.siteId);
    perSite.set(m.siteId, (perSite.get(m.siteId) ?? 0) + 1);
  }
  for (const s of input.sites) {
    const n = perSite.get(s.id) ?? 0;
    if (n > s.slots) problems.push(`site ${s.id}: ${n} miners but ${s.slots} slots`);
  }
  for (const r of input.routes) {
    if (!sites.has(r.from)) problems.push(`route ${r.from}->${r.to}: unknown site ${r.from}`);
    if (!sites.has(r.to)) problems.push(`route ${r.from}->${r.to}: unknown site ${r.to}`);
  }
  for (const [what, v] of Object.entries(input.market)) {
    if (Array.isArray(v) && v.length < input.horizonMonths)
      problems.push(`market.${what}: ${v.length} figures for ${input.horizonMonths} months`);
  }
  return problems;
}
