import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { CATALOGUES, LOCALES } from '../ui/app/i18n.js';
import { LABELLED } from '../ui/app/labels.js';
import { ACTIONS_BY_ROLE, NAV } from '../ui/app/roles.js';
import { EMPTY, METRICS, NO_DATA } from '../ui/app/scales.js';

/**
 * The UI's catalogues are complete and the components hold no text of their own: every key the
 * source asks for (`t('…')`, `k('…')`, the key tables, each enum value named in labels.ts) is in
 * every catalogue with the plural forms that language needs and the same {{placeholders}} as the
 * English; and no JSX text or user-facing attribute in a .tsx file is a literal outside `t()`.
 */
const APP = join(import.meta.dirname, '..', 'ui', 'app');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

const parse = (file: string, text = readFileSync(file, 'utf8')) =>
  ts.createSourceFile(
    file,
    text,
    ts.ScriptTarget.ES2022,
    true,
    file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );

function walk(node: ts.Node, visit: (n: ts.Node) => void): void {
  visit(node);
  node.forEachChild((c) => walk(c, visit));
}

/** Literal keys passed to t()/k(), and the prefixes of template keys (`minerState.${s}`). */
function keysUsed(sf: ts.SourceFile): { keys: string[]; prefixes: string[] } {
  const keys: string[] = [];
  const prefixes: string[] = [];
  walk(sf, (n) => {
    if (!ts.isCallExpression(n) || !ts.isIdentifier(n.expression)) return;
    if (n.expression.text !== 't' && n.expression.text !== 'k') return;
    const arg = n.arguments[0];
    if (arg && ts.isStringLiteralLike(arg)) keys.push(arg.text);
    if (arg && ts.isTemplateExpression(arg)) prefixes.push(arg.head.text);
    // t(a ? 'x' : 'y') hides its keys from this scan: write t('x') and t('y').
    if (arg && ts.isConditionalExpression(arg)) prefixes.push(`conditional key at ${arg.getText()}`);
  });
  return { keys, prefixes };
}

/** Words are letters; figures, units and punctuation are not text to translate. */
const WORDS = /\p{L}{2,}/u;
const NOT_TEXT = new Set(['hashfleet', 'HSS', 'TH/s', 'J/TH', 'BTC']);
/** Commands and hashes in <code> are the same in every language. */
const inCode = (n: ts.Node) =>
  ts.isJsxElement(n.parent) && ['code', 'pre'].includes(n.parent.openingElement.tagName.getText());
const TEXT_ATTRS = new Set(['title', 'placeholder', 'aria-label', 'alt', 'label', 'empty', 'what', 'hint']);
const TEXT_PROPS = new Set(['label', 'title', 'empty']);

/** Each hard-coded user-visible string in a .tsx source, as `file:line: text`. */
export function hardCoded(sf: ts.SourceFile): string[] {
  const found: string[] = [];
  const at = (n: ts.Node, text: string) =>
    found.push(`${sf.fileName}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}: ${text.trim()}`);
  const isText = (s: string) => WORDS.test(s) && !NOT_TEXT.has(s.trim());
  walk(sf, (n) => {
    if (ts.isJsxText(n) && isText(n.text) && !inCode(n)) at(n, n.text);
    if (ts.isJsxAttribute(n) && TEXT_ATTRS.has(n.name.getText()) && n.initializer) {
      const v = n.initializer;
      const lit = ts.isStringLiteral(v)
        ? v
        : ts.isJsxExpression(v) && v.expression && ts.isStringLiteralLike(v.expression)
          ? v.expression
          : null;
      if (lit && isText(lit.text)) at(n, lit.text);
    }
    if (
      ts.isPropertyAssignment(n) &&
      TEXT_PROPS.has(n.name.getText()) &&
      ts.isStringLiteralLike(n.initializer) &&
      isText(n.initializer.text)
    )
      at(n, n.initializer.text);
  });
  return found;
}

