import type { MinerSample, PduSample } from '@hashfleet/contracts';

/** One container-hour's increments, as added to `container_hourly`. */
export type HourlyIncrement = {
  hourStart: number;
  diff1Shares: number;
  /** The part of diff1Shares the agent estimated from hashrate (no counter on the firmware). */
  diff1SharesEstimated: number;
  energyWhMetered: number;
  energyWhReported: number;
  energyWhEstimated: number;
  minerUptimeS: number;
  samples: number;
};

export const HOUR_MS = 3_600_000;
export const hourOf = (at: number): number => Math.floor(at / HOUR_MS) * HOUR_MS;

const empty = (hourStart: number): HourlyIncrement => ({
  hourStart,
  diff1Shares: 0,
  diff1SharesEstimated: 0,
  energyWhMetered: 0,
  energyWhReported: 0,
  energyWhEstimated: 0,
  minerUptimeS: 0,
  samples: 0,
});

function bucket(byHour: Map<number, HourlyIncrement>, hour: number): HourlyIncrement {
  const existing = byHour.get(hour);
  if (existing) return existing;
  const created = empty(hour);
  byHour.set(hour, created);
  return created;
}

export type WorkOptions = {
  /** `rack/slot` keys of slots that have a PDU outlet: their energy is metered, not counted here. */
  meteredSlots: ReadonlySet<string>;
  /** Nameplate watts of a model (the model table), null when unknown. */
  nominalW: (model: string | null) => number | null;
  /** Longest interval counted; a longer gap (agent down) counts no energy or uptime. */
  maxIntervalS: number;
};

/** Seconds a sample covers: since the agent's previous sample of that miner, 0 on the first. */
export function sampleIntervalS(s: MinerSample, maxIntervalS: number): number {
  if (s.work.sinceAt === null || s.work.sinceAt >= s.at) return 0;
  const seconds = (s.at - s.work.sinceAt) / 1000;
  return seconds > maxIntervalS ? 0 : seconds;
}

/**
 * Work, energy and uptime of a batch of miner samples, per hour of acquisition. Energy is counted
 * once per source (docs/architecture.md §3.2): a miner in a slot with an outlet is metered by the PDU (see
 * `meteredIncrements`), else its reported power x interval, else the estimate (the firmware's own
 * estimate, or the model's nameplate watts while it hashes).
 */
export function workIncrements(samples: readonly MinerSample[], opts: WorkOptions): HourlyIncrement[] {
  const byHour = new Map<number, HourlyIncrement>();
  for (const s of samples) {
    const inc = bucket(byHour, hourOf(s.at));
    const dt = sampleIntervalS(s, opts.maxIntervalS);
    inc.samples += 1;
    inc.diff1Shares += s.work.diff1Shares;
    if (s.work.provenance === 'estimated') inc.diff1SharesEstimated += s.work.diff1Shares;
    if (s.state === 'hashing') inc.minerUptimeS += dt;
    if (s.slot && opts.meteredSlots.has(`${s.slot.rack}/${s.slot.slot}`)) continue;
    if (s.powerW !== null && s.powerProvenance === 'reported') {
      inc.energyWhReported += (s.powerW * dt) / 3600;
    } else if (s.powerW !== null) {
      inc.energyWhEstimated += (s.powerW * dt) / 3600;
    } else if (s.state === 'hashing') {
      inc.energyWhEstimated += ((opts.nominalW(s.model) ?? 0) * dt) / 3600;
    }
  }
  return [...byHour.values()];
}

/** Metered energy: outlet energy deltas of outlets that feed a slot, per hour of the PDU sample. */
export function meteredIncrements(pdus: readonly PduSample[]): HourlyIncrement[] {
  const byHour = new Map<number, HourlyIncrement>();
  for (const pdu of pdus) {
    let wh = 0;
    for (const o of pdu.outlets) if (o.slot && o.energySinceWh !== null) wh += o.energySinceWh;
    if (wh === 0) continue;
    const inc = bucket(byHour, hourOf(pdu.at));
    inc.energyWhMetered += wh;
  }
  return [...byHour.values()];
}

/**
 * Energy of one miner (or slot) in one hour, per source, as added to `miner_hourly_energy`. The
 * close picks the best source of each miner-hour (energy/energy.ts `pickMinerHour`), so every
 * source is kept here: a miner behind an outlet still adds its own reading, in case the PDU fails.
 */
