import { k } from '../../i18n.js';
import { type FieldErrors, num, numberIn } from './rules.js';

/**
 * The curtailment schedule form's draft, its rules (ScheduleSchema in
 * controller/src/operations/curtailment/schema.ts, field by field) and the `POST /curtailment`
 * body. Pure; tested in controller/test/ui-editors.test.ts.
 */
export interface ScheduleDraft {
  name: string;
  siteId: string;
  containerId: string;
  trigger: 'windows' | 'tariff';
  windows: { from: string; to: string }[];
  abovePerKwh: string;
  action: 'sleep' | 'power';
  watts: string;
  restoreWatts: string;
  stepSize: string;
  stepEveryS: string;
}

export const emptySchedule = (siteId = ''): ScheduleDraft => ({
  name: '',
  siteId,
  containerId: '',
  trigger: 'windows',
  windows: [{ from: '18:00', to: '22:00' }],
  abovePerKwh: '0.08',
  action: 'sleep',
  watts: '2500',
  restoreWatts: '3300',
  stepSize: '10',
  stepEveryS: '60',
});

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

export function validateSchedule(d: ScheduleDraft): FieldErrors {
  const e: FieldErrors = {};
  if (!d.name.trim()) e['name'] = { key: k('form.required') };
  else if (d.name.trim().length > 100) e['name'] = { key: k('form.tooLong'), values: { max: 100 } };
  if (!d.siteId) e['siteId'] = { key: k('form.required') };
  if (d.trigger === 'windows') {
    if (d.windows.length === 0) e['windows'] = { key: k('form.oneWindow') };
    d.windows.forEach((w, i) => {
      if (!HHMM.test(w.from)) e[`windows.${i}.from`] = { key: k('form.hhmm') };
      if (!HHMM.test(w.to)) e[`windows.${i}.to`] = { key: k('form.hhmm') };
    });
  } else numberIn(e, 'abovePerKwh', d.abovePerKwh, 0, 100);
  if (d.action === 'power') {
    numberIn(e, 'watts', d.watts, 100, 20_000, true);
    numberIn(e, 'restoreWatts', d.restoreWatts, 100, 20_000, true);
  }
  numberIn(e, 'stepSize', d.stepSize, 1, 10_000, true);
  numberIn(e, 'stepEveryS', d.stepEveryS, 0, 3600, true);
  return e;
}

export function scheduleBody(d: ScheduleDraft) {
  return {
    name: d.name.trim(),
    siteId: d.siteId,
    ...(d.containerId ? { selector: { containerId: d.containerId } } : {}),
    trigger:
      d.trigger === 'windows'
        ? { kind: 'windows' as const, windows: d.windows }
        : { kind: 'tariff' as const, abovePerKwh: num(d.abovePerKwh) },
    action:
      d.action === 'sleep'
        ? { kind: 'sleep' as const }
        : { kind: 'power' as const, watts: num(d.watts), restoreWatts: num(d.restoreWatts) },
    stepSize: num(d.stepSize),
    stepEveryS: num(d.stepEveryS),
  };
}
