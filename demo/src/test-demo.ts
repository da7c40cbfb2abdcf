import { type DemoHooks, type RunningDemo, startDemo } from './demo.js';
import { parseFlags } from './flags.js';
import { freePort } from './ports.js';

/**
 * The demo as `npm start` runs it, on free loopback ports with its data in `dataDir`: what the
 * end-to-end and browser tests start. `flags` adds command-line flags (e.g. `--poll-s 2`).
 */
export async function startDemoForTest(
  dataDir: string,
  hooks: DemoHooks,
  flags: string[] = [],
): Promise<RunningDemo> {
  const parsed = parseFlags([
    '--port',
    String(await freePort()),
    '--mqtt-port',
    String(await freePort()),
    '--data-dir',
    dataDir,
    ...flags,
  ]);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return startDemo(parsed.options, hooks);
}
