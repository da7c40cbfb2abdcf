import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';

const agentDir = join(import.meta.dirname, '..');
let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs `body` in a fresh Node process with the agent's sources loaded as `run` loads them (cli.ts's
 * imports, then an agent started and stopped), and returns the packages Node had loaded by the end.
 */
function packagesLoaded(config: Record<string, unknown>, body = ''): string[] {
  const script = `
    import { createRequire } from 'node:module';
    import pino from 'pino';
    import { startAgent } from './src/agent.ts';
    import { loadAgentConfig } from './src/config.ts';
    // What cli.ts imports besides the agent (cli.ts itself runs its command on import).
    import './src/discovery.ts';
    import './src/preflight.ts';
    import './src/record.ts';
    import './src/targets.ts';
    import './src/transport/ssh.ts';
    const config = loadAgentConfig(${JSON.stringify(config)});
    const agent = await startAgent(config, { schedule: 'manual', logger: pino({ level: 'silent' }) });
    ${body}
    await agent.stop();
    const names = Object.keys(createRequire(import.meta.url ?? '${agentDir}/x.js').cache)
      .map((p) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(p)?.[1])
      .filter(Boolean);
    process.stdout.write(JSON.stringify([...new Set(names)]));
    process.exit(0);
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: agentDir,
    env: { ...process.env, LAZY_TEST_COMMUNITY: 'public' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as string[];
}

function baseConfig(): Record<string, unknown> {
  dir = mkdtempSync(join(tmpdir(), 'agent-lazy-'));
  return {
    agentId: 'lazy',
    siteId: 's',
    containerId: 'c',
    miners: { ranges: ['127.0.0.1'] },
    spool: { dir },
    // Nothing listens there: the publisher only retries, which this test does not wait for.
    mqtt: { url: 'mqtt://127.0.0.1:1', delivery: 'brokerAck' },
  };
}

// What this proves (issue 15, agent RSS and start): an agent whose config has no PDU and whose
// miners need no SSH never loads net-snmp or ssh2 (each about 15 MB of resident memory and part
// of the start before its first poll); both were imported at start before they were loaded by
// their first use (pdu/snmp.ts openSession, transport/ssh.ts sshExec).
test('an agent without PDUs or SSH commands loads neither net-snmp nor ssh2', () => {
  const loaded = packagesLoaded(baseConfig());
  expect(loaded).toContain('mqtt'); // the probe sees packages the agent does load
  expect(loaded).not.toContain('net-snmp');
  expect(loaded).not.toContain('ssh2');
});

test('net-snmp is loaded by the first PDU session', () => {
  const config = {
    ...baseConfig(),
    pdus: [
      {
        id: 'p1',
        vendor: 'servertech-sentry4',
        host: '127.0.0.1',
        port: 1,
        snmp: { version: '2c', community: { env: 'LAZY_TEST_COMMUNITY' } },
      },
    ],
  };
  const body = `
    const { openSession } = await import('./src/pdu/snmp.ts');
    (await openSession(config.pdus[0], 'read')).close();
  `;
  expect(packagesLoaded(config, body)).toContain('net-snmp');
});
