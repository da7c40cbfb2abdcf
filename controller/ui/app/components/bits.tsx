import type { ComponentChildren } from 'preact';
import { t } from '../i18n.js';

/** Small shared pieces: a figure tile, an error line, a loading line, an empty-state line. */

export function Tile({
  label,
  value,
  hint,
  testid,
}: {
  label: string;
  value: string;
  hint?: string;
  testid?: string;
}) {
  return (
    <div class="tile" data-testid={testid}>
      <div class="tile-label">{label}</div>
      <div class="tile-value">{value}</div>
      {hint && <div class="tile-hint">{hint}</div>}
    </div>
  );
}

export function Problem({ error }: { error: string | null }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}

export function Loading({ what }: { what: string }) {
  return <p class="muted">{t('common.loading', { what })}</p>;
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="muted empty">{children}</p>;
}

export function Section({
  title,
  children,
  aside,
}: {
  title: string;
  children: ComponentChildren;
  aside?: ComponentChildren;
}) {
  return (
    <section>
      <div class="section-head">
        <h2>{title}</h2>
        {aside}
      </div>
      {children}
    </section>
  );
}
