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

const RAW_OPEN = '\uE000';
const RAW_CLOSE = '\uE001';
const RAW = /"\uE000(\d+)\uE001"/g;

/**
 * Serialises like JSON.stringify (compact, key order kept), except Fixed numbers keep their
 * decimals and Glued arrays lose their commas. Uses the native serializer with placeholders in
 * private-use characters, which firmware replies never contain, then splices the raw text in.
 */
export function writeJson(value: unknown): string {
  const pieces: string[] = [];
  const raw = (text: string) => `${RAW_OPEN}${pieces.push(text) - 1}${RAW_CLOSE}`;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Fixed) return raw(Number.isFinite(v.value) ? v.value.toFixed(v.decimals) : '0');
    if (v instanceof Glued) return raw(`[${v.items.map(writeJson).join('')}]`);
    return v;
  });
  if (text === undefined) return 'null';
  return pieces.length ? text.replace(RAW, (_m, i: string) => pieces[Number(i)]!) : text;
}

/** Plain value of a field that may hold a Fixed, for reading state back out of a reply. */
export const plain = (value: unknown): unknown => (value instanceof Fixed ? value.value : value);
