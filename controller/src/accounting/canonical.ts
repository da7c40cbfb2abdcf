import { createHash } from 'node:crypto';

/**
 * The canonical form hashed for a close: `canonicalJson` of `@hashfleet/contracts` (keys sorted
 * recursively, arrays in order) applied to the value with bigints as decimal strings, since JSON
 * has no integers beyond 2^53. `canonicalText` does both in one copy instead of two (a close for a
 * million stakers is hundreds of MB); a property test holds it equal to
 * `canonicalJson(jsonSafe(value))`. Non-finite numbers are refused rather than becoming null.
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

/** jsonSafe with keys inserted in sorted order, which is what canonicalJson then serialises. */
function sortedSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${value} has no canonical form`);
    return value;
  }
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = sortedSafe(value[i]);
    return out;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortedSafe(v);
    }
    return out;
  }
  return value;
}

export function canonicalText(value: unknown): string {
  return JSON.stringify(sortedSafe(value));
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
