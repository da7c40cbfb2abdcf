import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dashboards, INFLUX_DATABASE, influxSchema } from '@hashfleet/dashboards';
import { dashboardQueries, substitute } from '@hashfleet/dashboards/template';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './lib/net.js';

/**
 * Every InfluxQL query of every generated dashboard, variables substituted as Grafana would,
 * runs against a real InfluxDB 1.x (influxd, InfluxQL) holding a few points of each measurement,
 * and returns data without error.
 */

const INFLUXD = '/usr/bin/influxd';
const runOrSkip = !existsSync(INFLUXD) && !process.env.CI ? describe.skip : describe;

/** Two of everything, so that per-tag grouping and "All" have something to group. */
const tagValues: Record<string, [string, string]> = {
  site: ['kz-pavlodar', 'cn-sichuan'],
  container: ['c01', 'c02'],
  rack: ['R01', 'R02'],
  model: ['S19j Pro', 'M30S+'],
  profile: ['antminer', 'whatsminer'],
  miner: ['m-0001', 'm-0002'],
  board: ['0', '1'],
  pdu: ['pdu-1', 'pdu-2'],
  outlet: ['1', '2'],
  sensor: ['inlet-1', 'outlet-1'],
  kind: ['temperature', 'humidity'],
  location: ['inlet', 'outlet'],
  agent: ['ag-c01', 'ag-c02'],
  staker: ['staker-1', 'staker-2'],
  node: ['node-1', 'node-2'],
};

const escapeTag = (v: string) => v.replace(/([ ,=])/g, '\\$1');

/** Line protocol for every measurement of the schema: 2 series x 30 one-minute points ending now. */
function lines(nowMs: number): string {
  const out: string[] = [];
  for (const [measurement, { tags, fields }] of Object.entries(influxSchema)) {
    for (const variant of [0, 1] as const) {
      const tagSet = tags.map((t) => `${t}=${escapeTag(tagValues[t]![variant])}`).join(',');
      for (let minute = 29; minute >= 0; minute--) {
        const fieldSet = fields.map((f, i) => `${f}=${40 + i + variant + (29 - minute) / 10}`).join(',');
        out.push(`${measurement},${tagSet} ${fieldSet} ${nowMs - minute * 60_000}`);
      }
    }
  }
  return out.join('\n');
}

interface InfluxResult {
  error?: string;
  series?: { name: string; columns: string[]; values: unknown[][] }[];
}

runOrSkip('dashboards: every InfluxQL query against a real InfluxDB 1.x', () => {
  let dir = '';
  let influxd: ChildProcess;
  let log = '';
  let base = '';
  const nowMs = Date.now();

  beforeAll(async () => {
    if (!existsSync(INFLUXD)) throw new Error(`${INFLUXD} missing (install the influxdb package)`);
    dir = mkdtempSync(join(tmpdir(), 'hashfleet-influxd-'));
    const [httpPort, rpcPort] = [await freePort(), await freePort()];
    base = `http://127.0.0.1:${httpPort}`;
    writeFileSync(
      join(dir, 'influxdb.conf'),
      [
        'reporting-disabled = true',
        `bind-address = "127.0.0.1:${rpcPort}"`,
        '[meta]',
        `  dir = "${dir}/meta"`,
        '[data]',
        `  dir = "${dir}/data"`,
        `  wal-dir = "${dir}/wal"`,
        '  query-log-enabled = false',
        '[http]',
        `  bind-address = "127.0.0.1:${httpPort}"`,
        '  log-enabled = false',
        '[monitor]',
        '  store-enabled = false',
        '[continuous_queries]',
        '  enabled = false',
        '[subscriber]',
        '  enabled = false',
      ].join('\n'),
    );
    influxd = spawn(INFLUXD, ['run', '-config', join(dir, 'influxdb.conf')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    influxd.stderr?.on('data', (c: Buffer) => {
      log = (log + c.toString()).slice(-4000);
    });
    for (let attempt = 0; ; attempt++) {
      if (influxd.exitCode !== null) throw new Error(`influxd exited ${influxd.exitCode}: ${log}`);
      const ok = await fetch(`${base}/ping`).then(
        (r) => r.status === 204,
        () => false,
      );
      if (ok) break;
      if (attempt > 200) throw new Error(`influxd ${base}: no /ping after 20 s: ${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await influxql(`CREATE DATABASE "${INFLUX_DATABASE}"`, 'POST');
    const write = await fetch(`${base}/write?db=${INFLUX_DATABASE}&precision=ms`, {
      method: 'POST',
      body: lines(nowMs),
    });
    if (write.status !== 204) throw new Error(`influxd write: ${write.status} ${await write.text()}`);
  });

  afterAll(async () => {
    if (influxd && influxd.exitCode === null) {
      const exited = new Promise((r) => influxd.once('exit', r));
      influxd.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function influxql(q: string, method: 'GET' | 'POST' = 'GET'): Promise<InfluxResult> {
    const url = `${base}/query?db=${INFLUX_DATABASE}&epoch=ms&q=${encodeURIComponent(q)}`;
    const response = await fetch(url, { method });
    const body = (await response.json()) as { error?: string; results?: InfluxResult[] };
    if (body.error) return { error: body.error };
    return body.results?.[0] ?? { error: `no result (HTTP ${response.status})` };
  }

  // Grafana renders $timeFilter as an absolute range in epoch milliseconds.
  const timeFilter = `time >= ${nowMs - 3_600_000}ms and time <= ${nowMs + 60_000}ms`;
  const single = Object.fromEntries(Object.entries(tagValues).map(([tag, [first]]) => [tag, first]));
  const all = { ...single, site: '.*', container: '.*', staker: '.*', node: '.*' };

  for (const [name, build] of Object.entries(dashboards)) {
    for (const { where, query } of dashboardQueries(build())) {
      for (const [choice, variables] of [
        ['one of each', single],
        ['All', all],
      ] as const) {
        it(`${where} (${choice}) returns data`, async () => {
          const result = await influxql(substitute(query, { timeFilter, interval: '1m', variables }));
          expect(result.error, `${name}: ${query}`).toBeUndefined();
          const values = (result.series ?? []).flatMap((s) => s.values.flatMap((row) => row.slice(1)));
          expect(
            values.some((v) => v !== null),
            `${where}: no non-null value in ${JSON.stringify(result).slice(0, 300)}`,
          ).toBe(true);
        });
      }
    }
  }

  it('a misspelt field returns no series, so the data checks above can fail', async () => {
    const result = await influxql(`SELECT mean("hashrate_th") FROM "miner" WHERE ${timeFilter}`);
    expect(result.series ?? []).toEqual([]);
  });
});
