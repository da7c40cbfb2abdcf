import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Comments and documents cite only what the repository holds (docs/style.md §13): every `*.md`
 * and every path from the root (`controller/src/...`) a source, config or document names must
 * exist here, every `§N` cited in one of our numbered documents must be a heading of it, and the
 * design notes that never entered the repository (listed in RETIRED below; their facts now live in
 * docs/) are cited nowhere.
 */
const root = join(import.meta.dirname, '..', '..');
const self = relative(root, import.meta.filename);

const TEXT = /\.(ts|tsx|js|mjs|cjs|json|md|ya?ml|sh|conf|acl|service|css|html)$/;
/** Recorded device replies are bytes from miners, not our prose; dist/ is what tools/build.mjs writes. */
const SKIP_DIRS = new Set(['node_modules', 'testcases', 'recorded', 'dist']);
/** The files tools/build.mjs writes (`out: 'agent/dist/cli.mjs'`): cited by the units before a clean clone builds them. */
const BUILT = new Set(
  [...readFileSync(join(root, 'tools', 'build.mjs'), 'utf8').matchAll(/\bout: '([\w./-]+)'/g)].map(
    (m) => m[1]!,
  ),
);

function walk(dir: string, skip: Set<string>, keep: RegExp): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.') || skip.has(name) || name === 'package-lock.json') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(walk(p, skip, keep));
    else if (keep.test(name)) out.push(p);
  }
  return out;
}

/** Outside notes the code once cited; their facts now live in docs/. */
const RETIRED = /\.\.\/shared\/|\b(?:DESIGN|STYLE|anchors|miner-apis)(?:\.md\b|\s*§)/;
/** A `.md` path; `(?<![:\w/])` skips URLs (`file:///...`, `https://.../x.md`). */
const MD_PATH = /(?<![:\w/.-])((?:\.{1,2}\/)?[\w-]+(?:\/[\w.-]+)*\.md)\b((?:[\s,/]*§\s*\d+(?:\.\d+)*)*)/g;

/** A path from the root of the repository (`controller/src/core/jobs.ts`); placeholders (`<id>`) never match. */
const REPO_PATH =
  /(?<![\w/.@-])((?:agent|bench|contracts|controller|dashboards|demo|deploy|docs|firmware-profiles|interop|simulator|tools)\/[\w./-]*[\w-]\.(?:ts|tsx|mjs|md|json|ya?ml|conf|acl|sh|service|py))\b/g;

export type Citation = { line: number; text: string; problem: string };

/** The `## N. ...` / `### N.M ...` section numbers of a numbered document. */
function sections(file: string): Set<string> {
  const out = new Set<string>();
  for (const m of readFileSync(file, 'utf8').matchAll(/^#{2,4}\s+(\d+(?:\.\d+)*)\.?\s/gm)) out.add(m[1]!);
  return out;
}

/** Where a cited `.md` is: beside the citing file, from the root, or (a bare name) anywhere. */
export function resolveCitation(cited: string, fromFile: string, allMd: string[]): string | null {
  for (const candidate of [join(dirname(fromFile), cited), join(root, cited)]) {
    if (existsSync(candidate)) return candidate;
  }
  if (!cited.includes('/')) return allMd.find((f) => basename(f) === cited) ?? null;
  return null;
}

/** Every bad citation in one file's text. */
export function badCitations(text: string, fromFile: string, allMd: string[]): Citation[] {
  const out: Citation[] = [];
  // SOURCES.md rows name files of other repositories (`owner/repo` : `path`) as provenance.
  const provenance = basename(fromFile) === 'SOURCES.md';
  text.split('\n').forEach((line, i) => {
    const retired = RETIRED.exec(line);
    if (retired)
      out.push({ line: i + 1, text: retired[0], problem: 'cites a document that is not in the repo' });
    if (provenance) return;
    for (const m of line.matchAll(REPO_PATH)) {
      const cited = m[1]!;
      const workspace = relative(root, fromFile).split('/')[0]!;
      const where = [join(root, cited), join(dirname(fromFile), cited), join(root, workspace, cited)];
      if (!BUILT.has(cited) && !where.some((w) => existsSync(w)))
        out.push({ line: i + 1, text: cited, problem: 'no such path in the repo' });
    }
    for (const m of line.matchAll(MD_PATH)) {
      const cited = m[1]!;
      const file = resolveCitation(cited, fromFile, allMd);
      if (!file) {
        if (!retired) out.push({ line: i + 1, text: cited, problem: 'no such file in the repo' });
        continue;
      }
      const have = sections(file);
      for (const s of (m[2] ?? '').matchAll(/§\s*(\d+(?:\.\d+)*)/g)) {
        if (!have.has(s[1]!))
          out.push({ line: i + 1, text: `${cited} §${s[1]}`, problem: 'no such section' });
      }
    }
  });
  return out;
}

describe('doc citations', () => {
  const files = walk(root, SKIP_DIRS, TEXT).filter((f) => relative(root, f) !== self);
  // Testcase folders hold NOTE.md and SOURCES.md, which prose may name.
  const allMd = walk(root, new Set(['node_modules']), /\.md$/);

  it('flags a retired note, a missing file and a missing section, and accepts a real one', () => {
    const from = join(root, 'agent', 'src', 'x.ts');
    const problems = (t: string) => badCitations(t, from, allMd).map((c) => c.problem);
    expect(problems(`// see ${'DESIGN'}.md §3`)).toEqual(['cites a document that is not in the repo']);
    expect(problems(`// ${'anchors'} §6`)).toEqual(['cites a document that is not in the repo']);
    expect(problems(`// ${['..', 'shared'].join('/')}/fixtures/x`)).toEqual([
      'cites a document that is not in the repo',
    ]);
    expect(problems('// docs/nowhere.md')).toEqual(['no such path in the repo', 'no such file in the repo']);
    expect(problems('// moved: controller/src/nowhere.ts')).toEqual(['no such path in the repo']);
    // A build output counts whether or not it has been built, but only one tools/build.mjs writes.
    expect(problems('ExecStart=/usr/bin/node agent/dist/cli.mjs run')).toEqual([]);
    expect(problems('// controller/dist/nowhere.mjs')).toEqual(['no such path in the repo']);
    expect(problems('// see controller/src/core/jobs.ts and firmware-profiles/src/profiles/<id>.ts')).toEqual(
      [],
    );
    expect(problems('// docs/architecture.md §99')).toEqual(['no such section']);
    expect(problems('// docs/architecture.md §6.2, §3')).toEqual([]);
    expect(problems('// ../README.md and docs/style.md §13')).toEqual([]);
    expect(problems('Documentation=file:///opt/hashfleet/deploy/README.md')).toEqual([]);
  });

  it('every comment and document in the repo cites only files and sections it holds', () => {
    const bad: string[] = [];
    for (const file of files) {
      for (const c of badCitations(readFileSync(file, 'utf8'), file, allMd)) {
        bad.push(`${relative(root, file)}:${c.line}: ${c.text}: ${c.problem}`);
      }
    }
    expect(bad, `${bad.length} bad citations:\n${bad.join('\n')}`).toEqual([]);
  });
});
