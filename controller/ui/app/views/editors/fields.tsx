import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { type FieldError, type FieldErrors, hasErrors } from './rules.js';

/**
 * A form's save as every editor here does it: the fields' errors shown from the first try, nothing
 * sent while any stands, busy while `store` runs, and its failure (the API's refusal) kept to show.
 */
export function useSave() {
  const [shown, setShown] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const save = async (e: Event, errors: FieldErrors, store: () => Promise<void>) => {
    e.preventDefault();
    setShown(true);
    if (hasErrors(errors)) return;
    setBusy(true);
    setFailure(null);
    try {
      await store();
      setShown(false);
    } catch (err) {
      setFailure(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return { shown, busy, failure, setFailure, save };
}

/** Under a form: "correct the fields marked" once tried with errors, and the API's refusal. */
export function FormProblems({ invalid, failure }: { invalid: boolean; failure: string | null }) {
  return (
    <>
      {invalid && (
        <p class="error" role="alert" data-testid="form-invalid">
          {t('form.fix')}
        </p>
      )}
      {failure && (
        <p class="error" role="alert" data-testid="form-failure">
          {failure}
        </p>
      )}
    </>
  );
}

/** A labelled input with its error written next to it (and tied to it for screen readers). */
export function Field({
  label,
  error,
  children,
}: {
  label: string;
  error?: FieldError | undefined;
  children: ComponentChildren;
}) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is the children, inside the label
    <label class={error ? 'field invalid' : 'field'}>
      <span class="field-label">{label}</span>
      {children}
      {error && (
        <span class="field-error" role="alert" data-testid="field-error">
          {t(error.key, error.values)}
        </span>
      )}
    </label>
  );
}

type Window = { from: string; to: string };

/**
 * Site-local time windows (HH:MM from, to), each removable, and one to add: the sleep windows of an
 * operating profile and the windows of a curtailment schedule. `name` is the draft's field, so each
 * input's name and error are `<name>.<i>.from|to`, as the draft's checks key them.
 */
export function WindowRows({
  name,
  windows,
  err,
  onChange,
}: {
  name: string;
  windows: readonly Window[];
  err: (field: string) => FieldError | undefined;
  onChange: (windows: Window[]) => void;
}) {
  const value = (e: Event) => (e.target as HTMLInputElement).value;
  const setWindow = (i: number, patch: Partial<Window>) =>
    onChange(windows.map((w, j) => (j === i ? { ...w, ...patch } : w)));
  return (
    <>
      {windows.map((w, i) => (
        <div class="editor-row" key={i} data-window={i}>
          <Field label={t('audit.since')} error={err(`${name}.${i}.from`)}>
            <input
              name={`${name}.${i}.from`}
              placeholder={t('form.hhmmHint')}
              value={w.from}
              onInput={(e) => setWindow(i, { from: value(e) })}
            />
          </Field>
          <Field label={t('audit.until')} error={err(`${name}.${i}.to`)}>
            <input
              name={`${name}.${i}.to`}
              placeholder={t('form.hhmmHint')}
              value={w.to}
              onInput={(e) => setWindow(i, { to: value(e) })}
            />
          </Field>
          <button type="button" onClick={() => onChange(windows.filter((_, j) => j !== i))}>
            {t('form.remove')}
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...windows, { from: '01:00', to: '05:00' }])}>
        {t('form.addWindow')}
      </button>
    </>
  );
}
