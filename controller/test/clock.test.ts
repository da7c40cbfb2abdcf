import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * controller/src reads the wall clock in one place, core/clock.ts (`systemClock`, the app's
 * default `now`); everything else takes the time from its caller. A function that falls back to
 * `Date.now()` when no time is passed lets a test with an injected clock write rows at today's
 * date: relocation-workflow.test.ts seeded with `moveMiner` without `now` and failed on every run
 * from the day the real date passed its fixed clock. This scans every source file for reads of the
 * real clock (`Date.now`, `new Date()` and `Date()` without an argument) and fails on any that
 * ALLOWED does not list with its reason. An entry that matches nothing fails too, so the list
 * only shrinks.
 */
const src = join(import.meta.dirname, '..', 'src');
const CLOCK_MODULE = 'core/clock.ts';

const LOCKOUT =
  'the HTTP lock-out after too many failed authentications ends with @fastify/rate-limit’s window, which its store times on the real clock (limit.ttl); the app’s clock (a manual one in tests) would never end it, or end it early';

/** Each remaining read: the file, a piece of its line, and why it may read the real clock. */
const ALLOWED: readonly { file: string; code: string; reason: string }[] = [
  {
    file: 'core/influx/spill.ts',
    code: 'Date.now().toString().padStart(15',
    reason:
      'a spill segment is named by the real time so that the files sort in write order across restarts, whatever clock the app runs on',
  },
  {
    file: 'commands/keys.ts',
    code: 'Date.now()}.tmp`',
    reason: 'a temporary file name, unique per process and moment; no time is stored',
  },
  {
    file: 'core/auth/tokens.ts',
    code: 'now = Date.now()',
    reason:
      'default for `hashfleet-controller tokens create` and the demo, which run on the real clock; the token routes pass ctx.now()',
  },
  {
    file: 'core/auth/plugin.ts',
    code: '(until - Date.now())',
    reason: LOCKOUT,
  },
  {
    file: 'core/auth/plugin.ts',
    code: 'locked > Date.now()',
    reason: LOCKOUT,
  },
  {
    file: 'core/auth/plugin.ts',
    code: 'until = Date.now() + limit.ttl',
    reason: LOCKOUT,
  },
];

const READS = [/\bDate\.now\b/, /\bnew Date\(\s*\)/, /(?<![\w.])Date\(\s*\)/];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** Every line of controller/src outside the clock module that reads the real clock, comments aside. */
function clockReads(): { file: string; line: number; text: string }[] {
  const found: { file: string; line: number; text: string }[] = [];
  for (const path of sourceFiles(src)) {
    const file = relative(src, path);
    if (file === CLOCK_MODULE) continue;
    const text = readFileSync(path, 'utf8').replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '));
    text.split('\n').forEach((raw, i) => {
      const code = raw.replace(/(^|\s)\/\/.*$/, '');
      if (READS.some((re) => re.test(code))) found.push({ file, line: i + 1, text: code.trim() });
    });
  }
  return found;
}

describe('the controller reads the wall clock only in core/clock.ts', () => {
  const reads = clockReads();
  const allowed = (r: { file: string; text: string }) =>
    ALLOWED.some((a) => a.file === r.file && r.text.includes(a.code));

  it('finds the reads it is meant to find', () => {
    // The scanner itself: each form is caught, comments and dated constructors are not.
    const probe = [
      'const t = Date.now();',
      'const f = Date.now;',
      'const d = new Date();',
      'const s = Date();',
      'const ok = new Date(ms);',
      'const ok2 = Date.parse(x);',
      '// Date.now() in a comment',
    ].map((code) => READS.some((re) => re.test(code.replace(/(^|\s)\/\/.*$/, ''))));
    expect(probe).toEqual([true, true, true, true, false, false, false]);
  });

  it('has no read outside the allowed list', () => {
    expect(
      reads.filter((r) => !allowed(r)).map((r) => `controller/src/${r.file}:${r.line}: ${r.text}`),
    ).toEqual([]);
  });

  it('has no allowed entry left that matches nothing', () => {
    const stale = ALLOWED.filter((a) => !reads.some((r) => r.file === a.file && r.text.includes(a.code)));
    expect(stale.map((a) => `${a.file}: ${a.code}`)).toEqual([]);
  });
});
