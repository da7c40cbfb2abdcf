import type { Provenance } from '@hashfleet/contracts';

/** One miner's current values, as roll-ups need them. */
export type LatestRow = {
  miner_id: string;
  site_id: string | null;
  container_id: string | null;
  slot_id: string | null;
  rack: string | null;
  slot: string | null;
  at: number | null;
  hashrate_ths: number | null;
  expected_ths: number | null;
  power_w: number | null;
  power_provenance: Provenance | null;
  chip_temp_max_c: number | null;
  state: string | null;
  online: number | null;
};

export type Rollup = {
  hashrateThs: number;
  expectedThs: number;
  powerW: number;
  /** Watts by source; metered (PDUs) replaces the miners' own figures when present. */
  powerProvenance: Record<Provenance, number>;
  efficiencyJPerTh: number | null;
  online: number;
  hashing: number;
  total: number;
  hottest: { minerId: string; rack: string | null; slot: string | null; chipTempMaxC: number }[];
};

export const isOnline = (r: Pick<LatestRow, 'online' | 'at'>, now: number, offlineAfterMs: number): boolean =>
  r.online === 1 && r.at !== null && now - r.at <= offlineAfterMs;

/** Container or site roll-up of latest samples (pure). `meteredW` is the PDUs' total, if any. */
export function rollup(
  rows: readonly LatestRow[],
  now: number,
  offlineAfterMs: number,
  meteredW: number | null,
): Rollup {
  const out: Rollup = {
    hashrateThs: 0,
    expectedThs: 0,
    powerW: 0,
    powerProvenance: { reported: 0, estimated: 0, metered: 0 },
    efficiencyJPerTh: null,
    online: 0,
    hashing: 0,
    total: rows.length,
    hottest: [],
  };
  for (const r of rows) {
    if (!isOnline(r, now, offlineAfterMs)) continue;
    out.online += 1;
    if (r.state === 'hashing') out.hashing += 1;
    out.hashrateThs += r.hashrate_ths ?? 0;
    out.expectedThs += r.expected_ths ?? 0;
    if (r.power_w !== null && r.power_provenance) out.powerProvenance[r.power_provenance] += r.power_w;
    if (r.chip_temp_max_c !== null) {
      out.hottest.push({ minerId: r.miner_id, rack: r.rack, slot: r.slot, chipTempMaxC: r.chip_temp_max_c });
    }
  }
  if (meteredW !== null) out.powerProvenance = { reported: 0, estimated: 0, metered: meteredW };
  out.powerW = out.powerProvenance.reported + out.powerProvenance.estimated + out.powerProvenance.metered;
  out.efficiencyJPerTh = out.hashrateThs > 0 ? out.powerW / out.hashrateThs : null;
  out.hottest = out.hottest.sort((a, b) => b.chipTempMaxC - a.chipTempMaxC).slice(0, 5);
  return out;
}
