import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The last verified rule set, kept on disk exactly as it was received (signature included), so an
 * agent restarted while the controller is unreachable keeps protecting its miners. It is verified
 * again on load: a file edited on the box is refused like a tampered message.
 */
export function readRuleSetFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`safety: cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Atomic replace with fsync: a crash leaves the old rule set or the new one, never half of one. */
export function writeRuleSetFile(path: string, raw: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, raw);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
