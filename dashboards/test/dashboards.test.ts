import type { Dashboard, Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import { describe, expect, it } from 'vitest';
import { influxDatasource } from '../src/datasource.js';
import { dashboards, influxSchema } from '../src/index.js';
import { checkQuery } from '../src/influxql.js';
import { dashboardQueries, GRAFANA_BUILTINS } from '../src/template.js';

const built = Object.entries(dashboards).map(([name, build]) => ({ name, dashboard: build() }));

function allPanels(dashboard: Dashboard): (Panel | RowPanel)[] {
  const out: (Panel | RowPanel)[] = [];
  const visit = (p: Panel | RowPanel) => {
    out.push(p);
    if ('panels' in p && Array.isArray(p.panels)) p.panels.forEach(visit);
  };
  (dashboard.panels ?? []).forEach(visit);
  return out;
}

describe('generated dashboards', () => {
  it('are the six the operation needs, each with its own uid', () => {
    expect(built.map((b) => b.name).sort()).toEqual([
      'agents',
      'container',
      'fleet-overview',
      'miner',
      'power-cost',
      'stakers',
    ]);
    const uids = built.map((b) => b.dashboard.uid);
    expect(new Set(uids).size).toBe(uids.length);
  });

  for (const { name, dashboard } of built) {
    describe(name, () => {
      it('serialises to JSON that reads back with the same panels and variables', () => {
        const json = JSON.parse(JSON.stringify(dashboard)) as Dashboard;
        expect(json.uid).toBe(dashboard.uid);
        expect(json.title).toMatch(/^hashfleet \/ /);
        expect(json.panels?.length).toBe(dashboard.panels?.length);
        expect(json.templating?.list?.map((v) => v.name)).toEqual(
          dashboard.templating?.list?.map((v) => v.name),
        );
      });

      it('has unique panel ids and every panel inside the 24-column grid', () => {
        const panels = allPanels(dashboard);
        const ids = panels.map((p) => p.id);
        expect(ids.every((id) => typeof id === 'number')).toBe(true);
        expect(new Set(ids).size).toBe(ids.length);
        for (const p of panels) {
          expect(p.gridPos, `${p.title}: gridPos`).toBeDefined();
          expect(p.gridPos!.x + p.gridPos!.w, `${p.title}: x + w`).toBeLessThanOrEqual(24);
        }
      });

      it('has no two panels overlapping on the grid', () => {
        const boxes = allPanels(dashboard).map((p) => ({ title: p.title, ...p.gridPos! }));
        for (const [i, a] of boxes.entries()) {
          for (const b of boxes.slice(i + 1)) {
            const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
            expect(overlap, `"${a.title}" overlaps "${b.title}"`).toBe(false);
          }
        }
      });

      it('queries only the provisioned InfluxDB datasource, each target with a unique refId', () => {
        for (const p of allPanels(dashboard)) {
          if (!('targets' in p) || p.type === 'text') continue;
          expect(p.targets?.length, `${p.title}: targets`).toBeGreaterThan(0);
          const targets = (p.targets ?? []) as { refId?: string; datasource?: unknown }[];
          const refIds = targets.map((t) => t.refId);
          expect(new Set(refIds).size, `${p.title}: refIds`).toBe(refIds.length);
          for (const t of targets) expect(t.datasource).toEqual(influxDatasource);
        }
      });

      it('shows a legend on every time series panel (the SDK default hides it)', () => {
        for (const p of allPanels(dashboard).filter((p) => p.type === 'timeseries')) {
          expect((p as Panel).options?.legend?.showLegend, `${p.title}: legend`).toBe(true);
        }
      });

      it('references only measurements, fields and tags of the InfluxDB schema', () => {
        const errors = dashboardQueries(dashboard).flatMap((q) =>
          checkQuery(q.query, influxSchema).errors.map((e) => `${q.where}: ${e}`),
        );
        expect(errors).toEqual([]);
      });

      it('uses only variables it defines (or Grafana built-ins), each defined after the ones it depends on', () => {
        const defined = (dashboard.templating?.list ?? []).map((v) => v.name);
        for (const q of dashboardQueries(dashboard)) {
          const used = checkQuery(q.query, influxSchema).variables;
          const own = q.where.split(' / variable ')[1];
          const visible = own ? defined.slice(0, defined.indexOf(own)) : defined;
          for (const v of used) {
            expect(
              [...visible, ...(own ? [] : GRAFANA_BUILTINS)],
              `${q.where}: $${v} is not defined${own ? ' before it' : ''}`,
            ).toContain(v);
          }
        }
      });
    });
  }
});
