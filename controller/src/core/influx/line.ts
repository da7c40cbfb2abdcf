import type { InfluxPoint } from './sink.js';

// Line-protocol escaping: measurement (comma, space), tag keys/values and field keys (comma, =, space).
const escMeasurement = (s: string) => s.replace(/[, \\]/g, (c) => `\\${c}`);
const escKey = (s: string) => s.replace(/[,= \\]/g, (c) => `\\${c}`);
const escString = (s: string) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/**
 * One point as an InfluxDB line (millisecond precision); null when it has no field value.
 * Numbers are always written as floats so a field never changes type between writes.
 */
export function toLine(p: InfluxPoint): string | null {
  const fields: string[] = [];
  for (const [k, v] of Object.entries(p.fields)) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'number') {
      if (Number.isFinite(v)) fields.push(`${escKey(k)}=${v}`);
    } else if (typeof v === 'boolean') fields.push(`${escKey(k)}=${v}`);
    else fields.push(`${escKey(k)}=${escString(v)}`);
  }
  if (fields.length === 0) return null;
  const tags = Object.keys(p.tags)
    .sort()
    .filter((k) => p.tags[k] !== '')
    .map((k) => `,${escKey(k)}=${escKey(p.tags[k]!)}`)
    .join('');
  return `${escMeasurement(p.measurement)}${tags} ${fields.join(',')} ${Math.round(p.at)}`;
}
