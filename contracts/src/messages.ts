import { z } from 'zod';
import {
  EnvelopeSchema,
  EpochMs,
  IdSchema,
  LIMITS,
  NonNegInt,
  ShortString,
  SlotRefSchema,
} from './common.js';
import { MinerSampleSchema, UnreachableSchema } from './miner-sample.js';
import { safetyActionFields } from './safety.js';

export const IdentityKindSchema = z.enum(['serial', 'mac', 'ip', 'hostname']);
export type IdentityKind = z.infer<typeof IdentityKindSchema>;

/** One observation of an identifier on a miner, with when the agent first and last saw it. */
export const IdentityObservationSchema = z.object({
  kind: IdentityKindSchema,
  value: ShortString.min(1),
  firstSeenAt: EpochMs,
  lastSeenAt: EpochMs,
});
export type IdentityObservation = z.infer<typeof IdentityObservationSchema>;

export const PolledMinerSchema = z.object({
  minerKey: ShortString.min(1),
  ip: ShortString,
  port: z.number().int().min(1).max(65535),
  profile: ShortString,
  model: ShortString.nullable(),
  firmwareVersion: ShortString.nullable(),
  slot: SlotRefSchema.nullable(),
  identity: z.array(IdentityObservationSchema).max(LIMITS.maxObservationsPerMiner),
});
export type PolledMiner = z.infer<typeof PolledMinerSchema>;

/**
 * The PDU's MIB family, e.g. `apc-rpdu2`. An open id: which vendors an agent can read is its own
 * registry's business (firmware-profiles/src/pdus/registry.ts, checked when its config loads), so a
 * new vendor needs no controller upgrade; the pattern only bounds what a message may carry.
 */
export const PduVendorSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/,
    'a vendor id: lower-case letters and digits in dash-separated words',
  )
  .max(40);
export type PduVendor = z.infer<typeof PduVendorSchema>;

export const PolledPduSchema = z.object({
  pduId: IdSchema,
  vendor: PduVendorSchema,
  host: ShortString,
  outlets: z
    .array(
      z.object({
        outlet: z.number().int().min(1).max(LIMITS.maxOutletsPerPdu),
        slot: SlotRefSchema.nullable(),
      }),
    )
    .max(LIMITS.maxOutletsPerPdu),
});
export type PolledPdu = z.infer<typeof PolledPduSchema>;

/** Published on every (re)connect: what this agent polls. */
export const BirthSchema = EnvelopeSchema.extend({
  kind: z.literal('birth'),
  siteId: IdSchema,
  containerId: IdSchema,
  agentVersion: ShortString,
  startedAt: EpochMs,
  pollIntervalMs: z.number().int().positive(),
  miners: z.array(PolledMinerSchema).max(LIMITS.maxMinersPerBirth),
  pdus: z.array(PolledPduSchema).max(LIMITS.maxPdusPerMessage),
});
export type Birth = z.infer<typeof BirthSchema>;

/**
 * How `seq` counts, per agent and bootId. The data kinds go through the agent's on-disk spool and
 * take consecutive seqs from 0, so a missing seq among them is a message lost (a spool-full drop,
 * a disk lost); a controller counts such gaps over these kinds together. Birth and status (the
 * last will included) are session messages: published straight on each connect, never spooled,
 * they number from `SESSION_SEQ_FROM` on a counter of their own, so a will prepared for a
 * connection that never dies spends no data seq, and an acknowledgement of a session message can
 * never name a data message.
 */
export const DATA_SEQ_KINDS = ['telemetry', 'power', 'events', 'result'] as const;
export const SESSION_SEQ_FROM = 2 ** 40;

/** Retained on the status topic; the `offline` form is also the agent's MQTT last will. */
export const StatusSchema = EnvelopeSchema.extend({
  kind: z.literal('status'),
  state: z.enum(['online', 'offline']),
  /** `lwt` when the broker published the last will, `shutdown` on a clean stop. */
  reason: z.enum(['connect', 'shutdown', 'lwt']),
});
export type Status = z.infer<typeof StatusSchema>;

/** Agent self-metrics riding along with telemetry. */
export const AgentMetricsSchema = z.object({
  pollCycleMs: NonNegInt.nullable(),
  polls: NonNegInt,
  pollErrors: z.record(ShortString, NonNegInt),
  spoolMessages: NonNegInt,
  spoolBytes: NonNegInt,
  spoolDropped: NonNegInt,
  publishLatencyMs: NonNegInt.nullable(),
});
export type AgentMetrics = z.infer<typeof AgentMetricsSchema>;

export const TelemetrySchema = EnvelopeSchema.extend({
  kind: z.literal('telemetry'),
  siteId: IdSchema,
  containerId: IdSchema,
  samples: z.array(MinerSampleSchema).max(LIMITS.maxSamplesPerBatch),
  unreachable: z.array(UnreachableSchema).max(LIMITS.maxSamplesPerBatch),
  agent: AgentMetricsSchema.nullable(),
});
export type Telemetry = z.infer<typeof TelemetrySchema>;

const nn = z.number().finite().nonnegative();

