import { readFileSync } from 'node:fs';
import { loadCommandKey } from '../../commands/index.js';
import { features } from '../../features.js';
import { importMinersCsv } from '../../fleet/index.js';
import { allMigrations, buildApp } from '../app.js';
import { bindAgentPlaces, placesFromArgs } from '../auth/agent-places.js';
import { SYSTEM } from '../auth/roles.js';
import { createToken } from '../auth/tokens.js';
import { BROKER_USAGE, brokerCommand } from '../broker/add-agent.js';
import { systemClock } from '../clock.js';
import { type ControllerConfig, loadControllerConfig } from '../config.js';
import { startController } from '../server.js';
import { openDb } from '../storage/db.js';
import { migrate } from '../storage/migrate.js';
import { commandArgs, takeConfig } from './args.js';
import { KEYS_USAGE, keysCommand } from './keys.js';

const USAGE = `usage: hashfleet-controller [--config <file>] <command>
  run                                   start the controller (HTTP API, broker link, ingest)
  migrate                               apply database migrations and exit
  token create --role <role> --name <name> [--staker <stakerId>] [--site <site> --container <id>...]
                                        create an API token (printed once); an agent token with --site and
                                        --container may speak only for those containers
  inventory import <file.csv>           import miners (serial, model, firmware, site, container, rack, slot,
                                        status, purchase_date, warranty_end)
  command-key                           print the Ed25519 public key agents verify commands with
${KEYS_USAGE}
${BROKER_USAGE}
${features
  .flatMap((f) => Object.keys(f.cli ?? {}).map((name) => `  ${name.padEnd(38)}(${f.name})`))
  .join('\n')}
Config: --config <file> (YAML/JSON) and HASHFLEET_* environment variables (see controller/README.md).`;

/** How long `run` waits for its shutdown after SIGTERM/SIGINT. */
const STOP_GRACE_MS = 25_000;

async function withApp<T>(
  config: ControllerConfig,
  fn: (app: Awaited<ReturnType<typeof buildApp>>) => Promise<T>,
): Promise<T> {
  const app = await buildApp({ ...config, log: { level: 'warn' } });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

/** The CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const { configFile, rest: args } = takeConfig(argv);
  const [command, sub, ...rest] = args;
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  // Commands that need no database, key or config run first, so they work from any folder.
  const standalone = sub ? features.map((f) => f.standaloneCli?.[command]?.[sub]).find(Boolean) : undefined;
  if (standalone) return standalone(rest);
  const config = loadControllerConfig(configFile);
  switch (command) {
    case 'run': {
      const running = await startController(config);
      running.app.log.info(`hashfleet controller: API ${running.url}, broker ${running.mqttUrl}`);
      return await new Promise<number>((resolve) => {
        const shutdown = (signal: string) => {
          running.app.log.info(`${signal}: shutting down`);
          // Bounded, below the units' TimeoutStopSec (deploy/hashfleet-controller.service), so a
          // stop that hangs says where before the service manager kills it without a word.
          const late = setTimeout(() => {
            running.app.log.error(
              `${signal}: shutdown step '${running.stopStep()}' still running after ${STOP_GRACE_MS / 1000} s; exiting without it (open transactions roll back)`,
            );
            resolve(1);
          }, STOP_GRACE_MS);
          running
            .stop()
            .then(
              () => resolve(0),
              () => resolve(1),
            )
            .finally(() => clearTimeout(late));
        };
        process.once('SIGINT', () => shutdown('SIGINT'));
        process.once('SIGTERM', () => shutdown('SIGTERM'));
      });
    }
    case 'migrate': {
      const db = await openDb(config.storage.url!);
      try {
        const applied = await migrate(db, allMigrations(), systemClock);
        console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
      } finally {
        await db.close();
      }
      return 0;
    }
    case 'token': {
      if (sub !== 'create') break;
      const parsed = commandArgs(rest, {
        role: { type: 'string' },
        name: { type: 'string' },
        staker: { type: 'string' },
        site: { type: 'string', multiple: true },
        container: { type: 'string', multiple: true },
      });
      if ('error' in parsed) {
        console.error(`token create: ${parsed.error}`);
        return 2;
      }
      const { role, name } = parsed.values as { role?: string; name?: string };
      const stakerId = (parsed.values.staker as string | undefined) ?? null;
      if (!role || !name) {
        console.error('token create: --role and --name are required');
        return 2;
      }
      const bound = placesFromArgs(rest);
      if (bound && 'error' in bound) {
        console.error(`token create: ${bound.error}`);
        return 2;
      }
      const places = bound?.places;
      const token = await withApp(config, async (app) => {
        const t = await createToken(app.hashfleet.db, { role: role as never, name, stakerId, places });
        await app.hashfleet.audit.record({
          actor: SYSTEM,
          action: 'token.create',
          subject: `token ${name}`,
          details: { role, name, stakerId, places, via: 'cli' },
        });
        return t;
      });
      console.log(token);
      return 0;
    }
    case 'inventory': {
      const parsed = commandArgs(rest, {});
      if ('error' in parsed) {
        console.error(`inventory import: ${parsed.error}`);
        return 2;
      }
      const [file] = parsed.positionals;
      if (sub !== 'import' || !file) break;
      const text = readFileSync(file, 'utf8');
      const report = await withApp(config, (app) =>
        importMinersCsv(app.hashfleet.db, text, SYSTEM, app.hashfleet.audit, app.hashfleet.now()),
      );
      console.log(
        `created ${report.created}, updated ${report.updated}, placed ${report.placed}, errors ${report.errors.length}`,
      );
      for (const e of report.errors) console.error(`${file}: ${e}`);
      return report.errors.length ? 1 : 0;
    }
    case 'command-key': {
      process.stdout.write(loadCommandKey(config.dataDir).publicKeyPem);
      return 0;
    }
    case 'keys':
      return keysCommand(sub, config.dataDir, (entry) =>
        withApp(config, (app) => app.hashfleet.audit.record({ actor: SYSTEM, ...entry })),
      );
    case 'broker':
      return brokerCommand(sub, rest, (agentId, places) =>
        withApp(config, async (app) => {
          await bindAgentPlaces(app.hashfleet.db, agentId, places, app.hashfleet.now());
          await app.hashfleet.audit.record({
            actor: SYSTEM,
            action: 'agent.places',
            subject: `agent ${agentId}`,
            details: { places, via: 'cli' },
          });
        }),
      );
    default: {
      for (const f of features) {
        const handler = f.cli?.[command];
        if (handler) {
          return withApp(config, (app) =>
            handler(
              [sub, ...rest].filter((a): a is string => a !== undefined),
              app.hashfleet,
            ),
          );
        }
      }
    }
  }
  console.error(`unknown command: ${args.join(' ')}\n${USAGE}`);
  return 2;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
