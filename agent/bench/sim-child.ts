/**
 * The benchmark's other half, in its own process so the agent's CPU is measured alone: a bench
 * fleet of simulated miners plus an aedes broker. Prints one JSON line (miners, broker port) when
 * ready and runs until stdin closes.
 */
import { createServer } from 'node:net';
import { loadScenario, startSimulation } from '@hashfleet/simulator';
import { Aedes } from 'aedes';

const miners = Number(process.argv[2] ?? 1000);
const sim = await startSimulation(
  loadScenario('bench', { miners, profiles: ['antminer-stock', 'whatsminer-v2'], freeBlock: true }),
  {
    clock: 'real',
    pdus: false,
  },
);
const broker = await Aedes.createBroker();
const server = createServer(broker.handle);
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
process.stdout.write(
  `${JSON.stringify({
    brokerPort: (server.address() as { port: number }).port,
    miners: sim.miners.map((m) => ({ ip: m.ip, port: m.ports.rpc, profile: m.profile })),
  })}\n`,
);
process.stdin.resume();
process.stdin.on('end', async () => {
  server.close();
  await sim.stop();
  process.exit(0);
});
