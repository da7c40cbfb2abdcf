/**
 * A launched agent for the bench, on its own timers: `agent-child.ts '<config JSON>'`. Prints
 * `{"started":true}` once startAgent has resolved (modules loaded), then one JSON line a second
 * (successful polls, polls skipped as busy, the last cycle's seconds, heap by V8 space) and stops
 * when stdin closes.
 */
import { getHeapSpaceStatistics } from 'node:v8';
import pino from 'pino';
import { startAgent } from '../src/agent.js';
import { loadAgentConfig } from '../src/config.js';
import { boundHeapGrowth } from '../src/heap.js';

const config = loadAgentConfig(JSON.parse(process.argv[2]!) as Record<string, unknown>);
// As `run` (cli.ts) does.
boundHeapGrowth();
const agent = await startAgent(config, { logger: pino({ level: 'error' }, pino.destination(2)) });
process.stdout.write(`${JSON.stringify({ started: true })}\n`);
const timer = setInterval(async () => {
  const text = await agent.metricsText();
  const cycle = /^hashfleet_agent_poll_cycle_seconds (\S+)$/m.exec(text);
  const { polls, pollErrors, skippedBusy } = agent.metrics().totals;
  const mem = process.memoryUsage();
  // What of the heap V8 has committed, by space (new_space is the young generation's semi-spaces).
  const spaces = Object.fromEntries(
    getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size]),
  );
  process.stdout.write(
    `${JSON.stringify({
      polled: polls - pollErrors,
      skippedBusy,
      cycleS: cycle ? Number(cycle[1]) : null,
      memory: { heapUsed: mem.heapUsed, external: mem.external, arrayBuffers: mem.arrayBuffers, spaces },
    })}\n`,
  );
}, 1000);
process.stdin.resume();
process.stdin.on('end', async () => {
  clearInterval(timer);
  await agent.stop();
  process.exit(0);
});
