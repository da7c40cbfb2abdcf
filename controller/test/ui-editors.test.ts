import { describe, expect, it } from 'vitest';
import { RuleInputSchema } from '../src/alerts/rules.js';
import { ScheduleSchema } from '../src/operations/curtailment/schema.js';
import { OperatingProfileSchema } from '../src/operations/profiles/schema.js';
import { draftOf, profileBody, validateProfile } from '../ui/app/views/editors/profile-draft.js';
import { assumptionsOf, validateDraft } from '../ui/app/views/editors/relocation-draft.js';
import { ruleBody, ruleDraftOf, validateRule } from '../ui/app/views/editors/rule-draft.js';
import { type FieldErrors, numberIn } from '../ui/app/views/editors/rules.js';
import { emptySchedule, scheduleBody, validateSchedule } from '../ui/app/views/editors/schedule-draft.js';

/**
 * The relocation proposal form's rules (issue 19 item 6): each wrong field gets its own error,
 * named by the field, so the page writes it next to that field; a valid draft becomes the
 * assumptions body `POST /relocation/plans` takes, with a decimal comma read as a point.
 */
const draft = () => ({
  name: 'winter move',
  start: '2027-01',
  horizonMonths: '12',
  btcPriceUsd: '90000',
  hashpriceBtcPerPhDay: '0,0006',
  routes: [
    {
      from: 'sichuan',
      to: 'kazakhstan',
      transitDays: '10',
      costPerMinerUsd: '20',
      costPerContainerUsd: '4000',
      customsPerMinerUsd: '15',
    },
  ],
  sites: [{ id: 'sichuan', name: 'Sichuan', repairSite: true, ambientC: '18', availabilityPct: '80' }],
});

describe('relocation proposal form', () => {
  it('a valid draft has no error and becomes the assumptions body', () => {
    expect(validateDraft(draft())).toEqual({});
    const body = assumptionsOf(draft());
    expect(body.name).toBe('winter move');
    expect(body.assumptions).toMatchObject({
      start: '2027-01',
      horizonMonths: 12,
      market: { btcPriceUsd: 90000, hashpriceBtcPerPhDay: 0.0006 },
      routes: [{ from: 'sichuan', to: 'kazakhstan', transitDays: 10, costPerContainerUsd: 4000 }],
    });
    expect(body.assumptions.sites['sichuan']).toEqual({
      repairSite: true,
      ambientC: Array(12).fill(18),
      availability: Array(12).fill(0.8),
    });
  });

  it.each([
    ['an empty name', { name: ' ' }, 'name', 'form.required'],
    ['a month that is not YYYY-MM', { start: '2027-13' }, 'start', 'form.month'],
    ['a fractional horizon', { horizonMonths: '1.5' }, 'horizonMonths', 'form.whole'],
    ['a horizon past three years', { horizonMonths: '48' }, 'horizonMonths', 'form.range'],
    ['a price that is not a number', { btcPriceUsd: 'lots' }, 'btcPriceUsd', 'form.number'],
    ['a zero hashprice', { hashpriceBtcPerPhDay: '0' }, 'hashpriceBtcPerPhDay', 'form.range'],
  ])('%s is an error on that field alone', (_what, patch, field, key) => {
    const errors = validateDraft({ ...draft(), ...patch });
    expect(Object.keys(errors)).toEqual([field]);
    expect(errors[field]!.key).toBe(key);
  });

  it('a route to its own site and a negative cost are errors on that route row', () => {
    const d = draft();
    d.routes[0] = { ...d.routes[0]!, to: 'sichuan', costPerMinerUsd: '-1' };
    d.sites[0] = { ...d.sites[0]!, availabilityPct: '120' };
    expect(validateDraft(d)).toEqual({
      'routes.0.to': { key: 'form.sameSite' },
      'routes.0.costPerMinerUsd': { key: 'form.range', values: { min: 0, max: 100_000 } },
      'sites.0.availabilityPct': { key: 'form.range', values: { min: 0, max: 100 } },
    });
  });

  it('numberIn takes a decimal comma and refuses an empty field', () => {
    const e: FieldErrors = {};
    numberIn(e, 'a', '2,5', 0, 3);
    numberIn(e, 'b', '', 0, 3);
    expect(e).toEqual({ b: { key: 'form.number' } });
  });
});

/**
 * The operating profile editor's rules mirror OperatingProfileSchema field by field, so the page
 * names the wrong field before the API's 400 would; a stored profile edited unchanged saves the
 * same body back.
 */
