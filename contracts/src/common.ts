import { z } from 'zod';

/** Protocol version carried in every payload and in every topic (`hashfleet/v1/...`). */
export const PROTOCOL_VERSION = 1 as const;

/** Hard limits: a message over these is rejected before it is parsed. */
export const LIMITS = {
  maxPayloadBytes: 1024 * 1024,
  maxSamplesPerBatch: 1000,
  maxMinersPerBirth: 5000,
  maxPdusPerMessage: 64,
  maxOutletsPerPdu: 96,
  maxSensorsPerPdu: 32,
  /** L1..L3 of a three-phase feed; room for a PDU that reports more lines (split or multi-inlet). */
  maxPhasesPerPdu: 6,
  maxBoardsPerMiner: 16,
  maxFansPerMiner: 16,
  maxEventsPerMessage: 1000,
  maxObservationsPerMiner: 32,
  maxRepairsPerSample: 16,
  maxString: 256,
  maxOutput: 4096,
} as const;

/** Identifiers that also appear as MQTT topic levels: no `/`, `+`, `#`. */
export const IdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, ".", "_" or "-"');

export const ShortString = z.string().max(LIMITS.maxString);
/** Epoch milliseconds, UTC. */
export const EpochMs = z.number().int().nonnegative();
export const NonNegInt = z.number().int().nonnegative();

/** Where a figure came from when it can come from several sources (docs/architecture.md §3.2). */
export const ProvenanceSchema = z.enum(['reported', 'estimated', 'metered']);
export type Provenance = z.infer<typeof ProvenanceSchema>;

/** Every agent message carries (agentId, bootId, seq): the controller dedupes on it. */
export const EnvelopeSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  agentId: IdSchema,
  /** New on every agent process start; seq restarts at 0 with it. */
  bootId: z.string().min(8).max(64),
  seq: NonNegInt,
  sentAt: EpochMs,
  /** True when the message was replayed from the agent's on-disk spool after an outage. */
  historical: z.boolean().default(false),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;

/** Where a miner or outlet sits. `rack` and `slot` are names within the container (e.g. "R03", "12"). */
export const SlotRefSchema = z.object({ rack: ShortString.min(1), slot: ShortString.min(1) });
export type SlotRef = z.infer<typeof SlotRefSchema>;
