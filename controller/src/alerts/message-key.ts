import type { AlertKind } from './kinds.js';
import type { AlertRecord } from './notify.js';

type Param = string | number;
type Params = Record<string, Param>;
type Input = Pick<AlertRecord, 'kind' | 'value' | 'threshold' | 'details'>;

/** What a key's text is built from; `null` when the stored alert lacks a figure it needs. */
type Wording = { variant?: string; params: Params } | null;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The params, or null when one of them is missing (an alert stored before its figure was). */
function all(params: Record<string, Param | null>): Params | null {
  for (const v of Object.values(params)) if (v === null) return null;
  return params as Params;
}
const wording = (params: Params | null, variant?: string): Wording =>
  params ? { ...(variant ? { variant } : {}), params } : null;

/** An implausible reading's fields as `chipTempMaxC 300 (0–150)`: field names and figures only. */
function fieldList(v: unknown): string | null {
  if (!Array.isArray(v) || v.length === 0) return null;
  return v
    .map(
      (f: { field?: unknown; value?: unknown; min?: unknown; max?: unknown }) =>
        `${String(f.field)} ${String(f.value)} (${String(f.min)}–${String(f.max)})`,
    )
    .join(', ');
}

/**
 * Each kind's wording as a catalogue key and parameters (a table, docs/style.md §3). A parameter's
 * name carries its unit the way the API's fields do (`chipC`, `medianThs`, `drawW`, `currentA`,
 * `shareRatio`, `silentS`, `perH`), so the UI formats each figure by the user's locale with its unit
 * (controller/ui/app/alert-message.ts); strings (pools, workers, PDU ids) are shown as they are.
 */
const WORDINGS: Record<AlertKind, (a: Input, d: Record<string, unknown>) => Wording> = {
  offline: (a, d) =>
    // The agent's error text is English from the socket layer: the UI shows it on hover only.
    d['error'] ? { variant: 'noAnswer', params: {} } : wording(all({ silentS: num(a.value) }), 'silent'),
  hashrate_low: (a, d) =>
    wording(
      all({
        medianThs: num(d['medianThs']),
        expectedThs: num(d['expectedThs']),
        shareRatio: num(a.value),
        thresholdRatio: num(a.threshold),
      }),
    ),
  chip_overtemp: (a) => wording(all({ chipC: num(a.value), thresholdC: num(a.threshold) })),
  board_overtemp: (a) => wording(all({ boardC: num(a.value), thresholdC: num(a.threshold) })),
  fan_failed: (a, d) =>
    wording(all({ failed: num(a.value), expected: num(d['expectedFans']), minRpm: num(d['minRpm']) })),
  board_missing: (a, d) => wording(all({ failed: num(a.value), expected: num(d['expectedBoards']) })),
  hw_errors: (a) => wording(all({ errorsPerH: num(a.value), thresholdPerH: num(a.threshold) })),
  pool_not_allowed: (_a, d) => wording(all({ pool: str(d['pool']) })),
  worker_changed: (_a, d) =>
    str(d['knownWorker'])
      ? wording(
          all({ worker: str(d['worker']), pool: str(d['pool']), knownWorker: str(d['knownWorker']) }),
          'known',
        )
      : wording(all({ worker: str(d['worker']), pool: str(d['pool']) }), 'patterns'),
  inlet_hot: (a) => wording(all({ inletC: num(a.value), thresholdC: num(a.threshold) })),
  outlet_overload: (a, d) =>
    wording(
      all({
        pduId: str(d['pduId']),
        outlet: num(d['outlet']),
        currentA: num(a.value),
        thresholdA: num(a.threshold),
      }),
    ),
  phase_overload: (a, d) =>
    d['phase'] !== undefined
      ? wording(
          all({
            pduId: str(d['pduId']),
            phase: num(d['phase']),
            currentA: num(a.value),
            ratingA: num(a.threshold),
          }),
          'phase',
        )
      : wording(all({ pduId: str(d['pduId']), drawW: num(a.value), thresholdW: num(a.threshold) }), 'total'),
  power_mismatch: (a, d) =>
    wording(
      all({
        reportedW: num(d['reportedW']),
        meteredW: num(d['meteredW']),
        pduId: str(d['pduId']),
        outlet: num(d['outlet']),
        apartRatio: num(a.value),
      }),
    ),
  agent_offline: (a, d) =>
    d['lastWill'] === true
      ? wording(all({ silentS: num(a.value) }), 'lastWill')
      : d['lastWill'] === false
        ? wording(all({ silentS: num(a.value) }), 'silent')
        : null,
  spool_filling: (a, d) =>
    (num(d['spoolDropped']) ?? 0) > 0
      ? wording(all({ dropped: num(d['spoolDropped']) }), 'dropped')
      : wording(all({ waiting: num(a.value) }), 'waiting'),
  implausible_reading: (_a, d) => wording(all({ fields: fieldList(d['fields']) })),
  // The field is the variant, so each language names it; sleep says which way instead of values.
  drift: (a, d) =>
    d['field'] === 'sleep'
      ? wording(all({ driftedS: num(a.value) }), d['desired'] === 'asleep' ? 'asleep' : 'awake')
      : wording(
          all({ desired: str(d['desired']), actual: str(d['actual']) ?? '–', driftedS: num(a.value) }),
          str(d['field']) ?? undefined,
        ),
};

/** Every key `messageOf` can give (the catalogue test checks each is in every UI catalogue). */
export const MESSAGE_VARIANTS: Record<AlertKind, readonly string[]> = {
  offline: ['noAnswer', 'silent'],
  hashrate_low: [''],
  chip_overtemp: [''],
  board_overtemp: [''],
  fan_failed: [''],
  board_missing: [''],
  hw_errors: [''],
  pool_not_allowed: [''],
  worker_changed: ['known', 'patterns'],
  inlet_hot: [''],
  outlet_overload: [''],
  phase_overload: ['phase', 'total'],
  power_mismatch: [''],
  agent_offline: ['lastWill', 'silent'],
  spool_filling: ['dropped', 'waiting'],
  implausible_reading: [''],
  drift: ['pool', 'worker', 'power', 'firmware', 'asleep', 'awake'],
};

export const messageKeyOf = (kind: string, variant = '') =>
  `alertMessage.${kind}${variant ? `.${variant}` : ''}`;

/**
 * An alert's message as a catalogue key and its parameters, so each UI language words it (issue 19
 * item 1): `alertMessage.<kind>` or `alertMessage.<kind>.<variant>`. `message` stays the
 * controller's English text, and is all there is (no key) for an alert stored before the figures
 * its wording needs were (a kind unknown here, too).
 */
export function messageOf(a: Input): { messageKey?: string; messageParams?: Params } {
  const word = (WORDINGS as Record<string, (typeof WORDINGS)[AlertKind] | undefined>)[a.kind];
  const w = word?.(a, a.details ?? {});
  if (!w) return {};
  return { messageKey: messageKeyOf(a.kind, w.variant), messageParams: w.params };
}
