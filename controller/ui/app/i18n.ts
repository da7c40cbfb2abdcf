/**
 * The UI's languages: i18next with the message catalogues in `../locales/*.json`, bundled into the
 * page (four small files, so no lazy loading), numbers and dates by the chosen locale through
 * `Intl`. The choice is per browser (localStorage), defaulting to the browser's language.
 */
import i18next, { type TOptions } from 'i18next';
import en from '../locales/en.json' with { type: 'json' };
import kk from '../locales/kk.json' with { type: 'json' };
import ru from '../locales/ru.json' with { type: 'json' };
import zhCN from '../locales/zh-CN.json' with { type: 'json' };

export const LOCALES = [
  { id: 'en', name: 'English' },
  { id: 'zh-CN', name: '简体中文' },
  { id: 'ru', name: 'Русский' },
  { id: 'kk', name: 'Қазақша' },
] as const;
export type LocaleId = (typeof LOCALES)[number]['id'];

/** Every catalogue by locale; the unit test reads the same files. */
export const CATALOGUES: Record<LocaleId, Record<string, string>> = { en, 'zh-CN': zhCN, ru, kk };

const LOCALE_KEY = 'hashfleet.locale';

const isLocale = (v: string | null | undefined): v is LocaleId => LOCALES.some((l) => l.id === v);

/** The saved choice, else the first of the browser's languages we have (zh-* → zh-CN), else English. */
export function initialLocale(
  saved: string | null = storage()?.getItem(LOCALE_KEY) ?? null,
  preferred: readonly string[] = typeof navigator === 'undefined' ? [] : navigator.languages,
): LocaleId {
  if (isLocale(saved)) return saved;
  for (const lang of preferred) {
    const base = lang.toLowerCase().split('-')[0];
    if (base === 'zh') return 'zh-CN';
    if (isLocale(base)) return base;
  }
  return 'en';
}

function storage(): Storage | null {
  return typeof localStorage === 'undefined' ? null : localStorage;
}

const i18n = i18next.createInstance();
void i18n.init({
  lng: initialLocale(),
  // A key missing from a catalogue still reads in English; the unit test keeps that from shipping,
  // and `missingKeys` lists any the page met, for the browser test.
  fallbackLng: 'en',
  resources: Object.fromEntries(Object.entries(CATALOGUES).map(([l, c]) => [l, { translation: c }])),
  initAsync: false,
  // Keys are flat (`nav.overview`), each catalogue one level deep.
  keySeparator: false,
  nsSeparator: false,
  interpolation: { escapeValue: false },
  returnNull: false,
  showSupportNotice: false,
});

const missing = new Set<string>();

/** Keys the page asked for that the current locale's catalogue lacks (read by the browser test). */
export function missingKeys(): string[] {
  return [...missing];
}

/** Marks a string as a catalogue key where tables hold keys for later `t()` (the unit test finds them). */
export const k = <K extends string>(key: K): K => key;

export function t(key: string, options?: TOptions): string {
  const lng = i18n.language;
  if (!i18n.exists(key, { ...options, lng, fallbackLng: false })) missing.add(`${lng}:${key}`);
  return (options ? i18n.t(key, options as Record<string, unknown>) : i18n.t(key)) as string;
}

export function locale(): LocaleId {
  return isLocale(i18n.language) ? i18n.language : 'en';
}

/**
 * The locale `Intl` formats with. Chromium's ICU data has no Kazakh: there numbers follow Kazakhstan's
 * conventions (decimal comma, space between thousands) through `ru-KZ`, and dates are all digits
 * (`numericDates`), so no Russian month name shows in a Kazakh page.
 */
export function intlLocale(): { tag: string; numericDates: boolean } {
  const id = locale();
  if (Intl.DateTimeFormat.supportedLocalesOf([id]).length > 0) return { tag: id, numericDates: false };
  return { tag: id === 'kk' ? 'ru-KZ' : 'en', numericDates: true };
}

export function setLocale(id: LocaleId): void {
  storage()?.setItem(LOCALE_KEY, id);
  void i18n.changeLanguage(id);
  if (typeof document !== 'undefined') document.documentElement.lang = id;
}

if (typeof document !== 'undefined') document.documentElement.lang = locale();
if (typeof window !== 'undefined')
  (window as { hashfleetMissingKeys?: () => string[] }).hashfleetMissingKeys = missingKeys;
