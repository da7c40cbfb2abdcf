import en from '../../../ui/locales/en.json' with { type: 'json' };
import kk from '../../../ui/locales/kk.json' with { type: 'json' };
import ru from '../../../ui/locales/ru.json' with { type: 'json' };
import zhCN from '../../../ui/locales/zh-CN.json' with { type: 'json' };

/**
 * Notifications in the recipient's language (issue 19): a channel configured with a `language`
 * words an alert from the web UI's own catalogues (controller/ui/locales), so a WeCom group in
 * Sichuan reads the Chinese the technicians see on screen. Figures are formatted by the language's
 * number conventions with their unit, the same units by parameter name as
 * controller/ui/app/alert-message.ts (a parameter's name carries its unit: alerts/message-key.ts).
 */
export const CHANNEL_LANGUAGES = ['en', 'zh-CN', 'ru', 'kk'] as const;
export type ChannelLanguage = (typeof CHANNEL_LANGUAGES)[number];

const CATALOGUES: Record<ChannelLanguage, Record<string, string>> = { en, 'zh-CN': zhCN, ru, kk };
/** `Intl` has no Kazakh in every Node.js build: Kazakhstan's conventions through ru-KZ, as the UI does. */
const NUMBER_LOCALE: Record<ChannelLanguage, string> = { en: 'en', 'zh-CN': 'zh-CN', ru: 'ru', kk: 'ru-KZ' };

type Param = string | number | boolean | null;

function formatParam(lang: ChannelLanguage, name: string, v: Param): string {
  if (typeof v !== 'number') return v === null ? '–' : String(v);
  const n = (digits: number, x = v) =>
    new Intl.NumberFormat(NUMBER_LOCALE[lang], {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(x);
  if (/Rpm$/.test(name)) return text(lang, 'unit.rpm', { value: n(0, Math.round(v)) });
  if (/Ths$/.test(name)) return Math.abs(v) >= 1000 ? `${n(2, v / 1000)} PH/s` : `${n(1)} TH/s`;
  if (/Ratio$/.test(name))
    return new Intl.NumberFormat(NUMBER_LOCALE[lang], { style: 'percent', maximumFractionDigits: 1 }).format(
      v,
    );
  if (/(PerH|S)$/.test(name)) return n(0, Math.round(v));
  if (/C$/.test(name)) return `${n(0)} °C`;
  if (/W$/.test(name)) return Math.abs(v) >= 1000 ? `${n(1, v / 1000)} kW` : `${n(0, Math.round(v))} W`;
  if (/A$/.test(name)) return `${n(1)} A`;
  return new Intl.NumberFormat(NUMBER_LOCALE[lang]).format(v);
}

/** A catalogue entry with its `{{placeholders}}` filled; English when the language lacks it. */
export function text(lang: ChannelLanguage, key: string, params: Record<string, string> = {}): string {
  const template = CATALOGUES[lang][key] ?? CATALOGUES.en[key] ?? key;
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, p: string) => params[p] ?? '');
}

/** The alert's message in `lang`, or null when the alert has no catalogue key (stored before it had one). */
export function alertText(
  lang: ChannelLanguage,
  messageKey: string | undefined,
  messageParams: Record<string, Param> | undefined,
): string | null {
  if (!messageKey || !(messageKey in CATALOGUES.en)) return null;
  const params = Object.fromEntries(
    Object.entries(messageParams ?? {}).map(([name, v]) => [name, formatParam(lang, name, v)]),
  );
  return text(lang, messageKey, params);
}
