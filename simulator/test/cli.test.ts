import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { json, parse, rpc } from './client.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

/** `simulator run` starts a scenario, prints where it listens, serves until SIGTERM. */
describe('simulator CLI', () => {
  it('run bench prints the blocks and every miner, and the miners answer', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, 'run', 'bench', '--miners', '8', '--free-block', '--list'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (/b00008 /.test(out)) resolve();
      });
      child.on('exit', (code) => reject(new Error(`cli exited ${code}: ${out}`)));
    });
    expect(out).toMatch(/^scenario bench: 8 miners, 0 PDUs, seed 7, clock real/m);
    const ip = /b00001\s+(127\.\d+\.\d+\.\d+)/.exec(out)![1]!;
    expect(parse(await rpc(ip, 4028, json('version'))).VERSION).toBeDefined();
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('rejects bad arguments with a usage line naming the problem', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'run', 'bench', '--miners', 'lots'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(2);
    expect(err).toContain('simulator: run: --miners must be an integer, got lots');
  });
});
