#!/usr/bin/env -S node --import tsx
import { parseArgs } from 'node:util';
import { startAgent } from './agent.js';
import { bearerTokens } from './auth/vnish.js';
import { type AgentConfig, AgentConfigError, configWarnings, loadAgentConfig } from './config.js';
import { type ProbeResult, scan } from './discovery.js';
import { boundHeapGrowth } from './heap.js';
import { preflight } from './preflight.js';
import { recordMiner } from './record.js';
import { addresses } from './targets.js';
import type { RequestContext } from './transport/request.js';
import { loadKnownHosts } from './transport/ssh.js';

const USAGE = `usage: hashfleet-agent <command> [options]

  run <config.yaml>                 poll, publish and take commands until SIGINT/SIGTERM
  check-config <config.yaml>        validate the file; list every error; exit 1 if any
  scan <config.yaml> [range ...]    probe the configured (or given) ranges; progress on stderr, table on stdout
  record <config.yaml> <ip> <dir>   save one miner's raw replies (detection + poll steps) as a testcase
`;

function load(path: string | undefined): AgentConfig {
  if (!path) {
    process.stderr.write(USAGE);
    process.exit(2);
  }
  try {
    const config = loadAgentConfig(path);
    // Every command reads the files run reads, the same way: check-config fails where run would.
    const errors = preflight(config);
    if (errors.length) throw new AgentConfigError(path, errors);
    return config;
  } catch (err) {
    if (err instanceof AgentConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

function requestContext(config: AgentConfig): RequestContext {
  return {
    ports: config.miners.ports,
    credentials: config.credentials,
    knownHosts: loadKnownHosts(config.credentials.knownHostsFile),
    bearer: bearerTokens(config),
  };
}

/** Fixed-width table with a header row. */
function table(rows: string[][], header: string[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (c ?? '').padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function runScan(config: AgentConfig, ranges: string[]): Promise<void> {
  const targets = [...addresses(ranges.length ? ranges : config.miners.ranges)];
  const found: ProbeResult[] = [];
  let done = 0;
  const started = Date.now();
  const progress = () =>
    process.stderr.write(
      `\rscanned ${done}/${targets.length}, found ${found.length} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
  const timer = setInterval(progress, 250);
  await scan(requestContext(config), targets, config.discovery, (r) => {
    done++;
    if (r.status !== 'none') found.push(r);
  });
  clearInterval(timer);
  progress();
  process.stderr.write('\n');
  const ipKey = (ip: string) => ip.split('.').reduce((n, p) => n * 256 + Number(p), 0);
  found.sort((a, b) => ipKey(a.ip) - ipKey(b.ip));
  // Detection names a profile's standard port (4028, 4433); the miner answered where the config says.
  const ports = config.miners.ports;
  const configured = (port: number) => (port === 4028 ? ports.rpc : port === 4433 ? ports.wmV3 : port);
  const rows = found.map((r) =>
    r.status === 'found'
      ? [
          r.ip,
          String(configured(r.detection.port)),
          r.detection.profile,
          r.detection.model ?? '?',
          r.detection.firmwareVersion ?? '?',
        ]
      : [r.ip, '', 'unknown', '', r.status === 'unknown' ? r.error : ''],
  );
  process.stdout.write(`${table(rows, ['ip', 'port', 'profile', 'model', 'firmware'])}\n`);
}

async function main(): Promise<void> {
  const { positionals } = parseArgs({ allowPositionals: true, strict: true, options: {} });
  const [command, ...rest] = positionals;
  switch (command) {
    case 'check-config': {
      const config = load(rest[0]);
      const count = [...addresses(config.miners.ranges)].length;
      for (const w of configWarnings(config)) process.stderr.write(`${rest[0]}: warning: ${w}\n`);
      process.stdout.write(
        `${rest[0]}: ok — agent ${config.agentId} at ${config.siteId}/${config.containerId}, ` +
          `${count} addresses, ${config.pdus.length} PDUs, broker ${config.mqtt.url}\n`,
      );
      return;
    }
    case 'scan':
      return runScan(load(rest[0]), rest.slice(1));
    case 'record': {
      const config = load(rest[0]);
      const [ip, dir] = rest.slice(1);
      if (!ip || !dir) {
        process.stderr.write(USAGE);
        process.exit(2);
      }
      const { files, profile } = await recordMiner(
        requestContext(config),
        ip,
        dir,
        config.discovery.timeoutMs,
      );
      process.stdout.write(`miner ${ip}: ${profile}: wrote ${files.length} files to ${dir}\n`);
      return;
    }
    case 'run': {
      const config = load(rest[0]);
      boundHeapGrowth();
      const agent = await startAgent(config);
      const stop = () => {
        agent.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      return;
    }
    default:
      process.stderr.write(USAGE);
      process.exit(command ? 2 : 0);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`hashfleet-agent: ${err.message}\n`);
  process.exit(1);
});
