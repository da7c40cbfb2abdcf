import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DASHBOARDS_DIR, renderDashboards } from '../src/render.js';

const dir = join(import.meta.dirname, '..', '..', DASHBOARDS_DIR);
const rendered = renderDashboards();
const fix = 'run `npm run build -w dashboards` and commit deploy/grafana/dashboards/';

describe('the committed dashboard JSON', () => {
  it('holds exactly one file per dashboard, nothing stale left over', () => {
    const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
    expect(files.sort(), `${DASHBOARDS_DIR}: ${fix}`).toEqual([...rendered.keys()].sort());
  });

  for (const [file, text] of rendered) {
    it(`${DASHBOARDS_DIR}/${file} is what the TypeScript generates today`, () => {
      const path = join(dir, file);
      const committed = existsSync(path) ? readFileSync(path, 'utf8') : '(missing)';
      // Not toEqual on the text: a 2,000-line diff hides the message; say which file and what to run.
      if (committed !== text) {
        const at = [...committed].findIndex((c, i) => c !== text[i]);
        const line = committed.slice(0, at).split('\n').length;
        expect.fail(`${DASHBOARDS_DIR}/${file} is stale (first difference at line ${line}): ${fix}`);
      }
    });
  }
});
