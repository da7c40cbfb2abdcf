/**
 * An alert's message in the user's language: the controller gives a catalogue key
 * (`alertMessage.<kind>[.<variant>]`) and parameters whose names carry their units
 * (controller/src/alerts/message-key.ts); each figure is formatted here by the locale with its
 * unit. An alert without a key (stored before its figures were) keeps the controller's English.
 */
import { count, fixed, hashrate, pct, power, rpm, temp } from './format.js';
import { t } from './i18n.js';

type Params = Record<string, string | number | boolean | null>;

/** Unit suffixes of the parameter names, longest first; the catalogue text writes `s` and `/h` itself. */
const BY_SUFFIX: [RegExp, (v: number) => string][] = [
  [/Rpm$/, (v) => rpm(v)],
  [/Ths$/, (v) => hashrate(v)],
  [/Ratio$/, (v) => pct(v)],
  [/PerH$/, (v) => count(Math.round(v))],
  [/S$/, (v) => count(Math.round(v))],
  [/C$/, (v) => temp(v)],
  [/W$/, (v) => power(v)],
  [/A$/, (v) => `${fixed(v, 1)} A`],
];

/** One parameter as shown: a figure by its unit and the locale, a name (pool, worker, PDU) as is. */
export function formatParam(name: string, v: string | number | boolean | null): string {
  if (typeof v !== 'number') return v === null ? '–' : String(v);
  for (const [re, show] of BY_SUFFIX) if (re.test(name)) return show(v);
  return count(v);
}

export function alertMessage(a: { message: string; messageKey?: string; messageParams?: Params }): string {
  if (!a.messageKey) return a.message;
  const params = Object.fromEntries(
    Object.entries(a.messageParams ?? {}).map(([name, v]) => [name, formatParam(name, v)]),
  );
  return t(a.messageKey, params);
}
