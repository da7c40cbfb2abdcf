import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { takeConfig } from '../src/core/cli/args.js';
import { main } from '../src/core/cli/main.js';
import { tempDir } from './helpers.js';

/**
 * The controller CLI parses with node:util parseArgs (issue 14 item 6). Proves: `--config=<file>`
 * works as well as `--config <file>`, anywhere; an unknown option or one without its value is
 * refused (exit 2) naming it, where the hand-written flag lookup ignored it and went on.
 */
describe('controller CLI arguments', () => {
  let tmp: ReturnType<typeof tempDir>;
  let config: string;
  let errors: string[];
  beforeEach(() => {
    tmp = tempDir();
    config = join(tmp.dir, 'c.yaml');
    writeFileSync(
      config,
      `dataDir: ${tmp.dir}\nstorage:\n  url: sqlite:${join(tmp.dir, 'c.db')}\nlog:\n  level: silent\n`,
    );
    errors = [];
    vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(String(m)));
    vi.spyOn(console, 'log').mockImplementation(() => {});
  });
  afterEach(() => {
    vi.restoreAllMocks();
    tmp.cleanup();
  });

  it('takes --config in either form from anywhere', () => {
    expect(takeConfig(['--config', 'a.yaml', 'migrate'])).toEqual({
      configFile: 'a.yaml',
      rest: ['migrate'],
    });
    expect(takeConfig(['token', 'create', '--config=b.yaml', '--role', 'admin'])).toEqual({
      configFile: 'b.yaml',
      rest: ['token', 'create', '--role', 'admin'],
    });
  });

  it('creates a token with --config=<file>', async () => {
    expect(await main([`--config=${config}`, 'token', 'create', '--role', 'admin', '--name', 'a1'])).toBe(0);
  });

  it('refuses an unknown option naming it, and an option without its value', async () => {
    expect(
      await main(['--config', config, 'token', 'create', '--role', 'admin', '--name', 'a2', '--rolee', 'x']),
    ).toBe(2);
    expect(errors.join('\n')).toMatch(/--rolee/);
    errors.length = 0;
    expect(await main(['--config', config, 'token', 'create', '--name', 'a3', '--role'])).toBe(2);
    expect(errors.join('\n')).toMatch(/--role/);
    expect(await main(['--config', config, 'inventory', 'import', 'x.csv', '--dry-run'])).toBe(2);
  });
});
