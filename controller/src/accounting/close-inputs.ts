import { z } from 'zod';
import type { ContainerEnergyLine, EnergyLine, NetworkStats } from '../energy/index.js';
import type { PayoutRule, Period, StakeEntry, StakingNode } from './types.js';

/**
 * Every input of a period close, frozen. Its canonical JSON is what the input hash covers and
 * what `/periods/:id/inputs` serves. Stakers appear only as `holder` commitments
 * (sha256 of a per-staker secret salt and the staker id, see holder.ts), so the document can be
 * shown to every staker paid in the period without revealing who the others are, and each
 * staker can still find their own rows, re-hash the document and re-run the split.
 */
export const INPUTS_SCHEMA = 'hashfleet/period-close-inputs@3';
/**
 * Versions of the document. @3 (this one): energy is one line per container-hour, the best source
 * of each miner-hour summed (metered > reported > estimated), with the Wh and the count of
 * miner-hours of each source and the tariff rate (energy/energy.ts `ContainerEnergyLine`).
 * @2: every stake entry carries `recordedAtMs`, expected revenue is computed exactly in integers,
 * and a solo node may have one staker at a time; energy is one source per container-hour, summed
 * per site-hour and source. @1: periods closed before. Each recomputes and verifies under its own rules.
 */
export const INPUTS_SCHEMA_V2 = 'hashfleet/period-close-inputs@2';
export const INPUTS_SCHEMA_V1 = 'hashfleet/period-close-inputs@1';
export type InputsSchema = typeof INPUTS_SCHEMA | typeof INPUTS_SCHEMA_V2 | typeof INPUTS_SCHEMA_V1;

export interface Credit {
  id: string;
  pool: string;
  reference: string;
  amountSats: bigint;
}

/** Other operating cost: `amount` is sats when currency is BTC, else micro-units of the currency. */
export interface OtherCost {
  id: string;
  description: string;
  currency: string;
  amount: bigint;
}

export interface BtcPrice {
  currency: string;
  priceMicro: bigint;
  source: string;
  observedAtMs: number;
}

export interface CloseInputs {
  schema: InputsSchema;
  period: Period;
  rule: PayoutRule;
  credits: Credit[];
  /** `EnergyLine` up to @2, `ContainerEnergyLine` from @3. */
  energy: (EnergyLine | ContainerEnergyLine)[];
  otherCosts: OtherCost[];
  btcPrices: BtcPrice[];
  nodes: StakingNode[];
  stakes: StakeEntry[];
  lossCarriedInSats: bigint;
  work: { hourStartMs: number; diff1Shares: number }[];
  network: NetworkStats | null;
}

const big = z
  .string()
  .regex(/^-?\d+$/, 'must be an integer in decimal')
  .transform((s) => BigInt(s));
const nonNegBig = z
  .string()
  .regex(/^\d+$/, 'must be a non-negative integer in decimal')
  .transform((s) => BigInt(s));
const ms = z.number().int().nonnegative();

const stakeV1 = z.object({
  seq: z.number().int(),
  holder: z.string(),
  nodeId: z.string(),
  amountUnits: nonNegBig,
  effectiveAtMs: ms,
});

const docV1 = z.object({
  schema: z.literal(INPUTS_SCHEMA_V1),
  period: z.object({ id: z.string().min(1), startMs: ms, endMs: ms }),
  rule: z.object({
    version: z.number().int().positive(),
    stakerBps: z.number().int().min(0).max(10_000),
    reinvestBps: z.number().int().min(0).max(10_000),
    operatorBps: z.number().int().min(0).max(10_000),
    lossRule: z.enum(['carry_forward', 'pay_zero']),
    minNodeCollateralUnits: nonNegBig,
  }),
  credits: z.array(z.object({ id: z.string(), pool: z.string(), reference: z.string(), amountSats: big })),
  energy: z.array(
    z.object({
      siteId: z.string(),
      hourStartMs: ms,
      provenance: z.enum(['reported', 'estimated', 'metered']),
      energyWh: z.number().int().nonnegative(),
      currency: z.string(),
      ratePerKwhMicro: nonNegBig,
    }),
  ),
  otherCosts: z.array(
    z.object({ id: z.string(), description: z.string(), currency: z.string(), amount: big }),
  ),
  btcPrices: z.array(
    z.object({ currency: z.string(), priceMicro: nonNegBig, source: z.string(), observedAtMs: ms }),
  ),
  nodes: z.array(z.object({ id: z.string(), kind: z.enum(['solo', 'shared']) })),
  stakes: z.array(stakeV1),
  lossCarriedInSats: nonNegBig,
  work: z.array(z.object({ hourStartMs: ms, diff1Shares: z.number().nonnegative() })),
  network: z
    .object({
      difficulty: z.number().positive(),
      blockHeight: z.number().int().nonnegative(),
      feesPerBlockSats: nonNegBig,
      source: z.string(),
      observedAtMs: ms,
    })
    .nullable(),
});

/** Parses a stored inputs document of either version back into typed inputs (the recompute boundary). */
const docV2 = docV1.extend({
  schema: z.literal(INPUTS_SCHEMA_V2),
  stakes: z.array(stakeV1.extend({ recordedAtMs: ms })),
});
const wh = z.number().int().nonnegative();
export const CloseInputsDocSchema = z.discriminatedUnion('schema', [
  docV1,
  docV2,
  docV2.extend({
    schema: z.literal(INPUTS_SCHEMA),
    energy: z.array(
      z.object({
        siteId: z.string(),
        containerId: z.string(),
        hourStartMs: ms,
        meteredWh: wh,
        reportedWh: wh,
        estimatedWh: wh,
        meteredMinerHours: wh,
        reportedMinerHours: wh,
        estimatedMinerHours: wh,
        currency: z.string(),
        ratePerKwhMicro: nonNegBig,
      }),
    ),
  }),
]);

/** The same inputs in the shape of an older document version (to compare a closed period's sources with it). */
export function inputsAsVersion(inputs: CloseInputs, schema: InputsSchema): CloseInputs {
  if (schema !== INPUTS_SCHEMA_V1) return { ...inputs, schema };
  return { ...inputs, schema, stakes: inputs.stakes.map(({ recordedAtMs: _, ...e }) => e) };
}

export function parseInputsDoc(text: string, where: string): CloseInputs {
  const r = CloseInputsDocSchema.safeParse(JSON.parse(text));
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`${where}: stored inputs do not parse: ${issues}`);
  }
  return r.data as CloseInputs;
}
