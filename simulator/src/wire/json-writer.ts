/**
 * A JSON writer that can reproduce firmware byte quirks the standard serializer cannot:
 * numbers with a fixed count of decimals (cgminer prints `%.2f`/`%.8f`), and arrays written
 * without commas between their objects (bmminer's `}{` in `stats`).
 */
export class Fixed {
  constructor(
    readonly value: number,
    readonly decimals: number,
  ) {}
}

/** An array whose elements are written back to back, without the separating comma. */
export class Glued {
  constructor(readonly items: unknown[]) {}
}

/** A number printed with `decimals` digits after the point, as cgminer's `%.Nf` does. */
export const fixed = (value: number, decimals: number): Fixed => new Fixed(value, decimals);
export const glued = (items: unknown[]): Glued => new Glued(items);

export function writeJson(value: unknown): string {
  if (value instanceof Fixed) return Number.isFinite(value.value) ? value.value.toFixed(value.decimals) : '0';
  if (value instanceof Glued) return `[${value.items.map(writeJson).join('')}]`;
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(writeJson).join(',')}]`;
  if (typeof value === 'object') {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) parts.push(`${JSON.stringify(k)}:${writeJson(v)}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Plain value of a field that may hold a Fixed, for reading state back out of a reply. */
export const plain = (value: unknown): unknown => (value instanceof Fixed ? value.value : value);