const files = sourceFiles(APP);
const used = files.map((f) => keysUsed(parse(f)));
const literalKeys = new Set(used.flatMap((u) => u.keys));
const prefixes = new Set(used.flatMap((u) => u.prefixes));
const tableKeys = [
  ...NAV.map((n) => n.label),
  ...Object.values(ACTIONS_BY_ROLE).flatMap((as) => as.map((a) => a.label)),
  ...METRICS.map((m) => m.label),
  ...METRICS.flatMap((m) => m.legend.flatMap((b) => ('key' in b && b.key ? [b.key] : []))),
  ...[EMPTY, NO_DATA].map((s) => s.key!),
];
const enumKeys = Object.entries(LABELLED).flatMap(([family, values]) => values.map((v) => `${family}.${v}`));
const en = CATALOGUES.en;
/** Event sentences are looked up by the event's kind (events.ts), so every `event.*` key counts as used. */
const eventKeys = Object.keys(en).filter((key) => key.startsWith('event.'));
/**
 * So are alert messages, by the key the controller gives (controller/test/alerts-evaluate.test.ts
 * checks those), and the words of notifications, which the controller sends in a channel's language
 * (controller/src/alerts/channels/wording.ts).
 */
const alertKeys = Object.keys(en).filter((key) => /^alert(Message|Notice)\./.test(key));
const required = [...new Set([...literalKeys, ...tableKeys, ...enumKeys, ...eventKeys, ...alertKeys])].sort();

const isPlural = (key: string) => `${key}_other` in en;
const placeholders = (s: string) => [...s.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

describe('UI message catalogues', () => {
  it('every key the source asks for resolves in every language, with its plural forms', () => {
    const missing: string[] = [];
    for (const { id } of LOCALES) {
      const cat = CATALOGUES[id];
      const categories = new Intl.PluralRules(id).resolvedOptions().pluralCategories;
      for (const key of required) {
        if (isPlural(key)) {
          for (const c of categories) if (!(`${key}_${c}` in cat)) missing.push(`${id}: ${key}_${c}`);
        } else if (!(key in cat)) missing.push(`${id}: ${key}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('template keys use only the enum families that labels.ts lists', () => {
    const families = new Set(Object.keys(LABELLED).map((f) => `${f}.`));
    expect([...prefixes].filter((p) => !families.has(p))).toEqual([]);
  });

  it('each translation has the same {{placeholders}} as the English', () => {
    const wrong: string[] = [];
    for (const { id } of LOCALES) {
      for (const [key, text] of Object.entries(CATALOGUES[id])) {
        const base = en[key] ?? en[key.replace(/_(zero|one|two|few|many|other)$/, '_other')];
        if (base === undefined) {
          wrong.push(`${id}: ${key} is not in en.json`);
          continue;
        }
        // A plural form may spell the count out ("один") instead of {{count}}.
        const want = placeholders(base).filter((p) => p !== 'count');
        const got = placeholders(text).filter((p) => p !== 'count');
        if (JSON.stringify(want) !== JSON.stringify(got))
          wrong.push(`${id}: ${key} has {{${got}}}, en {{${want}}}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('en.json holds no key nothing uses', () => {
    const needed = new Set(required.flatMap((k) => (isPlural(k) ? [] : [k])));
    const orphans = Object.keys(en).filter(
      (key) =>
        !needed.has(key) &&
        !needed.has(key.replace(/_(zero|one|two|few|many|other)$/, '')) &&
        !literalKeys.has(key.replace(/_(zero|one|two|few|many|other)$/, '')),
    );
    expect(orphans).toEqual([]);
  });

  it('no .tsx component shows a hard-coded string', () => {
    expect(files.filter((f) => f.endsWith('.tsx')).flatMap((f) => hardCoded(parse(f)))).toEqual([]);
  });

  it('the scan finds JSX text, text attributes and column labels left outside t()', () => {
    const sample = parse(
      'sample.tsx',
      `const cols = [{ label: 'Miner', cell: () => null }];
       export const A = () => <p title="Hot slot">Hello <b>{t('x')}</b> 42 °C</p>;`,
    );
    expect(hardCoded(sample).map((s) => s.replace(/^sample\.tsx:\d+: /, ''))).toEqual([
      'Miner',
      'Hot slot',
      'Hello',
    ]);
  });
});
