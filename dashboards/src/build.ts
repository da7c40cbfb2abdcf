import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dashboards } from './index.js';

/** Writes every dashboard as JSON to dashboards/build/ (or the directory given), for Grafana provisioning. */
const outDir = process.argv[2] ?? join(import.meta.dirname, '..', 'build');
mkdirSync(outDir, { recursive: true });
for (const [name, build] of Object.entries(dashboards)) {
  const file = join(outDir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(build(), null, 2)}\n`);
  console.log(`dashboards: wrote ${file}`);
}
