import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.js';

export const INFLUXD = '/usr/bin/influxd';

export interface InfluxResult {
  error?: string;
  series?: { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[];
}

export interface Influxd {
  base: string;
  /** One InfluxQL statement; the first result, or its error. */
  query(q: string, method?: 'GET' | 'POST'): Promise<InfluxResult>;
  /** Line protocol with millisecond timestamps, through the 1.x `/write` endpoint. */
  write(lines: string[]): Promise<void>;
  stop(): Promise<void>;
}

/** Starts Debian's influxd (1.x) on free loopback ports with a throwaway data directory and `db`. */
export async function startInfluxd(db: string): Promise<Influxd> {
  const dir = mkdtempSync(join(tmpdir(), 'hashfleet-influxd-'));
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${httpPort}`;
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
  const child: ChildProcess = spawn(INFLUXD, ['run', '-config', join(dir, 'influxdb.conf')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (c: Buffer) => {
    log = (log + c.toString()).slice(-4000);
  });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const query = async (q: string, method: 'GET' | 'POST' = 'GET'): Promise<InfluxResult> => {
    const url = `${base}/query?db=${db}&epoch=ms&q=${encodeURIComponent(q)}`;
    const response = await fetch(url, { method });
    const body = (await response.json()) as {
      error?: string;
      results?: (InfluxResult & { error?: string })[];
    };
    if (body.error) return { error: body.error };
    return body.results?.[0] ?? { error: `no result (HTTP ${response.status})` };
  };
  try {
    for (let attempt = 0; ; attempt++) {
      if (child.exitCode !== null) throw new Error(`influxd exited ${child.exitCode}: ${log}`);
      const ok = await fetch(`${base}/ping`).then(
        (r) => r.status === 204,
        () => false,
      );
      if (ok) break;
      if (attempt > 200) throw new Error(`influxd ${base}: no /ping after 20 s: ${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const created = await query(`CREATE DATABASE "${db}"`, 'POST');
    if (created.error) throw new Error(`influxd: CREATE DATABASE: ${created.error}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    base,
    query,
    async write(lines) {
      // 1.x has no v2 write API here (1.6): the 1.x endpoint, in chunks the server takes at once.
      for (let i = 0; i < lines.length; i += 5000) {
        const response = await fetch(`${base}/write?db=${db}&precision=ms`, {
          method: 'POST',
          body: lines.slice(i, i + 5000).join('\n'),
        });
        if (response.status !== 204)
          throw new Error(`influxd write: ${response.status} ${await response.text()}`);
      }
    },
    stop,
  };
}
