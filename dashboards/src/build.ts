import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DASHBOARDS_DIR, renderDashboards } from './render.js';

/**
 * Writes every dashboard's JSON to deploy/grafana/dashboards/ (or the directory given), which
 * Grafana's provisioning loads. A JSON file of a dashboard that no longer exists is removed.
 */
const outDir = process.argv[2] ?? join(import.meta.dirname, '..', '..', DASHBOARDS_DIR);
mkdirSync(outDir, { recursive: true });
const rendered = renderDashboards();
for (const file of readdirSync(outDir)) {
  if (file.endsWith('.json') && !rendered.has(file)) rmSync(join(outDir, file));
}
for (const [file, text] of rendered) {
  writeFileSync(join(outDir, file), text);
  console.log(`dashboards: wrote ${join(outDir, file)}`);
}
