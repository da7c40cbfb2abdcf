import { readFileSync } from 'node:fs';
import { loadCommandKeys } from './commands/verify.js';
import type { AgentConfig } from './config.js';
import { loadKnownHosts } from './transport/ssh.js';

/**
 * What `run` reads from disk before it connects anywhere, read the same way: the controller's
 * public keys, the miners' known_hosts and the broker's TLS files. Each failure names its key, so
 * `check-config` fails where `run` would, and `run` stops at start-up instead of at its first
 * command or connection. Connects to nothing (docs/style.md §9).
 */
export function preflight(config: AgentConfig): string[] {
  const errors: string[] = [];
  const attempt = (key: string, read: () => unknown) => {
    try {
      read();
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      errors.push(`${key}: ${e.code && e.path ? `cannot read ${e.path}: ${e.code}` : e.message}`);
    }
  };
  attempt('commands', () => loadCommandKeys(config.commands));
  const knownHosts = config.credentials.knownHostsFile;
  if (knownHosts) attempt('credentials.knownHostsFile', () => loadKnownHosts(knownHosts));
  const tls = config.mqtt.tls;
  for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
    const path = tls?.[key];
    if (path) attempt(`mqtt.tls.${key}`, () => readFileSync(path));
  }
  return errors;
}