export const OutletSampleSchema = z.object({
  outlet: z.number().int().min(1).max(LIMITS.maxOutletsPerPdu),
  name: ShortString.nullable(),
  state: z.enum(['on', 'off', 'unknown']),
  powerW: nn.nullable(),
  currentA: nn.nullable(),
  /** Raw cumulative energy counter as the PDU reports it (Wh). */
  energyWh: nn.nullable(),
  /** Energy since the previous sample of this outlet, with wrap/reset handled at the edge. */
  energySinceWh: nn.nullable(),
  counterReset: z.boolean(),
  slot: SlotRefSchema.nullable(),
});
export type OutletSample = z.infer<typeof OutletSampleSchema>;

export const SensorSampleSchema = z.object({
  sensorId: ShortString.min(1),
  kind: z.enum(['temperature', 'humidity']),
  /** °C for temperature, %RH for humidity. */
  value: z.number().finite(),
  location: z.enum(['inlet', 'outlet', 'ambient', 'unknown']),
});
export type SensorSample = z.infer<typeof SensorSampleSchema>;

/** rPDU2PhaseStatusLoadState / a Raritan inlet pole's sensor state, reduced to what alerts need. */
export const PhaseLoadStateSchema = z.enum(['low', 'normal', 'near_overload', 'overload', 'unknown']);
export type PhaseLoadState = z.infer<typeof PhaseLoadStateSchema>;

/** One phase (line, Raritan "inlet pole") of the PDU's feed, as the PDU meters it. */
export const PhaseSampleSchema = z.object({
  phase: z.number().int().min(1).max(LIMITS.maxPhasesPerPdu),
  currentA: nn.nullable(),
  /** Line-to-neutral voltage. */
  voltageV: nn.nullable(),
  powerW: nn.nullable(),
  /** The current the PDU itself calls an overload on this phase (APC overload threshold, Raritan inlet rating). */
  ratedCurrentA: nn.nullable().optional(),
  loadState: PhaseLoadStateSchema.nullable().optional(),
});
export type PhaseSample = z.infer<typeof PhaseSampleSchema>;

export const PduSampleSchema = z.object({
  pduId: IdSchema,
  vendor: PduVendorSchema,
  at: EpochMs,
  totalPowerW: nn.nullable(),
  totalEnergyWh: nn.nullable(),
  totalEnergySinceWh: nn.nullable(),
  outlets: z.array(OutletSampleSchema).max(LIMITS.maxOutletsPerPdu),
  sensors: z.array(SensorSampleSchema).max(LIMITS.maxSensorsPerPdu),
  /**
   * Per-phase readings, by phase number. Absent from agents older than the field; null when the
   * PDU answered no phase table (a single-phase or unmetered model).
   */
  phases: z.array(PhaseSampleSchema).max(LIMITS.maxPhasesPerPdu).nullable().optional(),
});
export type PduSample = z.infer<typeof PduSampleSchema>;

export const PowerSchema = EnvelopeSchema.extend({
  kind: z.literal('power'),
  siteId: IdSchema,
  containerId: IdSchema,
  pdus: z.array(PduSampleSchema).max(LIMITS.maxPdusPerMessage),
  unreachable: z
    .array(z.object({ pduId: IdSchema, at: EpochMs, error: ShortString }))
    .max(LIMITS.maxPdusPerMessage),
});
export type Power = z.infer<typeof PowerSchema>;

const eventBase = { at: EpochMs, minerKey: ShortString.min(1), ip: ShortString };
export const AgentEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('miner.appeared'),
    ...eventBase,
    profile: ShortString,
    model: ShortString.nullable(),
    identity: z.array(IdentityObservationSchema).max(LIMITS.maxObservationsPerMiner),
  }),
  z.object({ type: z.literal('miner.lost'), ...eventBase, error: ShortString }),
  z.object({ type: z.literal('miner.recovered'), ...eventBase, downSince: EpochMs }),
  z.object({
    type: z.literal('miner.identity_changed'),
    ...eventBase,
    kind: IdentityKindSchema,
    previous: ShortString.nullable(),
    current: ShortString,
  }),
  z.object({
    type: z.literal('miner.firmware_changed'),
    ...eventBase,
    previousProfile: ShortString,
    previousVersion: ShortString.nullable(),
    profile: ShortString,
    version: ShortString.nullable(),
  }),
  z.object({
    type: z.literal('miner.pool_changed'),
    ...eventBase,
    previous: ShortString.nullable(),
    current: ShortString.nullable(),
  }),
  /** The agent acted on a local safety rule on its own (reported through the spool like any event). */
  z.object({ type: z.literal('safety.action'), ...eventBase, ...safetyActionFields }),
]);
export type AgentEvent = z.infer<typeof AgentEventSchema>;

export const EventsSchema = EnvelopeSchema.extend({
  kind: z.literal('events'),
  siteId: IdSchema,
  containerId: IdSchema,
  events: z.array(AgentEventSchema).min(1).max(LIMITS.maxEventsPerMessage),
});
export type Events = z.infer<typeof EventsSchema>;