describe('operating profile editor', () => {
  const stored = {
    name: 'kz-eco',
    description: 'Pavlodar night economy',
    presets: [
      { model: '*', powerTargetW: 3000 },
      { model: 'Whatsminer M50S', powerMode: 'low', expectPowerW: 2900, fanMode: 'auto' },
    ],
    sleepWindows: [{ from: '01:00', to: '05:00' }],
    tolerancePct: 10,
    settleS: 20,
  };

  it('a stored profile round-trips through the draft unchanged', () => {
    const d = draftOf(stored);
    expect(validateProfile(d)).toEqual({});
    expect(profileBody(d)).toEqual(stored);
  });

  it('each wrong field is named: name, a repeated model, a power target out of range, a bad window, a mode without its power', () => {
    const d = draftOf(stored);
    d.name = 'KZ Eco';
    d.presets[1] = { ...d.presets[1]!, model: '*', expectPowerW: '' };
    d.presets[0] = { ...d.presets[0]!, powerTargetW: '50' };
    d.sleepWindows[0] = { from: '25:00', to: '05:00' };
    expect(validateProfile(d)).toEqual({
      name: { key: 'form.profileName' },
      'presets.0.powerTargetW': { key: 'form.range', values: { min: 100, max: 20_000 } },
      'presets.1.model': { key: 'form.duplicateModel' },
      'presets.1.expectPowerW': { key: 'form.number' },
      'sleepWindows.0.from': { key: 'form.hhmm' },
    });
  });

  it('a new profile starts valid but for its name, and once named the API schema takes its body', () => {
    const d = draftOf(null);
    expect(Object.keys(validateProfile(d))).toEqual(['name']);
    d.name = 'sc-dry-eco';
    expect(validateProfile(d)).toEqual({});
    expect(OperatingProfileSchema.safeParse(profileBody(d)).success).toBe(true);
    expect(OperatingProfileSchema.safeParse(profileBody(draftOf(stored))).success).toBe(true);
  });
});

/** The curtailment schedule form: its rules name the field, and a valid draft is what ScheduleSchema takes. */
describe('curtailment schedule form', () => {
  it('a named window schedule, and a tariff-triggered power limit for one container, pass the API schema', () => {
    const windows = { ...emptySchedule('kazakhstan'), name: 'evening peak' };
    expect(validateSchedule(windows)).toEqual({});
    expect(ScheduleSchema.parse(scheduleBody(windows))).toMatchObject({
      trigger: { kind: 'windows', windows: [{ from: '18:00', to: '22:00' }] },
      action: { kind: 'sleep' },
    });
    const tariff = {
      ...windows,
      containerId: 'kz-c2',
      trigger: 'tariff' as const,
      abovePerKwh: '0,09',
      action: 'power' as const,
    };
    expect(validateSchedule(tariff)).toEqual({});
    expect(ScheduleSchema.parse(scheduleBody(tariff))).toMatchObject({
      selector: { containerId: 'kz-c2' },
      trigger: { kind: 'tariff', abovePerKwh: 0.09 },
      action: { kind: 'power', watts: 2500, restoreWatts: 3300 },
    });
  });

  it('names each wrong field: no name, no site, a bad window, a limit out of range, a zero step', () => {
    const d = {
      ...emptySchedule(''),
      windows: [{ from: '6pm', to: '22:00' }],
      action: 'power' as const,
      watts: '50',
      stepSize: '0',
    };
    expect(validateSchedule(d)).toEqual({
      name: { key: 'form.required' },
      siteId: { key: 'form.required' },
      'windows.0.from': { key: 'form.hhmm' },
      watts: { key: 'form.range', values: { min: 100, max: 20_000 } },
      stepSize: { key: 'form.range', values: { min: 1, max: 10_000 } },
    });
  });
});

/** The alert rule form: scope ids required but for the whole fleet, figures checked, empty ones left to the kind. */
describe('alert rule form', () => {
  it('a new site rule needs its site; once named its body is what RuleInputSchema takes, empty figures left out', () => {
    const d = ruleDraftOf(null);
    expect(validateRule(d)).toEqual({ scopeId: { key: 'form.required' } });
    d.scopeId = 'kazakhstan';
    d.forPolls = '3';
    expect(validateRule(d)).toEqual({});
    const body = ruleBody(d, null);
    expect(body).toEqual({
      kind: 'offline',
      scope: 'site',
      scopeId: 'kazakhstan',
      severity: 'warning',
      enabled: true,
      forPolls: 3,
    });
    expect(RuleInputSchema.safeParse(body).success).toBe(true);
  });

  it('an edited global rule keeps its params and timing, and a fractional poll count is refused', () => {
    const stored = {
      id: 'r1',
      kind: 'chip_overtemp',
      scope: 'global',
      scopeId: null,
      severity: 'critical',
      enabled: true,
      threshold: 95,
      clearThreshold: 90,
      forPolls: 2,
      forMs: 0,
      clearPolls: 3,
      params: { minUptimeS: 300 },
    };
    const d = ruleDraftOf(stored);
    d.threshold = '88';
    d.clearThreshold = '84,5';
    expect(validateRule(d)).toEqual({});
    const body = ruleBody(d, stored);
    expect(body).toMatchObject({
      scopeId: null,
      threshold: 88,
      clearThreshold: 84.5,
      forMs: 0,
      params: { minUptimeS: 300 },
    });
    expect(RuleInputSchema.safeParse(body).success).toBe(true);
    d.clearPolls = '1.5';
    expect(validateRule(d)).toEqual({ clearPolls: { key: 'form.whole' } });
  });
});
