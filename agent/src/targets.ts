/** IPv4 range expressions from the config -> addresses, without holding more than asked for. */
import ipaddr from 'ipaddr.js';

const MAX_ADDRESSES = 65_536;

/** A dotted-quad IPv4 address (ipaddr.js: four decimal parts, each 0-255) as an integer. */
function ipToInt(ip: string): number | null {
  if (!ipaddr.IPv4.isValidFourPartDecimal(ip)) return null;
  return ipaddr.IPv4.parse(ip)
    .toByteArray()
    .reduce((n, b) => n * 256 + b, 0);
}

function intToIp(n: number): string {
  return ipaddr.fromByteArray([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]).toString();
}

/** `10.0.4.0/24` (network and broadcast excluded for prefixes < 31), `a-b`, or one address. */
export function parseRange(expr: string): { first: number; last: number } | string {
  const text = expr.trim();
  if (text.includes('/')) {
    const [base, bits] = text.split('/');
    if (!ipaddr.IPv4.isValidFourPartDecimal(base ?? '') || !/^\d{1,2}$/.test(bits ?? '') || Number(bits) > 32)
      return `"${expr}" is not a valid CIDR block`;
    const network = ipToInt(ipaddr.IPv4.networkAddressFromCIDR(text).toString())!;
    const broadcast = ipToInt(ipaddr.IPv4.broadcastAddressFromCIDR(text).toString())!;
    if (Number(bits) >= 31) return { first: network, last: broadcast };
    return { first: network + 1, last: broadcast - 1 };
  }
  const dash = text.split('-');
  if (dash.length === 2) {
    const first = ipToInt(dash[0]!.trim());
    const last = ipToInt(dash[1]!.trim());
    if (first === null || last === null) return `"${expr}" is not a valid address range`;
    if (last < first) return `"${expr}": range ends before it starts`;
    return { first, last };
  }
  const one = ipToInt(text);
  if (one === null) return `"${expr}" is not an IPv4 address, range or CIDR block`;
  return { first: one, last: one };
}

/** Checks every expression; returns one error per bad one, naming its index. */
export function checkRanges(exprs: readonly string[]): string[] {
  const errors: string[] = [];
  let total = 0;
  for (const [i, expr] of exprs.entries()) {
    const r = parseRange(expr);
    if (typeof r === 'string') errors.push(`miners.ranges[${i}]: ${r}`);
    else total += r.last - r.first + 1;
  }
  if (total > MAX_ADDRESSES)
    errors.push(`miners.ranges: ${total} addresses exceed the limit of ${MAX_ADDRESSES}`);
  return errors;
}

/** Every address of the ranges once, in order. */
export function* addresses(exprs: readonly string[]): Generator<string> {
  const seen = new Set<number>();
  for (const expr of exprs) {
    const r = parseRange(expr);
    if (typeof r === 'string') continue;
    for (let n = r.first; n <= r.last; n++) {
      if (seen.has(n)) continue;
      seen.add(n);
      yield intToIp(n);
    }
  }
}
