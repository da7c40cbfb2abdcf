/**
 * Alert kinds as a table: what each one watches, which way is bad, its unit, and its default
 * rule (seeded into `alert_rules` as the global row). A `null` default threshold means the figure
 * comes from the model table or the config at evaluation time (models.ts, ingest.offlineAfterS).
 */
export const ALERT_KINDS = [
  'offline',
  'hashrate_low',
  'chip_overtemp',
  'board_overtemp',
  'fan_failed',
  'board_missing',
  'hw_errors',
  'pool_not_allowed',
  'worker_changed',
  'inlet_hot',
  'outlet_overload',
  'phase_overload',
  'power_mismatch',
  'agent_offline',
  'spool_filling',
  'implausible_reading',
  'drift',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const SEVERITIES = ['critical', 'warning'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const SCOPES = ['global', 'site', 'container', 'model'] as const;
export type Scope = (typeof SCOPES)[number];

export type SubjectType = 'miner' | 'container' | 'pdu' | 'outlet' | 'agent';

export type KindSpec = {
  subject: SubjectType;
  /** `above`: a value at or over the threshold breaches; `below`: at or under. */
  direction: 'above' | 'below';
  unit: string;
  severity: Severity;
  threshold: number | null;
  clearThreshold: number | null;
  forPolls: number;
  forMs: number;
  clearPolls: number;
  params: Record<string, unknown>;
  describe: string;
};

const spec = (s: Partial<KindSpec> & Pick<KindSpec, 'subject' | 'unit' | 'describe'>): KindSpec => ({
  direction: 'above',
  severity: 'warning',
  threshold: null,
  clearThreshold: null,
  forPolls: 2,
  forMs: 0,
  clearPolls: 2,
  params: {},
  ...s,
});

export const KIND_SPECS: Record<AlertKind, KindSpec> = {
  offline: spec({
    subject: 'miner',
    unit: 's',
    severity: 'critical',
    describe:
      'seconds since the last good sample (null threshold: ingest.offlineAfterS); an unreachable report counts at once',
  }),
  hashrate_low: spec({
    subject: 'miner',
    direction: 'below',
    unit: 'ratio',
    threshold: 0.8,
    clearThreshold: 0.9,
    forPolls: 3,
    clearPolls: 2,
    // The median of the last 10 minutes (1-minute history plus the latest sample) so one noisy sample never fires.
    params: { windowMs: 600_000, minSamples: 3 },
    describe:
      "median hashrate over params.windowMs as a share of expected (firmware's expected, else the model's nominal)",
  }),
  chip_overtemp: spec({
    subject: 'miner',
    unit: '°C',
    severity: 'critical',
    describe: "hottest chip (null threshold: the model's chip limit by cooling type; clears 5 °C below)",
  }),
  board_overtemp: spec({
    subject: 'miner',
    unit: '°C',
    describe: "hottest board/PCB sensor (null threshold: the model's board limit; clears 5 °C below)",
  }),
  fan_failed: spec({
    subject: 'miner',
    unit: 'fans',
    threshold: 1,
    severity: 'critical',
    params: { minRpm: 500 },
    describe: "fans missing or under params.minRpm against the model's fan count (none for hydro/immersion)",
  }),
  board_missing: spec({
    subject: 'miner',
    unit: 'boards',
    threshold: 1,
    severity: 'critical',
    describe:
      "hash boards not hashing (no chips, no hashrate, or not reported) against the model's board count",
  }),
  hw_errors: spec({
    subject: 'miner',
    unit: 'errors/h',
    threshold: 500,
    clearThreshold: 300,
    params: { minUptimeS: 600 },
    describe: 'hardware errors per hour since the mining daemon started (after params.minUptimeS)',
  }),
  pool_not_allowed: spec({
    subject: 'miner',
    unit: 'flag',
    threshold: 1,
    forPolls: 1,
    clearPolls: 1,
    severity: 'critical',
    params: { allowedPools: [] },
    describe:
      'active pool not in params.allowedPools (host:port, scheme ignored); an empty list checks nothing',
  }),
  worker_changed: spec({
    subject: 'miner',
    unit: 'flag',
    threshold: 1,
    forPolls: 1,
    clearPolls: 1,
    severity: 'critical',
    describe: 'worker differs from the last known-good worker (first seen, or the last successful pool.set)',
  }),
  inlet_hot: spec({
    subject: 'container',
    unit: '°C',
    // Air-cooled Antminer/Whatsminer specs give 40 °C as the top of the operating ambient range.
    threshold: 40,
    clearThreshold: 37,
    describe: "hottest inlet sensor of the container's PDUs",
  }),
  outlet_overload: spec({
    subject: 'outlet',
    unit: 'A',
    // IEC C19 outlets on miner PDUs are rated 16 A.
    threshold: 16,
    clearThreshold: 15,
    severity: 'critical',
    describe: 'outlet current (power / params.volts when the PDU gives no current)',
    params: { volts: 230 },
  }),
  phase_overload: spec({
    subject: 'pdu',
    unit: 'W',
    // Only for a PDU that reports no phases: a 3-phase 32 A 400 V feed, 3 x 230 V x 32 A.
    threshold: 22_080,
    clearThreshold: 21_000,
    severity: 'critical',
    // phaseRatingA null: the rating the PDU reports (APC overload threshold, Raritan inlet rating), else 32 A.
    params: { phaseRatingA: null, defaultPhaseRatingA: 32, clearRatio: 0.95 },
    describe:
      "the most loaded phase's current against its rating (params.phaseRatingA, else the PDU's, else params.defaultPhaseRatingA), clearing under params.clearRatio of it; a PDU without phases: total power (W) against the threshold",
  }),
  power_mismatch: spec({
    subject: 'miner',
    unit: 'ratio',
    threshold: 0.2,
    clearThreshold: 0.1,
    forPolls: 3,
    params: { minMeteredW: 200 },
    describe: "|reported - metered| / metered power of the miner's outlet",
  }),
  agent_offline: spec({
    subject: 'agent',
    unit: 's',
    severity: 'critical',
    forPolls: 1,
    clearPolls: 1,
    describe:
      'seconds since the agent was last heard (null threshold: ingest.offlineAfterS); a last will counts at once',
  }),
  spool_filling: spec({
    subject: 'agent',
    unit: 'messages',
    // A tenth of the agent's default spool bound (spool.maxMessages 100000); any drop counts at once.
    threshold: 10_000,
    clearThreshold: 1_000,
    forPolls: 1,
    describe: 'messages waiting in the agent spool (any dropped message breaches)',
  }),
  implausible_reading: spec({
    subject: 'miner',
    unit: 'fields',
    threshold: 1,
    forPolls: 1,
    clearPolls: 2,
    describe:
      "fields of the latest sample outside the model's envelope (firmware-profiles/src/plausibility.ts); the values are kept raw and left out of roll-ups and accounting",
  }),
  drift: spec({
    subject: 'miner',
    unit: 's',
    // The grace period: a rollout verifies a wave within minutes; past 10 a person should look.
    threshold: 600,
    forPolls: 1,
    clearPolls: 1,
    describe:
      'seconds a field of the miner (pool, worker, power, sleep, firmware) has been out of its desired state (controller/src/desired/); the threshold is the grace period',
  }),
};
