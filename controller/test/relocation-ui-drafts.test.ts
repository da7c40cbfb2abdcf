import { describe, expect, it } from 'vitest';
import { SiteFactsBody } from '../src/relocation/site-facts.js';
import {
  assumptionsOf,
  type Draft,
  siteRow,
  validateDraft,
} from '../ui/app/views/editors/relocation-draft.js';
import { factsBody, factsDraft, validateFacts } from '../ui/app/views/editors/relocation-site-draft.js';

const CLIMATE = [-14, -12, -5, 7, 15, 20, 22, 20, 13, 5, -4, -11];
const stored = {
  siteId: 'kazakhstan',
  repairCentre: false,
  ambientC: CLIMATE,
  ambientSource: 'test figures, not a climate normal',
  tariffUsdPerKwh: null,
  tariffSource: null,
  salvageUsd: { 'Antminer S9': 30 },
};

/**
 * The site-facts form's rules (issue 18 item 6) mirror SiteFactsBody field by field, so the page
 * names the wrong field (a month, a source, a salvage row) before the API's 400 would; a stored
 * site edited unchanged saves the same body back, and every body the form sends the API takes.
 */
describe('relocation site-facts form', () => {
  it('stored facts round-trip through the draft unchanged and the API takes the body', () => {
    const d = factsDraft('kazakhstan', stored);
    expect(validateFacts(d)).toEqual({});
    const body = factsBody(d);
    const { siteId: _, ...facts } = stored;
    expect(body).toEqual(facts);
    expect(SiteFactsBody.parse(body)).toEqual(facts);
  });

  it('a site with nothing stored: blank months send no series and need no source', () => {
    const d = factsDraft('sichuan');
    expect(validateFacts(d)).toEqual({});
    expect(SiteFactsBody.parse(factsBody(d))).toMatchObject({
      ambientC: null,
      tariffUsdPerKwh: null,
      salvageUsd: {},
    });
  });

  it('names each wrong field: a month that is not a number, a month left blank, a series without its source, a salvage row', () => {
    const d = factsDraft('sichuan');
    d.ambientC = CLIMATE.map(String);
    d.ambientC[2] = 'warm';
    d.tariffUsdPerKwh[4] = '0,025';
    d.salvage = [
      { model: 'Antminer S9', usd: '30' },
      { model: 'Antminer S9', usd: '-5' },
    ];
    const errors = validateFacts(d);
    expect(errors['ambientC.2']).toEqual({ key: 'form.number' });
    expect(errors['ambientSource']).toEqual({ key: 'form.sourceRequired' });
    // One month given: the other eleven are missing, and its source too.
    expect(Object.keys(errors).filter((k) => k.startsWith('tariffUsdPerKwh.'))).toHaveLength(11);
    expect(errors['tariffUsdPerKwh.4']).toBeUndefined();
    expect(errors['tariffSource']).toEqual({ key: 'form.sourceRequired' });
    expect(errors['salvage.1.model']).toEqual({ key: 'form.duplicateModel' });
    expect(errors['salvage.1.usd']).toEqual({ key: 'form.range', values: { min: 0, max: 1_000_000 } });
    expect(errors['salvage.0.model']).toBeUndefined();
  });
});

/**
 * The proposal form carries the difficulty-growth assumption and no longer overrides a site's
 * stored facts with its own defaults: the repair flag starts as stored and a blank ambient sends
 * none, so the plan takes the stored monthly temperatures.
 */
describe('relocation proposal form and the stored facts', () => {
  const draft = (): Draft => ({
    name: 'winter move',
    start: '2027-01',
    horizonMonths: '12',
    btcPriceUsd: '90000',
    hashpriceBtcPerPhDay: '0.0006',
    difficultyGrowthPct: '2,5',
    routes: [],
    sites: [siteRow({ id: 'sichuan', name: "Ya'an" }, { repairCentre: true })],
  });

  it('sends the difficulty growth, the stored repair flag, and no ambient when it is blank', () => {
    expect(validateDraft(draft())).toEqual({});
    const body = assumptionsOf(draft());
    expect(body.assumptions.market).toEqual({
      btcPriceUsd: 90000,
      hashpriceBtcPerPhDay: 0.0006,
      difficultyGrowthPctPerMonth: 2.5,
    });
    expect(body.assumptions.sites['sichuan']).toEqual({ repairSite: true, availability: Array(12).fill(1) });
  });

  it('a difficulty growth out of range is an error on that field', () => {
    expect(validateDraft({ ...draft(), difficultyGrowthPct: '120' })).toEqual({
      difficultyGrowthPct: { key: 'form.range', values: { min: -50, max: 100 } },
    });
  });
});
