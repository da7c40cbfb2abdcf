import { loadControllerConfig, type RunningController, startController } from '@hashfleet/controller';
import { freePort } from '../src/ports.js';

type ConfigInput = Exclude<Parameters<typeof loadControllerConfig>[0], string | undefined>;

/**
 * A controller for an end-to-end test: SQLite and the embedded broker on free loopback ports in
 * `dataDir`, logs silent. `config` adds or replaces top-level sections (e.g. an external broker).
 */
export async function startTestController(
  dataDir: string,
  opts: { now?: () => number; config?: Partial<ConfigInput> } = {},
): Promise<RunningController> {
  const config = loadControllerConfig(
    {
      dataDir,
      http: { host: '127.0.0.1', port: await freePort() },
      mqtt: { embeddedHost: '127.0.0.1', embeddedPort: await freePort() },
      log: { level: 'silent' },
      // Agents these tests start are not bound to their containers (the demo's are: demo/src/demo.ts).
      ingest: { unboundAgents: 'accept' },
      ...opts.config,
    },
    {},
  );
  return startController(config, opts.now ? { now: opts.now } : undefined);
}

/** The value of the first Prometheus sample line that starts with `series` (0 when absent). */
export async function metricValue(controllerUrl: string, series: string): Promise<number> {
  const text = await (await fetch(`${controllerUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(series));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
