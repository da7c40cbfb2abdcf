/**
 * `npm start`: the controller (SQLite, embedded broker), the simulated demo fleet, one agent per
 * container and a seeded stake register, in one process, until SIGINT or SIGTERM.
 */
import { banner } from './banner.js';
import { startDemo } from './demo.js';
import { helpText, parseFlags } from './flags.js';

const parsed = parseFlags(process.argv.slice(2));
if (!parsed.ok) {
  console.error(`npm start: ${parsed.errors.length} problem(s) with the command line:`);
  for (const e of parsed.errors) console.error(`  ${e}`);
  console.error(`\n${helpText()}`);
  process.exit(2);
}
if (parsed.options.help) {
  console.log(helpText());
  process.exit(0);
}

let demo: Awaited<ReturnType<typeof startDemo>>;
try {
  demo = await startDemo(parsed.options);
} catch (err) {
  console.error(`npm start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
console.log(banner(demo.summary));

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping agents, simulation, controller…`);
  const timer = setTimeout(() => {
    console.error('npm start: shutdown took longer than 15 s; exiting anyway');
    process.exit(1);
  }, 15_000);
  timer.unref();
  try {
    await demo.stop();
    console.log('stopped cleanly');
    process.exit(0);
  } catch (err) {
    console.error(`npm start: shutdown: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
};
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
