import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * docs/style.md: small functions. A function of more than MAX_LINES lines is allowed only with a
 * written reason: a comment right above its statement saying "Long because ...". The scan covers
 * every workspace's src/ and the web UI; tests and benches are left out.
 */
const MAX_LINES = 150;
const root = join(import.meta.dirname, '..', '..');
const roots = [
  'contracts/src',
  'firmware-profiles/src',
  'simulator/src',
  'agent/src',
  'controller/src',
  'controller/ui',
  'dashboards/src',
  'demo/src',
];

function sources(dir: string): string[] {
  let out: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(sources(p));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every function longer than `max` lines in `text` without a "Long because" reason above its statement. */
export function longFunctionsWithoutReason(file: string, text: string, max = MAX_LINES): string[] {
  const src = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = src.getLineAndCharacterOfPosition(node.getStart()).line;
      const end = src.getLineAndCharacterOfPosition(node.end).line;
      if (end - start > max) {
        let statement: ts.Node = node;
        while (statement.parent && !ts.isSourceFile(statement.parent) && !ts.isBlock(statement.parent))
          statement = statement.parent;
        const comments = ts.getLeadingCommentRanges(text, statement.getFullStart()) ?? [];
        const reason = comments.some((c) => /Long because/.test(text.slice(c.pos, c.end)));
        const name = (node as ts.FunctionLikeDeclaration).name?.getText(src) ?? '(anonymous)';
        if (!reason) found.push(`${file}:${start + 1} ${name}: ${end - start} lines`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(src);
  return found;
}

describe(`no function over ${MAX_LINES} lines without a written reason`, () => {
  it('finds a long function without a reason, and accepts one with a reason', () => {
    const body = Array.from({ length: 5 }, (_, i) => `  const a${i} = ${i};`).join('\n');
    const fn = `export function f() {\n${body}\n}\n`;
    expect(longFunctionsWithoutReason('x.ts', fn, 3)).toEqual(['x.ts:1 f: 6 lines']);
    expect(longFunctionsWithoutReason('x.ts', `/** Long because: a table. */\n${fn}`, 3)).toEqual([]);
    const arrow = `export const g = async (app) => {\n${body}\n};\n`;
    expect(longFunctionsWithoutReason('x.ts', arrow, 3)).toEqual(['x.ts:1 (anonymous): 6 lines']);
    expect(longFunctionsWithoutReason('x.ts', `// Long because: routes.\n${arrow}`, 3)).toEqual([]);
  });

  it('every source file keeps the rule', () => {
    const found = roots.flatMap((r) =>
      sources(join(root, r)).flatMap((f) =>
        longFunctionsWithoutReason(relative(root, f), readFileSync(f, 'utf8')),
      ),
    );
    expect(found, 'split the function, or say above it why it is long ("Long because ...")').toEqual([]);
  });
});
