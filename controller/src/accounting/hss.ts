/**
 * HSS amounts. HSS is an ERC-20 token with 18 decimals, so a stake is kept exactly as an integer
 * count of base units (bigint). The total supply (2e8 HSS = 2e26 units) does not fit a SQL BIGINT,
 * so the database stores the units as a decimal string (`*_units TEXT`); every amount that leaves
 * this module is a bigint or that decimal string, never a float.
 */
export const HSS_DECIMALS = 18;
export const UNITS_PER_HSS = 10n ** BigInt(HSS_DECIMALS);
/** A staking node is eligible only while its collateral is at least this (docs/architecture.md §1). */
export const MIN_NODE_COLLATERAL_UNITS = 10_000n * UNITS_PER_HSS;

const HSS_TEXT = /^(\d{1,12})(?:\.(\d{1,18}))?$/;

/** "12500.5" (HSS, up to 18 decimals) -> base units. Throws naming the bad text. */
export function parseHss(text: string): bigint {
  const m = HSS_TEXT.exec(text.trim());
  if (!m) throw new Error(`HSS amount "${text}": expected a non-negative decimal with at most 18 decimals`);
  const whole = BigInt(m[1]!);
  const frac = BigInt((m[2] ?? '').padEnd(HSS_DECIMALS, '0'));
  return whole * UNITS_PER_HSS + frac;
}

/** Base units -> "12500.5" (trailing zeros trimmed). */
export function formatHss(units: bigint): string {
  const sign = units < 0n ? '-' : '';
  const abs = units < 0n ? -units : units;
  const whole = abs / UNITS_PER_HSS;
  const frac = (abs % UNITS_PER_HSS).toString().padStart(HSS_DECIMALS, '0').replace(/0+$/, '');
  return sign + whole.toString() + (frac ? `.${frac}` : '');
}

/** Decimal string of base units (the DB and canonical form) -> bigint; throws on anything else. */
export function unitsFromText(text: string, where: string): bigint {
  if (!/^\d{1,27}$/.test(text))
    throw new Error(`${where}: "${text}" is not a non-negative integer of HSS units`);
  return BigInt(text);
}
