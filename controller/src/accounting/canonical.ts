import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * The canonical form hashed for a close: RFC 8785 (JSON Canonicalization Scheme) by
 * `canonicalize`, applied to the value with bigints as decimal strings, since JSON has no integers
 * beyond 2^53. RFC 8785 sorts keys by UTF-16 code units and writes numbers as ECMAScript does,
 * which is what the hand-written writer before it did (JSON.stringify of a key-sorted copy), so
 * the bytes of every close are unchanged (`accounting-canonical.test.ts` holds both to the same
 * bytes, and periods closed before still recompute to their stored hashes). Any language with an
 * RFC 8785 library can reproduce a hash; `tools/verify-payout.py` does it with the standard library.
 * Non-finite numbers and lone surrogates are refused rather than written.
 */
export function jsonSafe(value: unknown, path = '$'): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${path}: ${value} has no canonical form`);
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => jsonSafe(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = jsonSafe(v, `${path}.${k}`);
    return out;
  }
  return value;
}

export function canonicalText(value: unknown): string {
  const text = canonicalize(jsonSafe(value));
  if (text === undefined) throw new Error('canonicalText: the value has no JSON form');
  return text;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
