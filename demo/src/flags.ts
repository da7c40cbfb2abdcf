/**
 * Command-line flags of `npm start`, as a table: every flag has a default and a one-line
 * description, and a bad command line lists every error at once (docs/style.md §9).
 */

export interface DemoOptions {
  host: string;
  port: number;
  mqttPort: number;
  dataDir: string;
  scenario: string;
  pollS: number;
  minersIpBlock: string;
  fresh: boolean;
  help: boolean;
}

type Kind = 'port' | 'seconds' | 'string' | 'ipBlock' | 'switch';

interface Flag {
  name: string;
  key: keyof DemoOptions;
  kind: Kind;
  fallback: string | number | boolean;
  description: string;
}

export const FLAGS: readonly Flag[] = [
  {
    name: '--port',
    key: 'port',
    kind: 'port',
    fallback: 8080,
    description: 'HTTP port of the API and web UI',
  },
  {
    name: '--mqtt-port',
    key: 'mqttPort',
    kind: 'port',
    fallback: 18830,
    description: 'TCP port of the embedded MQTT broker (not 1883, to stay clear of a local Mosquitto)',
  },
  {
    name: '--host',
    key: 'host',
    kind: 'string',
    fallback: '127.0.0.1',
    description: 'address the HTTP server and broker listen on',
  },
  {
    name: '--data-dir',
    key: 'dataDir',
    kind: 'string',
    fallback: 'var/demo',
    description: 'folder of the SQLite file and the agents spools',
  },
  {
    name: '--scenario',
    key: 'scenario',
    kind: 'string',
    fallback: 'demo',
    description: 'simulator scenario: demo (2 sites, 400 miners) or bench (large)',
  },
  {
    name: '--poll-s',
    key: 'pollS',
    kind: 'seconds',
    fallback: 10,
    description: 'agent poll interval, seconds',
  },
  {
    name: '--miners-ip-block',
    key: 'minersIpBlock',
    kind: 'ipBlock',
    fallback: '127.20',
    description: 'first two octets of the loopback addresses the simulated miners listen on',
  },
  {
    name: '--fresh',
    key: 'fresh',
    kind: 'switch',
    fallback: false,
    description: 'delete the data dir first (a new database; tokens are new on every start anyway)',
  },
  { name: '--help', key: 'help', kind: 'switch', fallback: false, description: 'print this help' },
];

const PARSERS: Record<Kind, (raw: string) => string | number | boolean | Error> = {
  port: (raw) => {
    const n = Number(raw);
    return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : new Error('must be a port number 0..65535');
  },
  seconds: (raw) => {
    const n = Number(raw);
    return Number.isFinite(n) && n >= 1 && n <= 3600 ? n : new Error('must be seconds between 1 and 3600');
  },
  string: (raw) => (raw.length > 0 ? raw : new Error('must not be empty')),
  ipBlock: (raw) =>
    /^127\.(25[0-5]|2[0-4]\d|1?\d?\d)$/.test(raw)
      ? raw
      : new Error('must be "127.N" with N in 0..255 (a loopback /16)'),
  switch: (raw) =>
    raw === 'true' ? true : raw === 'false' ? false : new Error('takes no value, or =true / =false'),
};

export type ParseResult = { ok: true; options: DemoOptions } | { ok: false; errors: string[] };

export function parseFlags(argv: readonly string[]): ParseResult {
  const options = Object.fromEntries(FLAGS.map((f) => [f.key, f.fallback])) as unknown as DemoOptions;
  const errors: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const flag = FLAGS.find((f) => f.name === name);
    if (!flag) {
      errors.push(`${arg}: unknown flag (see --help)`);
      continue;
    }
    let raw: string | undefined;
    if (flag.kind === 'switch') raw = eq > 0 ? arg.slice(eq + 1) : 'true';
    else if (eq > 0) raw = arg.slice(eq + 1);
    else raw = argv[++i];
    if (raw === undefined) {
      errors.push(`${flag.name}: needs a value`);
      continue;
    }
    const value = PARSERS[flag.kind](raw);
    if (value instanceof Error) errors.push(`${flag.name} ${raw}: ${value.message}`);
    else (options as unknown as Record<string, unknown>)[flag.key] = value;
  }
  if (errors.length === 0 && options.port !== 0 && options.port === options.mqttPort) {
    errors.push(`--port and --mqtt-port: both are ${options.port}; they must differ`);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, options };
}

export function helpText(): string {
  const rows = FLAGS.map((f) => {
    const arg = f.kind === 'switch' ? f.name : `${f.name} <${f.kind}>`;
    const dflt = f.kind === 'switch' ? '' : ` (default ${f.fallback})`;
    return `  ${arg.padEnd(28)} ${f.description}${dflt}`;
  });
  return ['Usage: npm start -- [flags]', '', ...rows].join('\n');
}
