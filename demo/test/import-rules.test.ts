import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
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

/**
 * Inside controller/src: a core, energy/, and one folder per feature. The rule (biome.json checks it
 * with noRestrictedImports per folder; this test checks it again from the source, dynamic imports
 * included):
 * - a feature imports its own folder, core/, energy/index.ts and other features' index.ts only, never
 *   src/features.ts (the list of features, which imports every feature); fleet/ counts as a feature;
 * - core/ reaches a feature or energy/ only through its index.ts (to put the app together);
 * - energy/ imports core/ only.
 */
const controllerSrc = join(root, 'controller', 'src');
const features = [
  'accounting',
  'alerts',
  'approvals',
  'commands',
  'desired',
  'firmware',
  'fleet',
  'operations',
  'profit',
  'relocation',
  'remediation',
  'safety',
  'tickets',
];
const relImportRe = /(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]/g;

/** What `from` (a path under controller/src) may not import as `spec`; null when allowed. */
function controllerImportViolation(from: string, spec: string): string | null {
  const target = posix.normalize(posix.join(posix.dirname(from), spec)).replace(/\.js$/, '.ts');
  const fromTop = from.includes('/') ? from.split('/')[0]! : '';
  const top = target.includes('/') ? target.split('/')[0]! : '';
  if (fromTop === '' || top === fromTop) return null;
  // The web UI's message catalogues are data both sides word things from (alerts/channels/wording.ts).
  if (/^\.\.\/ui\/locales\/[\w-]+\.json$/.test(target)) return null;
  if (target.startsWith('..')) return `${from}: imports ${spec}, outside controller/src`;
  const viaIndex = target === `${top}/index.ts`;
  if (features.includes(fromTop)) {
    if (top === 'core' || (viaIndex && (top === 'energy' || features.includes(top)))) return null;
    return `${from}: imports ${spec}; a feature imports core/, energy/index.ts and other features' index.ts only`;
  }
  if (fromTop === 'core') {
    if (target === 'features.ts' || (viaIndex && (top === 'energy' || features.includes(top)))) return null;
    return `${from}: imports ${spec}; core/ reaches a feature or energy/ only through its index.ts`;
  }
  if (fromTop === 'energy')
    return top === 'core' ? null : `${from}: imports ${spec}; energy/ imports core/ only`;
  return `${from}: ${fromTop}/ is neither core/, energy/ nor a feature: add it to the lists here and in biome.json`;
}

describe('controller/src: core, energy and features (import rule)', () => {
  it('the checker flags a cross-feature import and allows one through index.ts', () => {
    expect(controllerImportViolation('alerts/service.ts', '../tickets/service.js')).toMatch(
      /a feature imports/,
    );
    expect(controllerImportViolation('accounting/routes/http.ts', '../../features.js')).toMatch(/a feature/);
    expect(controllerImportViolation('core/app.ts', '../fleet/ingest/ingest.js')).toMatch(/core\/ reaches/);
    expect(controllerImportViolation('energy/energy.ts', '../accounting/index.js')).toMatch(/energy\//);
    expect(controllerImportViolation('remediation/service.ts', '../tickets/index.js')).toBeNull();
    expect(controllerImportViolation('fleet/routes/sites.ts', '../../core/http/common.js')).toBeNull();
  });

  it('every file of controller/src keeps the rule', () => {
    const violations: string[] = [];
    for (const file of tsFiles(controllerSrc)) {
      const from = relative(controllerSrc, file).split(sep).join('/');
      for (const m of readFileSync(file, 'utf8').matchAll(relImportRe)) {
        const v = controllerImportViolation(from, (m[1] ?? m[2])!);
        if (v) violations.push(v);
      }
    }
    expect(violations).toEqual([]);
  });

  it('every folder is core/, energy/ or a feature with an index.ts, and biome.json names the same features', () => {
    const folders = readdirSync(controllerSrc).filter((n) => statSync(join(controllerSrc, n)).isDirectory());
    expect(folders.sort()).toEqual(['core', 'energy', ...features].sort());
    for (const f of [...features, 'energy'])
      expect(statSync(join(controllerSrc, f, 'index.ts')).isFile()).toBe(true);
    const biome = JSON.parse(readFileSync(join(root, 'biome.json'), 'utf8'));
    const featureOverride = biome.overrides.find((o: { includes: string[] }) =>
      o.includes.includes('controller/src/alerts/**'),
    );
    expect(featureOverride?.includes).toEqual(features.map((f) => `controller/src/${f}/**`));
  });
});

/** SQL statement keywords, as upper-case words (InfluxQL's SELECT counts too: a query belongs to a query module). */
const sqlRe = /\bSELECT\s|\bINSERT\s+INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b/;
const isRouteFile = (path: string): boolean => /(^|\/)(routes|[\w-]+-routes)\.ts$|(^|\/)routes\//.test(path);

describe('controller/src: no SQL in route files', () => {
  it('knows a route file and SQL when it sees them', () => {
    expect(
      ['fleet/routes/miners.ts', 'alerts/routes.ts', 'operations/bulk-routes.ts'].every(isRouteFile),
    ).toBe(true);
    expect(isRouteFile('fleet/queries.ts')).toBe(false);
    expect(sqlRe.test("ctx.db.get('SELECT * FROM sites WHERE id = ?', [id])")).toBe(true);
    expect(sqlRe.test('`UPDATE alerts\n SET acked_at = ?`')).toBe(true);
    expect(sqlRe.test('// select the miners, then update the list')).toBe(false);
  });

  it('routes call a service or query module: no route file holds SQL', () => {
    const withSql = tsFiles(controllerSrc)
      .map((file) => relative(controllerSrc, file).split(sep).join('/'))
      .filter((path) => isRouteFile(path) && sqlRe.test(readFileSync(join(controllerSrc, path), 'utf8')));
    expect(withSql).toEqual([]);
  });
});
