/** IPv4 range expressions from the config -> addresses, without holding more than asked for. */

const MAX_ADDRESSES = 65_536;

function ipToInt(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const v = Number(part);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n;
}

function intToIp(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** `10.0.4.0/24` (network and broadcast excluded for prefixes < 31), `a-b`, or one address. */
export function parseRange(expr: string): { first: number; last: number } | string {
  const text = expr.trim();
  const cidr = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (cidr) {
    const base = ipToInt(cidr[1]!);
    const bits = Number(cidr[2]);
    if (base === null || bits > 32) return `"${expr}" is not a valid CIDR block`;
    const size = 2 ** (32 - bits);
    const network = base - (base % size);
    if (bits >= 31) return { first: network, last: network + size - 1 };
    return { first: network + 1, last: network + size - 2 };
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
