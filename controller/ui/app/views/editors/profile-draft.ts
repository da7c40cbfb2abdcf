import { k } from '../../i18n.js';
import { type FieldErrors, num, numberIn } from './rules.js';

/**
 * The operating profile editor's draft, its rules (those of OperatingProfileSchema in
 * controller/src/operations/profiles/schema.ts, checked field by field) and the `PUT
 * /operating-profiles/:name` body. Pure; tested in controller/test/ui-editors.test.ts.
 */
export type PresetKind = 'power' | 'mode' | 'fan';

export interface PresetRow {
  model: string;
  kind: PresetKind;
  powerTargetW: string;
  powerMode: string;
  expectPowerW: string;
  fanMode: string;
}

export interface ProfileDraft {
  name: string;
  description: string;
  presets: PresetRow[];
  sleepWindows: { from: string; to: string }[];
  tolerancePct: string;
  settleS: string;
}

/** A profile as `GET /operating-profiles` returns it. */
export interface StoredProfile {
  name: string;
  description: string;
  presets: {
    model: string;
    powerTargetW?: number;
    powerMode?: string;
    expectPowerW?: number;
    fanMode?: string;
  }[];
  sleepWindows: { from: string; to: string }[];
  tolerancePct?: number;
  settleS?: number;
}

export const POWER_MODES = ['low', 'normal', 'high'] as const;
export const FAN_MODES = ['auto', 'immersion', 'max'] as const;

export const emptyPreset = (): PresetRow => ({
  model: '*',
  kind: 'power',
  powerTargetW: '3000',
  powerMode: 'low',
  expectPowerW: '',
  fanMode: '',
});

export function draftOf(p: StoredProfile | null): ProfileDraft {
  if (!p)
    return {
      name: '',
      description: '',
      presets: [emptyPreset()],
      sleepWindows: [],
      tolerancePct: '10',
      settleS: '600',
    };
  return {
    name: p.name,
    description: p.description,
    presets: p.presets.map((s) => ({
      model: s.model,
      kind: s.powerTargetW !== undefined ? 'power' : s.powerMode !== undefined ? 'mode' : 'fan',
      powerTargetW: s.powerTargetW === undefined ? '' : String(s.powerTargetW),
      powerMode: s.powerMode ?? 'low',
      expectPowerW: s.expectPowerW === undefined ? '' : String(s.expectPowerW),
      fanMode: s.fanMode ?? '',
    })),
    sleepWindows: p.sleepWindows.map((w) => ({ ...w })),
    tolerancePct: String(p.tolerancePct ?? 10),
    settleS: String(p.settleS ?? 600),
  };
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

export function validateProfile(d: ProfileDraft): FieldErrors {
  const e: FieldErrors = {};
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(d.name)) e['name'] = { key: k('form.profileName') };
  if (d.description.length > 500) e['description'] = { key: k('form.tooLong'), values: { max: 500 } };
  if (d.presets.length === 0) e['presets'] = { key: k('form.onePreset') };
  const models = new Set<string>();
  d.presets.forEach((p, i) => {
    const m = p.model.trim();
    if (!m) e[`presets.${i}.model`] = { key: k('form.required') };
    else if (models.has(m)) e[`presets.${i}.model`] = { key: k('form.duplicateModel') };
    models.add(m);
    if (p.kind === 'power') numberIn(e, `presets.${i}.powerTargetW`, p.powerTargetW, 100, 20_000, true);
    if (p.kind === 'mode') numberIn(e, `presets.${i}.expectPowerW`, p.expectPowerW, 1, 20_000);
    if (p.kind === 'fan' && !p.fanMode) e[`presets.${i}.fanMode`] = { key: k('form.required') };
  });
  d.sleepWindows.forEach((w, i) => {
    if (!HHMM.test(w.from)) e[`sleepWindows.${i}.from`] = { key: k('form.hhmm') };
    if (!HHMM.test(w.to)) e[`sleepWindows.${i}.to`] = { key: k('form.hhmm') };
  });
  numberIn(e, 'tolerancePct', d.tolerancePct, 0.1, 50);
  numberIn(e, 'settleS', d.settleS, 0, 86_400, true);
  return e;
}

/** The PUT body of a valid draft. */
export function profileBody(d: ProfileDraft) {
  return {
    name: d.name,
    description: d.description,
    presets: d.presets.map((p) => ({
      model: p.model.trim(),
      ...(p.kind === 'power' ? { powerTargetW: num(p.powerTargetW) } : {}),
      ...(p.kind === 'mode' ? { powerMode: p.powerMode, expectPowerW: num(p.expectPowerW) } : {}),
      ...(p.fanMode ? { fanMode: p.fanMode } : {}),
    })),
    sleepWindows: d.sleepWindows,
    tolerancePct: num(d.tolerancePct),
    settleS: num(d.settleS),
  };
}
