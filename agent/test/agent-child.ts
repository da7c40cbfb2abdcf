/**
 * An agent in a process of its own, for tests that kill it: `node --import tsx agent-child.ts
 * '<config JSON>' timers|manual`. Prints `polled <n>` whenever the count of successful miner polls
 * grows (the agent counts a poll once its sample is written), and `drained` once its spool is
 * empty and the broker connected. Runs until killed or stdin closes.
 */
import pino from 'pino';
import { startAgent } from '../src/agent.js';
import { loadAgentConfig } from '../src/config.js';

const config = loadAgentConfig(JSON.parse(process.argv[2]!) as Record<string, unknown>);
const schedule = process.argv[3] === 'manual' ? 'manual' : 'timers';
const agent = await startAgent(config, { schedule, logger: pino({ level: 'warn' }, pino.destination(2)) });
let printed = -1;
const report = () => {
  const { polls, pollErrors } = agent.metrics().totals;
  if (polls - pollErrors !== printed) {
    printed = polls - pollErrors;
    process.stdout.write(`polled ${printed}\n`);
  }
  setImmediate(report);
};
report();
void agent.drained(60_000).then((ok) => process.stdout.write(ok ? 'drained\n' : 'not drained\n'));
process.stdin.resume();
process.stdin.on('end', async () => {
  await agent.stop();
  process.exit(0);
});
