/** Display formats, one per unit named in the API's field names (hashrateThs, powerW, ...). */

const DASH = '–';

export function hashrate(ths: number | null | undefined): string {
  if (ths === null || ths === undefined) return DASH;
  if (Math.abs(ths) >= 1000) return `${(ths / 1000).toFixed(2)} PH/s`;
  return `${ths.toFixed(1)} TH/s`;
}

export function power(w: number | null | undefined): string {
  if (w === null || w === undefined) return DASH;
  if (Math.abs(w) >= 1e6) return `${(w / 1e6).toFixed(2)} MW`;
  if (Math.abs(w) >= 1000) return `${(w / 1000).toFixed(1)} kW`;
  return `${Math.round(w)} W`;
}

/** J/TH = W / (TH/s). */
export function efficiency(w: number | null | undefined, ths: number | null | undefined): string {
  if (!w || !ths) return DASH;
  return `${(w / ths).toFixed(1)} J/TH`;
}

export function temp(c: number | null | undefined): string {
  return c === null || c === undefined ? DASH : `${c.toFixed(0)} °C`;
}

export function rpm(r: number | null | undefined): string {
  return r === null || r === undefined ? DASH : `${Math.round(r)} rpm`;
}

/** Satoshis (integers, possibly sent as strings for bigint) as BTC with all 8 decimals. */
export function btc(sats: bigint | number | string | null | undefined): string {
  if (sats === null || sats === undefined) return DASH;
  const n = BigInt(sats);
  const neg = n < 0n;
  const abs = neg ? -n : n;
  const whole = abs / 100_000_000n;
  const frac = (abs % 100_000_000n).toString().padStart(8, '0');
  return `${neg ? '-' : ''}${whole}.${frac} BTC`;
}

export function usdPerKwh(v: number | null | undefined): string {
  return v === null || v === undefined ? DASH : `$${v.toFixed(3)}/kWh`;
}

export function when(ms: number | string | null | undefined): string {
  if (ms === null || ms === undefined) return DASH;
  const d = typeof ms === 'number' ? new Date(ms) : new Date(ms);
  if (Number.isNaN(d.getTime())) return String(ms);
  return d.toISOString().replace('T', ' ').slice(0, 19) + 'Z';
}

export function ago(ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined) return DASH;
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

export function pct(x: number | null | undefined): string {
  return x === null || x === undefined ? DASH : `${(x * 100).toFixed(1)} %`;
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? DASH : n.toLocaleString('en-US');
}
