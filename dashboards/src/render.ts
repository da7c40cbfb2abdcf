import { dashboards } from './index.js';

/**
 * Every dashboard as the JSON text committed under deploy/grafana/dashboards/, by file name
 * (`<uid>.json`). build.ts writes these; test/committed.test.ts compares them with the files.
 */
export function renderDashboards(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, build] of Object.entries(dashboards)) {
    const dashboard = build();
    if (!dashboard.uid) throw new Error(`dashboard ${name}: no uid`);
    out.set(`${dashboard.uid}.json`, `${JSON.stringify(dashboard, null, 2)}\n`);
  }
  return out;
}

/** Where the generated JSON is committed, relative to the repository root. */
export const DASHBOARDS_DIR = 'deploy/grafana/dashboards';