export type MinerEnergyIncrement = {
  /** `slot:<rack>/<slot>` for a miner in a slot (the key its outlet meters), else `miner:<id>`. */
  unit: string;
  hourStart: number;
  meteredWh: number;
  meteredN: number;
  reportedWh: number;
  reportedN: number;
  estimatedWh: number;
  estimatedN: number;
  /** Seconds covered by the outlet's readings (each since the PDU's reading before). */
  meteredS: number;
  /** Seconds covered by the miner's own samples. */
  telemetryS: number;
};

const slotUnit = (slot: { rack: string; slot: string }) => `slot:${slot.rack}/${slot.slot}`;

function unitBucket(
  byKey: Map<string, MinerEnergyIncrement>,
  unit: string,
  hourStart: number,
): MinerEnergyIncrement {
  const key = `${unit}\u0000${hourStart}`;
  let inc = byKey.get(key);
  if (!inc) {
    inc = {
      unit,
      hourStart,
      meteredWh: 0,
      meteredN: 0,
      reportedWh: 0,
      reportedN: 0,
      estimatedWh: 0,
      estimatedN: 0,
      meteredS: 0,
      telemetryS: 0,
    };
    byKey.set(key, inc);
  }
  return inc;
}

/**
 * The miners' own energy per miner-hour: reported power x interval, else the firmware's estimate,
 * else the model's nameplate watts while it hashes (0 in any other state). `minerIds[i]` is the id
 * of `samples[i]`. Samples that cover no interval (the first of a miner, or after an agent gap)
 * add nothing.
 */
export function minerEnergyIncrements(
  samples: readonly MinerSample[],
  minerIds: readonly string[],
  opts: Omit<WorkOptions, 'meteredSlots'>,
): MinerEnergyIncrement[] {
  const byKey = new Map<string, MinerEnergyIncrement>();
  samples.forEach((s, i) => {
    const dt = sampleIntervalS(s, opts.maxIntervalS);
    if (dt === 0) return;
    const inc = unitBucket(byKey, s.slot ? slotUnit(s.slot) : `miner:${minerIds[i]}`, hourOf(s.at));
    inc.telemetryS += dt;
    if (s.powerW !== null && s.powerProvenance === 'reported') {
      inc.reportedWh += (s.powerW * dt) / 3600;
      inc.reportedN += 1;
    } else {
      const w = s.powerW ?? (s.state === 'hashing' ? (opts.nominalW(s.model) ?? 0) : 0);
      inc.estimatedWh += (w * dt) / 3600;
      inc.estimatedN += 1;
    }
  });
  return [...byKey.values()];
}

/**
 * Metered energy per slot-hour: each outlet that feeds a slot, at the hour of the PDU sample, with
 * the seconds the reading covers (since the PDU's reading before: `previousAt`, the stored latest
 * reading of each PDU before this message). A reading with no known interval (a PDU's first, or one
 * older than the latest) or one spanning more than `maxIntervalS` (the PDU or its agent was down)
 * counts nothing: its delta spans hours whose miners already fell back to their own reading, so
 * counting it would bill that energy twice.
 */
export function meteredUnitIncrements(
  pdus: readonly PduSample[],
  previousAt: ReadonlyMap<string, number>,
  maxIntervalS: number,
): MinerEnergyIncrement[] {
  const byKey = new Map<string, MinerEnergyIncrement>();
  const last = new Map(previousAt);
  for (const pdu of [...pdus].sort((a, b) => a.at - b.at)) {
    const prev = last.get(pdu.pduId);
    if (prev === undefined || pdu.at > prev) last.set(pdu.pduId, pdu.at);
    const intervalS = prev !== undefined && pdu.at > prev ? (pdu.at - prev) / 1000 : null;
    if (intervalS === null || intervalS > maxIntervalS) continue;
    for (const o of pdu.outlets) {
      if (!o.slot || o.energySinceWh === null) continue;
      const inc = unitBucket(byKey, slotUnit(o.slot), hourOf(pdu.at));
      inc.meteredWh += o.energySinceWh;
      inc.meteredN += 1;
      inc.meteredS += intervalS;
    }
  }
  return [...byKey.values()];
}
