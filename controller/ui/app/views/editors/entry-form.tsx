import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { FormProblems, useSave } from './fields.js';
import { type FieldError, type FieldErrors, hasErrors } from './rules.js';

/**
 * A form that records one entry (issue 19 item 6): its fields, each error beside its field once
 * the person has tried to save, a preview of what will be recorded while the fields are valid, the
 * API's own refusal under it, and a fresh form with a line saying what was done once it is stored.
 */
export function EntryForm<D>({
  testid,
  title,
  initial,
  validate,
  fields,
  preview,
  submitLabel,
  submit,
  onDone,
}: {
  testid: string;
  title: string;
  initial: () => D;
  validate: (d: D) => FieldErrors;
  /** The inputs, given the draft, a setter and the error to show under each field. */
  fields: (
    d: D,
    set: (patch: Partial<D>) => void,
    err: (name: string) => FieldError | undefined,
  ) => ComponentChildren;
  /** What will be recorded, in words; only asked for a valid draft. */
  preview: (d: D) => ComponentChildren;
  submitLabel: string;
  /** Stores the draft; resolves to the line saying what was done. */
  submit: (d: D) => Promise<string>;
  onDone?: () => void;
}) {
  const [draft, setDraft] = useState<D>(initial);
  const { shown, busy, failure, save: saveWith } = useSave();
  const [done, setDone] = useState<string | null>(null);
  const errors = validate(draft);
  const err = (name: string) => (shown ? errors[name] : undefined);
  const set = (patch: Partial<D>) => {
    setDraft({ ...draft, ...patch });
    setDone(null);
  };
  const save = (e: Event) =>
    saveWith(e, errors, async () => {
      const what = await submit(draft);
      setDraft(initial());
      setDone(t('common.done', { what }));
      onDone?.();
    });
  return (
    <form class="editor actions-box" data-testid={testid} onSubmit={save} noValidate>
      <h3>{title}</h3>
      <div class="editor-row">{fields(draft, set, err)}</div>
      {!hasErrors(errors) && (
        <p class="preview" data-testid="entry-preview">
          {preview(draft)}
        </p>
      )}
      <FormProblems invalid={shown && hasErrors(errors)} failure={failure} />
      {done && (
        <p class="muted" data-testid="entry-done">
          {done}
        </p>
      )}
      <div>
        <button type="submit" disabled={busy}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}
