/**
 * An agent process that kills itself (SIGKILL) at one step of recovering the open batch a killed
 * process left: `node --import tsx recover-child.ts '<config JSON>' <step>`. A step is each change
 * `OpenBatch.recover()` makes that a restart would find (a spool message renamed into place, a
 * line appended to the work journal, batch.open emptied); step N kills the process just before
 * the Nth. It prints
 * `recovered <steps>` when recovery ends without reaching the step, and then kills itself too
 * (a kill right after recovery). With step 0 it kills nothing, prints `drained` once its spool is
 * empty (every message acknowledged end to end) and runs until stdin closes.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import pino from 'pino';

const config = JSON.parse(process.argv[2]!) as Record<string, unknown>;
const killAt = Number(process.argv[3] ?? 0);
let inRecovery = false;
let steps = 0;
type Fn = (...args: unknown[]) => unknown;
const patched = fs as unknown as Record<string, Fn>;
const journalFds = new Set<unknown>();
// A step changes what a restart finds: a spool message renamed into place, a line appended to the
// work journal, batch.open emptied. (Writes to a spool .tmp file are not: a restart deletes it.)
const isStep: Record<string, (args: unknown[]) => boolean> = {
  renameSync: () => true,
  ftruncateSync: () => true,
  writeSync: (args) => journalFds.has(args[0]),
};
for (const name of Object.keys(isStep)) {
  const original = patched[name]!;
  patched[name] = (...args: unknown[]) => {
    if (inRecovery && isStep[name]!(args) && ++steps === killAt) process.kill(process.pid, 'SIGKILL');
    return original(...args);
  };
}
const openSync = patched['openSync']!;
patched['openSync'] = (...args: unknown[]) => {
  const fd = openSync(...args);
  if (String(args[0]).endsWith('work.journal')) journalFds.add(fd);
  return fd;
};
// The agent's modules import these by name: make their bindings see the wrappers.
syncBuiltinESMExports();

const { OpenBatch } = await import('../src/publish/open-batch.js');
const recover = OpenBatch.prototype.recover;
OpenBatch.prototype.recover = function (this: InstanceType<typeof OpenBatch>) {
  inRecovery = true;
  try {
    return recover.call(this);
  } finally {
    inRecovery = false;
    process.stdout.write(`recovered ${steps}\n`);
    if (killAt > 0) process.kill(process.pid, 'SIGKILL');
  }
};
const { startAgent } = await import('../src/agent.js');
const { loadAgentConfig } = await import('../src/config.js');
const agent = await startAgent(loadAgentConfig(config), {
  schedule: 'manual',
  logger: pino({ level: 'warn' }, pino.destination(2)),
});
void agent.drained(60_000).then((ok) => process.stdout.write(ok ? 'drained\n' : 'not drained\n'));
process.stdin.resume();
process.stdin.on('end', async () => {
  await agent.stop();
  process.exit(0);
});
