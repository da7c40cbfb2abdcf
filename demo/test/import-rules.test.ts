import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * docs/architecture.md §2: a folder imports only what the table allows. Biome's noRestrictedImports checks
 * this in `npm run check`; this test checks it again from the source, and also that every
 * cross-workspace import is declared in the importing package.json (so the agent installs alone).
 */
const root = join(import.meta.dirname, '..', '..');
const allowed: Record<string, { src: string[]; test: string[] }> = {
  contracts: { src: [], test: [] },
  'firmware-profiles': { src: ['contracts'], test: ['contracts'] },
  simulator: { src: ['contracts', 'firmware-profiles'], test: ['contracts', 'firmware-profiles'] },
  agent: { src: ['contracts', 'firmware-profiles'], test: ['contracts', 'firmware-profiles', 'simulator'] },
  controller: { src: ['contracts', 'firmware-profiles'], test: ['contracts', 'firmware-profiles'] },
  dashboards: { src: ['contracts'], test: ['contracts'] },
  demo: {
    src: ['contracts', 'firmware-profiles', 'simulator', 'agent', 'controller'],
    test: ['contracts', 'firmware-profiles', 'simulator', 'agent', 'controller', 'dashboards'],
  },
};

function tsFiles(dir: string): string[] {
  let out: string[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(tsFiles(p));
    else if (/\.(ts|tsx)$/.test(name)) out.push(p);
  }
  return out;
}

const importRe =
  /(?:import|export)\s[^'"]*?from\s*['"](@hashfleet\/[a-z-]+)|import\(\s*['"](@hashfleet\/[a-z-]+)/g;

describe('import rules (docs/architecture.md §2)', () => {
  for (const [pkg, rule] of Object.entries(allowed)) {
    it(`${pkg} imports only ${rule.src.join(', ') || 'zod'} from src and declares them`, () => {
      const manifest = JSON.parse(readFileSync(join(root, pkg, 'package.json'), 'utf8'));
      const declared = new Set([
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.devDependencies ?? {}),
      ]);
      const runtime = new Set(Object.keys(manifest.dependencies ?? {}));
      const violations: string[] = [];
      for (const kind of ['src', 'test', 'bench'] as const) {
        const ok = kind === 'src' ? rule.src : rule.test;
        for (const file of tsFiles(join(root, pkg, kind))) {
          const text = readFileSync(file, 'utf8');
          for (const m of text.matchAll(importRe)) {
            const target = (m[1] ?? m[2])!.replace('@hashfleet/', '');
            const where = relative(root, file);
            if (!ok.includes(target)) violations.push(`${where}: imports @hashfleet/${target}`);
            else if (kind === 'src' && !runtime.has(`@hashfleet/${target}`))
              violations.push(`${where}: @hashfleet/${target} is not in ${pkg}/package.json dependencies`);
            else if (!declared.has(`@hashfleet/${target}`))
              violations.push(`${where}: @hashfleet/${target} is not declared in ${pkg}/package.json`);
          }
        }
      }
      expect(violations).toEqual([]);
    });
  }
});
