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
