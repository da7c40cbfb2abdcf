import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configWarnings, loadAgentConfig } from '../src/config.js';

/**
 * Issue 17: with `mqtt.delivery: brokerAck` Mosquitto PUBACKed 1,200 of 5,400 samples right after
 * its restart and lost them (interop/agent-kill-soak.test.ts). The setting stays for a controller
 * without acks and the delivery bench, but it is deprecated: the agent warns at every start and
 * `check-config` warns too, and the default says nothing.
 */
const example = join(import.meta.dirname, '../../deploy/agent/agent.example.yaml');
const dir = mkdtempSync(join(tmpdir(), 'agent-delivery-'));
mkdirSync(join(dir, 'secrets'));
for (const f of ['web-password', 'whatsminer-password', 'snmp-auth', 'snmp-priv', 'mqtt-token'])
  writeFileSync(join(dir, 'secrets', f), `value-of-${f}\n`);
copyFileSync(example, join(dir, 'agent.yaml'));
process.env['HASHFLEET_SSH_PASSWORD'] ??= 'ssh-secret';

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mqtt.delivery', () => {
  it('the example (controllerAck) starts without a warning', () => {
    expect(configWarnings(loadAgentConfig(join(dir, 'agent.yaml')))).toEqual([]);
  });

  it('brokerAck is warned about as deprecated and unsafe, naming the key and what to use', () => {
    const config = loadAgentConfig(join(dir, 'agent.yaml'));
    const warnings = configWarnings({ ...config, mqtt: { ...config.mqtt, delivery: 'brokerAck' } });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^mqtt\.delivery: brokerAck is deprecated and unsafe: .*use controllerAck/);
  });
});
