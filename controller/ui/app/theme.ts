/**
 * Light or dark, per browser: the saved choice, else the system's (`prefers-color-scheme`). The
 * dark theme is for wall screens in a NOC; the palette lives in style.css under `[data-theme]`.
 */
export type Theme = 'light' | 'dark';

const THEME_KEY = 'hashfleet.theme';

export function initialTheme(): Theme {
  const saved = localStorage.getItem(THEME_KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function applyTheme(theme: Theme, remember = false): void {
  document.documentElement.dataset['theme'] = theme;
  if (remember) localStorage.setItem(THEME_KEY, theme);
}
