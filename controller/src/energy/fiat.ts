/**
 * Fiat amounts and their conversion to satoshis. Fiat is kept as integers too: amounts in
 * micro-units of the currency (1e-6 USD), tariffs in micro-units per kWh, BTC prices in
 * micro-units per BTC. A cost line is converted once, rounded UP to the next satoshi, so a
 * cost is never understated; the price used is part of the close's inputs.
 */
export const MICRO = 1_000_000n;
export const SATS_PER_BTC = 100_000_000n;

const DECIMAL = /^(\d{1,15})(?:\.(\d{1,6}))?$/;

/** "1234.56" -> 1234560000n micro-units. Throws naming the bad text. */
export function parseMicro(text: string, what: string): bigint {
  const m = DECIMAL.exec(String(text).trim());
  if (!m) throw new Error(`${what}: "${text}" is not a non-negative decimal with at most 6 decimals`);
  return BigInt(m[1]!) * MICRO + BigInt((m[2] ?? '').padEnd(6, '0'));
}

/** A float tariff rate (currency per kWh, from sites.tariff_json) -> micro-units per kWh. */
export function rateMicro(perKwh: number): bigint {
  return BigInt(Math.round(perKwh * 1e6));
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return a === 0n ? 0n : (a + b - 1n) / b;
}

/** Cost in micro-units -> sats at a price in micro-units per BTC, rounded up. */
export function microToSats(amountMicro: bigint, priceMicroPerBtc: bigint): bigint {
  if (priceMicroPerBtc <= 0n) throw new Error('BTC price must be positive');
  return ceilDiv(amountMicro * SATS_PER_BTC, priceMicroPerBtc);
}

/** Energy cost: sum of Wh x micro-per-kWh is in micro-units x 1000; converted with one rounding. */
export function milliMicroToSats(amountMilliMicro: bigint, priceMicroPerBtc: bigint): bigint {
  if (priceMicroPerBtc <= 0n) throw new Error('BTC price must be positive');
  return ceilDiv(amountMilliMicro * SATS_PER_BTC, priceMicroPerBtc * 1000n);
}
