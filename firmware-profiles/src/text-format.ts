/**
 * cgminer's text reply grammar (API-README): sections split by `|`, items by `,`, `KEY=VALUE`;
 * from API 1.7 `| , = \` inside values are backslash-escaped. Avalon's `MM ID` values carry
 * unescaped commas inside `[...]` (`SYSTEMSTATU[Work: In Work, Hash Board: 3 ]`), so commas
 * inside brackets do not split. The result has the JSON reply's shape, so one parser serves both.
 */

/** Text item name -> JSON array name (cgminer api.c uses a plural for these sections). */
const SECTION_ARRAY: Record<string, string> = { POOL: 'POOLS', ASC: 'DEVS', PGA: 'DEVS', GPU: 'DEVS' };

const INTEGER_OR_DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;

export function decodeText(text: string): Record<string, unknown> {
  const reply: Record<string, unknown[]> = {};
  for (const section of splitUnescaped(text, '|', false)) {
    const items = splitUnescaped(section, ',', true)
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (items.length === 0) continue;
    const record: Record<string, unknown> = {};
    let name = '';
    for (const [n, item] of items.entries()) {
      const eq = indexOfUnescaped(item, '=');
      if (eq < 0) {
        if (n === 0) name = unescapeText(item);
        continue;
      }
      const key = unescapeText(item.slice(0, eq)).trim();
      if (n === 0) name = key;
      record[key] = toValue(unescapeText(item.slice(eq + 1)));
    }
    const arrayName = SECTION_ARRAY[name] ?? name;
    if (!reply[arrayName]) reply[arrayName] = [];
    reply[arrayName].push(record);
  }
  return reply;
}

function toValue(v: string): string | number {
  return INTEGER_OR_DECIMAL.test(v) ? Number(v) : v;
}

function splitUnescaped(text: string, sep: string, bracketAware: boolean): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (bracketAware && c === '[') depth++;
    else if (bracketAware && c === ']' && depth > 0) depth--;
    else if (c === sep && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

function indexOfUnescaped(text: string, ch: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === ch) return i;
  }
  return -1;
}

function unescapeText(s: string): string {
  return s.replace(/\\([|,=\\])/g, '$1');
}
