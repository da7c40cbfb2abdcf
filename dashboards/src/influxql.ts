import type { MeasurementSchema } from './schema.js';

/**
 * A checker for the InfluxQL the dashboards use: SELECT (with one level of subquery per FROM),
 * and SHOW TAG VALUES. It is not a full InfluxQL parser; it knows enough to say which
 * measurement, fields, tags and template variables a query references, and to reject anything
 * outside that subset rather than guess.
 */

type TokenKind = 'quoted' | 'string' | 'regex' | 'number' | 'word' | 'var' | 'op' | 'punct';
interface Token {
  kind: TokenKind;
  text: string;
}

const OPERATORS = ['=~', '!~', '!=', '<>', '<=', '>=', '=', '<', '>'];
const PUNCT = '(),*/+-;';

export function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const previous = () => tokens[tokens.length - 1];
  while (i < query.length) {
    const c = query[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let text = '';
      while (j < query.length && query[j] !== c) {
        if (query[j] === '\\') j++;
        text += query[j] ?? '';
        j++;
      }
      if (j >= query.length) throw new Error(`unterminated ${c === '"' ? 'identifier' : 'string'} at ${i}`);
      tokens.push({ kind: c === '"' ? 'quoted' : 'string', text });
      i = j + 1;
      continue;
    }
    // A regex only follows a regex-match operator; elsewhere `/` divides.
    if (c === '/' && previous()?.kind === 'op' && ['=~', '!~'].includes(previous()!.text)) {
      let j = i + 1;
      while (j < query.length && query[j] !== '/') j += query[j] === '\\' ? 2 : 1;
      if (j >= query.length) throw new Error(`unterminated regex at ${i}`);
      tokens.push({ kind: 'regex', text: query.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    const variable = /^\$(?:\{([A-Za-z0-9_]+)(?::[A-Za-z]+)?\}|([A-Za-z0-9_]+))/.exec(query.slice(i));
    if (variable) {
      tokens.push({ kind: 'var', text: variable[1] ?? variable[2]! });
      i += variable[0].length;
      continue;
    }
    const number = /^\d+(?:\.\d+)?[a-z]*/.exec(query.slice(i));
    if (number) {
      tokens.push({ kind: 'number', text: number[0] });
      i += number[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(query.slice(i));
    if (word) {
      tokens.push({ kind: 'word', text: word[0] });
      i += word[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => query.startsWith(o, i));
    if (op) {
      tokens.push({ kind: 'op', text: op });
      i += op.length;
      continue;
    }
    if (PUNCT.includes(c)) {
      tokens.push({ kind: 'punct', text: c });
      i++;
      continue;
    }
    throw new Error(`unexpected "${c}" at ${i}`);
  }
  return tokens;
}

/** InfluxQL functions the dashboards may use (aggregations, selectors, transformations). */
const FUNCTIONS = new Set([
  'mean',
  'median',
  'sum',
  'count',
  'min',
  'max',
  'first',
  'last',
  'spread',
  'stddev',
  'percentile',
  'difference',
  'non_negative_difference',
  'derivative',
  'non_negative_derivative',
  'integral',
]);
/** Words allowed where they stand: keywords of the clauses we parse, and `fill` arguments. */
const KEYWORDS = new Set([
  'AND',
  'OR',
  'AS',
  'time',
  'now',
  'none',
  'null',
  'previous',
  'linear',
  'DESC',
  'ASC',
]);

export interface QueryReport {
  measurements: string[];
  variables: string[];
  errors: string[];
}

/** Schemas by measurement name; the checker looks fields and tags up here. */
export type Schema = Readonly<Record<string, MeasurementSchema>>;

const upper = (t: Token | undefined) => (t?.kind === 'word' ? t.text.toUpperCase() : '');

/** Splits at top-level occurrences of `at(token)`; parentheses nest. */
function splitTop(tokens: Token[], at: (t: Token) => boolean): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (t.text === '(' && t.kind === 'punct') depth++;
    if (t.text === ')' && t.kind === 'punct') depth--;
    if (depth === 0 && at(t)) parts.push([]);
    else parts[parts.length - 1]!.push(t);
  }
  return parts;
}

function matchingParen(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i]!.kind === 'punct' && tokens[i]!.text === '(') depth++;
    if (tokens[i]!.kind === 'punct' && tokens[i]!.text === ')' && --depth === 0) return i;
  }
  return -1;
}

