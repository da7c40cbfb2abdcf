import { k } from '../../i18n.js';

/** A field's error: a catalogue key and its values, turned into words where it is shown. */
export type FieldError = { key: string; values?: Record<string, string | number> };
export type FieldErrors = Record<string, FieldError>;

export const hasErrors = (e: FieldErrors) => Object.keys(e).length > 0;

/**
 * Checks that `text` is a number within [min, max] (a whole one when `whole`), recording the
 * error under `name`. Pure, so the rules can be tested without a page.
 */
/** A number as typed, with a decimal comma taken as a point (Russian and Kazakh keyboards). */
export const num = (text: string): number => Number(text.trim().replace(',', '.'));

export function numberIn(
  errors: FieldErrors,
  name: string,
  text: string,
  min: number,
  max: number,
  whole = false,
): void {
  const v = num(text);
  if (text.trim() === '' || !Number.isFinite(v)) errors[name] = { key: k('form.number') };
  else if (whole && !Number.isInteger(v)) errors[name] = { key: k('form.whole') };
  else if (v < min || v > max) errors[name] = { key: k('form.range'), values: { min, max } };
}
