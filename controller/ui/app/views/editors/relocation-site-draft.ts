import { k } from '../../i18n.js';
import { type FieldErrors, num, numberIn } from './rules.js';

/**
 * A site's planning facts as a form (issue 18 item 6): the repair-centre flag, twelve monthly mean
 * temperatures and twelve monthly planning tariffs (each series with its source, or all blank),
 * and salvage values by model; its rules mirror `SiteFactsBody` (controller/src/relocation/
 * site-facts.ts) field by field, so the page names the wrong field before the API's 400 would.
 * Pure; tested in controller/test/relocation-ui-drafts.test.ts.
 */
export interface SalvageRow {
  model: string;
  usd: string;
}

export interface SiteFactsDraft {
  siteId: string;
  repairCentre: boolean;
  /** Twelve figures, January first; all blank when the site has none. */
  ambientC: string[];
  ambientSource: string;
  tariffUsdPerKwh: string[];
  tariffSource: string;
  salvage: SalvageRow[];
}

/** What GET /relocation/sites gives for one site. */
export interface StoredFacts {
  siteId: string;
  repairCentre: boolean;
  ambientC: number[] | null;
  ambientSource: string | null;
  tariffUsdPerKwh?: number[] | null;
  tariffSource?: string | null;
  salvageUsd?: Record<string, number>;
  updatedBy?: string;
}

export const MONTHS = 12;
const blank = () => Array.from({ length: MONTHS }, () => '');
const texts = (v: number[] | null | undefined) => (v ? v.map(String) : blank());

/** The draft of a site, from its stored facts (or none yet). */
export function factsDraft(siteId: string, stored?: StoredFacts): SiteFactsDraft {
  return {
    siteId,
    repairCentre: stored?.repairCentre ?? false,
    ambientC: texts(stored?.ambientC),
    ambientSource: stored?.ambientSource ?? '',
    tariffUsdPerKwh: texts(stored?.tariffUsdPerKwh),
    tariffSource: stored?.tariffSource ?? '',
    salvage: Object.entries(stored?.salvageUsd ?? {}).map(([model, usd]) => ({ model, usd: String(usd) })),
  };
}

const given = (series: string[]) => series.some((v) => v.trim() !== '');

/** A monthly series (`name.0`..`name.11`): all blank, or twelve numbers in range and a source. */
function series(
  e: FieldErrors,
  name: string,
  values: string[],
  range: [number, number],
  source: [string, string],
) {
  if (!given(values)) return;
  values.forEach((v, i) => {
    numberIn(e, `${name}.${i}`, v, range[0], range[1]);
  });
  const [field, text] = source;
  if (!text.trim()) e[field] = { key: k('form.sourceRequired') };
  else if (text.trim().length > 500) e[field] = { key: k('form.tooLong'), values: { max: 500 } };
}

/** Every field's error (a catalogue key with its values), by the field's name. Pure. */
export function validateFacts(d: SiteFactsDraft): FieldErrors {
  const e: FieldErrors = {};
  series(e, 'ambientC', d.ambientC, [-60, 60], ['ambientSource', d.ambientSource]);
  series(e, 'tariffUsdPerKwh', d.tariffUsdPerKwh, [0, 10], ['tariffSource', d.tariffSource]);
  const seen = new Set<string>();
  d.salvage.forEach((r, i) => {
    const model = r.model.trim();
    if (!model) e[`salvage.${i}.model`] = { key: k('form.required') };
    else if (model.length > 100) e[`salvage.${i}.model`] = { key: k('form.tooLong'), values: { max: 100 } };
    else if (seen.has(model)) e[`salvage.${i}.model`] = { key: k('form.duplicateModel') };
    seen.add(model);
    numberIn(e, `salvage.${i}.usd`, r.usd, 0, 1_000_000);
  });
  return e;
}

/** The PUT /relocation/sites/:id body of a valid draft. */
export function factsBody(d: SiteFactsDraft) {
  const numbers = (v: string[]) => (given(v) ? v.map(num) : null);
  const text = (v: string, series: string[]) => (given(series) ? v.trim() : null);
  return {
    repairCentre: d.repairCentre,
    ambientC: numbers(d.ambientC),
    ambientSource: text(d.ambientSource, d.ambientC),
    tariffUsdPerKwh: numbers(d.tariffUsdPerKwh),
    tariffSource: text(d.tariffSource, d.tariffUsdPerKwh),
    salvageUsd: Object.fromEntries(d.salvage.map((r) => [r.model.trim(), num(r.usd)])),
  };
}
