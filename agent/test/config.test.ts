import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentConfigError, loadAgentConfig } from '../src/config.js';

const example = join(import.meta.dirname, '../../deploy/agent/agent.example.yaml');

function withSecrets(): string {
  const dir = mkdtempSync(join(tmpdir(), 'agent-config-'));
  mkdirSync(join(dir, 'secrets'));
  for (const f of ['web-password', 'whatsminer-password', 'snmp-auth', 'snmp-priv', 'mqtt-token']) {
    writeFileSync(join(dir, 'secrets', f), `value-of-${f}\n`);
  }
  copyFileSync(example, join(dir, 'agent.yaml'));
  return dir;
}

afterEach(() => {
  delete process.env['HASHFLEET_SSH_PASSWORD'];
});

describe('agent config', () => {
  it('the documented example in deploy/agent loads once its secrets exist', () => {
    const dir = withSecrets();
    process.env['HASHFLEET_SSH_PASSWORD'] = 'ssh-secret';
    const config = loadAgentConfig(join(dir, 'agent.yaml'));
    expect(config.agentId).toBe('sc-c01');
    expect(config.pdus[0]?.outlets[0]).toEqual({ outlet: 12, rack: 'R03', slot: '12' });
    // Secrets are resolved (trailing newline stripped) but never print.
    expect(config.credentials.web?.password.reveal()).toBe('value-of-web-password');
    expect(JSON.stringify(config)).not.toContain('value-of');
    expect(String(config.credentials.ssh?.password)).toBe('[secret]');
  });

  it('a bad file lists every error at once, each naming its key', () => {
    const dir = withSecrets();
    writeFileSync(
      join(dir, 'bad.yaml'),
      [
        'agentId: "bad/id"',
        'siteId: s',
        'miners: { ranges: ["10.0.0.300"] }',
        'polling: { concurrency: 0 }',
        'mqtt: { url: "http://x", token: { env: NOT_SET_ANYWHERE } }',
        'pdus: [{ id: p, vendor: eaton, host: h, snmp: { version: "2c", community: "inline" } }]',
        'surprise: 1',
      ].join('\n'),
    );
    let error: AgentConfigError | null = null;
    try {
      loadAgentConfig(join(dir, 'bad.yaml'));
    } catch (err) {
      error = err as AgentConfigError;
    }
    expect(error).toBeInstanceOf(AgentConfigError);
    const text = error!.errors.join('\n');
    for (const key of [
      'agentId',
      'containerId',
      'polling.concurrency',
      'mqtt.token',
      'pdus[0].vendor',
      'pdus[0].snmp.community',
      'spool',
      'surprise',
    ]) {
      expect(text).toContain(key);
    }
    expect(text).toContain('NOT_SET_ANYWHERE is not set');
    expect(error!.errors.length).toBeGreaterThanOrEqual(8);
  });

  it('cross-key errors are reported too (range syntax, mqtt scheme, v3 keys)', () => {
    expect(() =>
      loadAgentConfig({
        agentId: 'a',
        siteId: 's',
        containerId: 'c',
        miners: { ranges: ['10.0.0.9-10.0.0.1'] },
        spool: { dir: '/tmp/x' },
        mqtt: { url: 'http://x' },
        pdus: [{ id: 'p', vendor: 'apc-rpdu2', host: 'h', snmp: { version: '3', user: 'u' } }],
      }),
    ).toThrow(/miners\.ranges\[0\][\s\S]*pdus\[0\]\.snmp\.authKey[\s\S]*mqtt\.url/);
  });

  it('a file that is not YAML is one clear error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-config-'));
    writeFileSync(join(dir, 'x.yaml'), 'agentId: [unclosed');
    expect(() => loadAgentConfig(join(dir, 'x.yaml'))).toThrow(/not valid YAML/);
  });
});
