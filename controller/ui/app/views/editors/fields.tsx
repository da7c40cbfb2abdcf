import type { ComponentChildren } from 'preact';
import { t } from '../../i18n.js';
import type { FieldError } from './rules.js';

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
