import type { AlertRecord } from './notify.js';

type Param = string | number | boolean | null;

/**
 * An alert's message as a catalogue key and its parameters, so each UI language words it (issue 19
 * item 2); `message` stays the controller's English text. Keys are `alertMessage.<kind>`, and for
 * `offline` `.noAnswer` (the agent reported it unreachable) or `.silent` (no sample for a while).
 * Parameters: the figure (`value`), the `threshold`, and every plain field of `details`.
 */
export function messageOf(a: Pick<AlertRecord, 'kind' | 'value' | 'threshold' | 'details'>): {
  messageKey: string;
  messageParams: Record<string, Param>;
} {
  const params: Record<string, Param> = { value: a.value ?? null, threshold: a.threshold ?? null };
  for (const [k, v] of Object.entries(a.details ?? {})) {
    if (v === null || ['string', 'number', 'boolean'].includes(typeof v)) params[k] = v as Param;
  }
  const variant = a.kind === 'offline' ? (a.details?.['error'] ? '.noAnswer' : '.silent') : '';
  return { messageKey: `alertMessage.${a.kind}${variant}`, messageParams: params };
}