/** Checks a query against the schema; never throws (a parse failure is an error in the report). */
export function checkQuery(query: string, schema: Schema): QueryReport {
  const report: QueryReport = { measurements: [], variables: [], errors: [] };
  try {
    const tokens = tokenize(query);
    for (const t of tokens) {
      if (t.kind === 'var') report.variables.push(t.text);
      if (t.kind === 'regex' || t.kind === 'string')
        for (const m of t.text.matchAll(/\$\{?([A-Za-z0-9_]+)/g)) report.variables.push(m[1]!);
    }
    if (upper(tokens[0]) === 'SHOW') checkShowTagValues(tokens, schema, report);
    else if (upper(tokens[0]) === 'SELECT') checkSelect(tokens, schema, report);
    else report.errors.push('only SELECT and SHOW TAG VALUES are supported');
  } catch (error) {
    report.errors.push((error as Error).message);
  }
  report.variables = [...new Set(report.variables)];
  report.measurements = [...new Set(report.measurements)];
  const where = query.length > 70 ? `${query.slice(0, 70)}...` : query;
  report.errors = report.errors.map((e) => `query "${where}": ${e}`);
  return report;
}

function checkShowTagValues(tokens: Token[], schema: Schema, report: QueryReport): void {
  const words = tokens.slice(0, 7).map((t) => (t.kind === 'word' ? t.text.toUpperCase() : t.text));
  // SHOW TAG VALUES FROM "m" WITH KEY = "k"
  if (words.slice(0, 4).join(' ') !== 'SHOW TAG VALUES FROM' || words.slice(5, 7).join(' ') !== 'WITH KEY') {
    report.errors.push('expected SHOW TAG VALUES FROM "<measurement>" WITH KEY = "<tag>"');
    return;
  }
  const measurement = tokens[4]!.text;
  const key = tokens[8];
  const m = schema[measurement];
  report.measurements.push(measurement);
  if (!m) {
    report.errors.push(`unknown measurement "${measurement}"`);
    return;
  }
  if (tokens[7]?.text !== '=' || key?.kind !== 'quoted') report.errors.push('expected KEY = "<tag>"');
  else if (!m.tags.includes(key.text)) report.errors.push(`"${key.text}" is not a tag of "${measurement}"`);
  const rest = tokens.slice(9);
  if (rest.length > 0 && upper(rest[0]) !== 'WHERE')
    report.errors.push(`unexpected "${rest[0]!.text}" after KEY`);
  for (const t of rest.slice(1)) {
    if (t.kind === 'quoted' && !m.tags.includes(t.text))
      report.errors.push(`"${t.text}" is not a tag of "${measurement}"`);
  }
}

/** What a FROM source offers to the query reading it. */
interface Source {
  name: string;
  fields: readonly string[];
  tags: readonly string[];
}

/** Checks one SELECT and returns what it yields to an outer query (its columns and group-by tags). */
function checkSelect(tokens: Token[], schema: Schema, report: QueryReport): Source | null {
  const fromAt = splitTop(tokens, (t) => upper(t) === 'FROM');
  if (fromAt.length !== 2) {
    report.errors.push('expected exactly one FROM');
    return null;
  }
  const selectList = fromAt[0]!.slice(1);
  let rest = fromAt[1]!;
  let source: Source | null;
  if (rest[0]?.kind === 'punct' && rest[0].text === '(') {
    const close = matchingParen(rest, 0);
    if (close < 0) {
      report.errors.push('unbalanced parentheses in FROM');
      return null;
    }
    const inner = rest.slice(1, close);
    if (upper(inner[0]) !== 'SELECT') report.errors.push('a subquery must be a SELECT');
    source = checkSelect(inner, schema, report);
    rest = rest.slice(close + 1);
  } else if (rest[0]?.kind === 'quoted' || rest[0]?.kind === 'word') {
    const name = rest[0].text;
    report.measurements.push(name);
    const m = schema[name];
    if (!m) report.errors.push(`unknown measurement "${name}"`);
    source = m ? { name: `"${name}"`, fields: m.fields, tags: m.tags } : null;
    rest = rest.slice(1);
  } else {
    report.errors.push('expected a measurement or a subquery after FROM');
    return null;
  }
  if (!source) return null;

  const columns = checkSelectList(selectList, source, report);
  const clauses = splitClauses(rest, report);
  for (const t of clauses.where) {
    if (t.kind === 'quoted' && !source.fields.includes(t.text) && !source.tags.includes(t.text)) {
      report.errors.push(`"${t.text}" in WHERE is neither a field nor a tag of ${source.name}`);
    }
    if (t.kind === 'word' && !KEYWORDS.has(t.text))
      report.errors.push(`unexpected word "${t.text}" in WHERE`);
  }
  const groupTags: string[] = [];
  for (const part of splitTop(clauses.groupBy, (t) => t.kind === 'punct' && t.text === ',')) {
    if (part.length === 0 && clauses.groupBy.length === 0) continue;
    const [first] = part;
    if (first?.kind === 'word' && first.text === 'time' && part[1]?.text === '(') continue;
    if (part.length === 1 && first?.kind === 'quoted') {
      if (source.tags.includes(first.text)) groupTags.push(first.text);
      else report.errors.push(`GROUP BY "${first.text}" is not a tag of ${source.name}`);
      continue;
    }
    report.errors.push(`unsupported GROUP BY "${part.map((t) => t.text).join(' ')}"`);
  }
  return { name: 'the subquery', fields: columns, tags: groupTags };
}

/** Checks the select list; returns the output column names (alias, else the function or field name). */
function checkSelectList(list: Token[], source: Source, report: QueryReport): string[] {
  const columns: string[] = [];
  for (const item of splitTop(list, (t) => t.kind === 'punct' && t.text === ',')) {
    let expr = item;
    let alias: string | undefined;
    const as = item.findIndex((t) => upper(t) === 'AS');
    if (as >= 0) {
      alias = item[as + 1]?.text;
      if (item[as + 1]?.kind !== 'quoted' || item.length !== as + 2)
        report.errors.push('AS must end an item with "<alias>"');
      expr = item.slice(0, as);
    }
    let firstName: string | undefined;
    expr.forEach((t, i) => {
      if (t.kind === 'quoted') {
        if (!source.fields.includes(t.text)) {
          report.errors.push(
            source.tags.includes(t.text)
              ? `"${t.text}" is a tag of ${source.name}, not a field: it cannot be selected`
              : `field "${t.text}" is not in ${source.name}`,
          );
        }
      } else if (t.kind === 'word') {
        if (expr[i + 1]?.text === '(') {
          if (!FUNCTIONS.has(t.text)) report.errors.push(`unknown function ${t.text}()`);
          firstName ??= t.text;
        } else report.errors.push(`unquoted "${t.text}" in SELECT (quote identifiers)`);
      } else if (t.kind === 'string' || t.kind === 'regex' || t.kind === 'var') {
        report.errors.push(`unexpected ${t.kind} "${t.text}" in SELECT`);
      }
    });
    if (expr.length === 0) report.errors.push('empty SELECT item');
    columns.push(alias ?? firstName ?? expr[0]?.text ?? '');
  }
  return columns;
}

/** Splits what follows FROM into WHERE and GROUP BY tokens; accepts fill(), ORDER BY time, LIMIT, SLIMIT. */
function splitClauses(tokens: Token[], report: QueryReport): { where: Token[]; groupBy: Token[] } {
  const out = { where: [] as Token[], groupBy: [] as Token[] };
  let into: Token[] | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const word = upper(t);
    if (word === 'WHERE' && into === null) {
      into = out.where;
      continue;
    }
    if (word === 'GROUP' && upper(tokens[i + 1]) === 'BY') {
      into = out.groupBy;
      i++;
      continue;
    }
    if (t.kind === 'word' && t.text === 'fill' && tokens[i + 1]?.text === '(') {
      const close = matchingParen(tokens, i + 1);
      i = close < 0 ? tokens.length : close;
      into = null;
      continue;
    }
    if (word === 'ORDER' || word === 'LIMIT' || word === 'SLIMIT' || word === 'TZ') {
      // Trailing modifiers reference no fields or tags.
      break;
    }
    if (into === null) {
      report.errors.push(`unexpected "${t.text}" after FROM`);
      return out;
    }
    into.push(t);
  }
  return out;
}
