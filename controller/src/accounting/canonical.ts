import { createHash } from 'node:crypto';
import { canonicalJson } from '@hashfleet/contracts';

/**
 * The canonical form hashed for a close: bigints become decimal strings (JSON has no integers
 * beyond 2^53), then `canonicalJson` sorts keys. Non-finite numbers are refused rather than
 * silently becoming null.
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
  return canonicalJson(jsonSafe(value));
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
