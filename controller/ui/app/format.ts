/**
 * Display formats, one per unit named in the API's field names (hashrateThs, powerW, ...). Numbers
 * and dates follow the chosen locale through `Intl`; the units miners use stay as they are in
 * every language (TH/s, kW, J/TH, °C).
 */
import { intlLocale, t } from './i18n.js';

const DASH = '–';

/** A number in the chosen locale with exactly `digits` decimals. */
export function fixed(v: number, digits: number): string {
  return new Intl.NumberFormat(intlLocale().tag, {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(v);
}

export function hashrate(ths: number | null | undefined): string {
  if (ths === null || ths === undefined) return DASH;
  if (Math.abs(ths) >= 1000) return `${fixed(ths / 1000, 2)} PH/s`;
  return `${fixed(ths, 1)} TH/s`;
}

export function power(w: number | null | undefined): string {
  if (w === null || w === undefined) return DASH;
  if (Math.abs(w) >= 1e6) return `${fixed(w / 1e6, 2)} MW`;
  if (Math.abs(w) >= 1000) return `${fixed(w / 1000, 1)} kW`;
  return `${fixed(Math.round(w), 0)} W`;
}

/** J/TH = W / (TH/s). */
export function efficiency(w: number | null | undefined, ths: number | null | undefined): string {
  if (!w || !ths) return DASH;
  return `${fixed(w / ths, 1)} J/TH`;
}

export function temp(c: number | null | undefined): string {
  return c === null || c === undefined ? DASH : `${fixed(c, 0)} °C`;
}

export function rpm(r: number | null | undefined): string {
  return r === null || r === undefined ? DASH : t('unit.rpm', { value: fixed(Math.round(r), 0) });
}

/** Satoshis (integers, possibly sent as strings for bigint) as BTC with all 8 decimals. */
export function btc(sats: bigint | number | string | null | undefined): string {
  if (sats === null || sats === undefined) return DASH;
  const n = BigInt(sats);
  const neg = n < 0n;
  const abs = neg ? -n : n;
  const whole = new Intl.NumberFormat(intlLocale().tag).format(abs / 100_000_000n);
  const frac = (abs % 100_000_000n).toString().padStart(8, '0');
  const point = new Intl.NumberFormat(intlLocale().tag)
    .formatToParts(1.5)
    .find((p) => p.type === 'decimal')?.value;
  return `${neg ? '-' : ''}${whole}${point ?? '.'}${frac} BTC`;
}

export function usd(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined) return DASH;
  return new Intl.NumberFormat(intlLocale().tag, {
    style: 'currency',
    currency: 'USD',
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(v);
}

export function usdPerKwh(v: number | null | undefined): string {
  return v === null || v === undefined ? DASH : `${usd(v, 3)}/kWh`;
}

function toDate(at: number | string | null | undefined): Date | null {
  if (at === null || at === undefined) return null;
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * A moment in the chosen locale, in the given IANA time zone (a site's) or the browser's own; the
 * zone's short name is shown so a Sichuan time is never mistaken for a Pavlodar one.
 */
export function when(at: number | string | null | undefined, timeZone?: string): string {
  const d = toDate(at);
  if (!d) return at === null || at === undefined ? DASH : String(at);
  try {
    return dateFormat(timeZone).format(d);
  } catch {
    // A zone this browser does not know still gets a time, in the browser's own zone.
    return dateFormat(undefined).format(d);
  }
}

/** Date and time in the chosen locale: medium date and short time, or all digits where ICU lacks the language. */
export function dateFormat(
  timeZone: string | undefined,
  style: 'long' | 'day' | 'time' = 'long',
): Intl.DateTimeFormat {
  const { tag, numericDates } = intlLocale();
  const options: Intl.DateTimeFormatOptions =
    style === 'time'
      ? { hour: '2-digit', minute: '2-digit' }
      : style === 'day'
        ? numericDates
          ? { day: '2-digit', month: '2-digit' }
          : { month: 'short', day: 'numeric' }
        : numericDates
          ? { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }
          : { dateStyle: 'medium', timeStyle: 'short' };
  return new Intl.DateTimeFormat(tag, { ...options, timeZone });
}

/** The same moment in UTC (ISO 8601), for the tooltip. */
export function utc(at: number | string | null | undefined): string {
  const d = toDate(at);
  return d ? d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '';
}

export function ago(ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined) return DASH;
  // From the catalogues, not Intl.RelativeTimeFormat: Chromium's ICU has no Kazakh relative times.
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 90) return t('ago.s', { count: s, n: count(s) });
  if (s < 5400) return t('ago.min', { count: Math.round(s / 60), n: count(Math.round(s / 60)) });
  if (s < 172_800) return t('ago.h', { count: Math.round(s / 3600), n: count(Math.round(s / 3600)) });
  return t('ago.d', { count: Math.round(s / 86_400), n: count(Math.round(s / 86_400)) });
}

export function pct(x: number | null | undefined): string {
  return x === null || x === undefined
    ? DASH
    : new Intl.NumberFormat(intlLocale().tag, {
        style: 'percent',
        minimumFractionDigits: 1,
        maximumFractionDigits: 1,
      }).format(x);
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? DASH : new Intl.NumberFormat(intlLocale().tag).format(n);
}
