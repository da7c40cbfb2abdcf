import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalText } from '../src/accounting/canonical.js';
import { closePeriod } from '../src/accounting/close.js';
import type { CloseInputs } from '../src/accounting/close-inputs.js';
import { inputsArb } from './accounting-inputs-arbitrary.js';

/**
 * The standalone verifiers (`tools/verify-payout.py`, `tools/verify-payout.mjs`: one file each,
 * standard library only) against the controller's pure close: over 1,000 random periods, each
 * verifier, run as a child process on the inputs document exactly as `GET /periods/:id/inputs`
 * serves it, prints the outputs document byte for byte as the controller writes it (so every
 * payout and the outputs hash agree), and refuses what the controller refuses. A quarter of the
 * periods are inputs schema @1 (closed before @2: float expected revenue, no solo-node check).
 */
const TOOLS = join(import.meta.dirname, '../../tools');
const VERIFIERS: [string, string[]][] = [
  ['python', ['python3', join(TOOLS, 'verify-payout.py')]],
  ['node', [process.execPath, join(TOOLS, 'verify-payout.mjs')]],
];
const dir = mkdtempSync(join(tmpdir(), 'verify-payout-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a verifier once over many documents; one stdout line per document. */
function runVerifier(cmd: string[], args: string[]): string[] {
  const r = spawnSync(cmd[0]!, [...cmd.slice(1), ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout.split('\n').slice(0, -1);
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

// ---------------------------------------------------------------- random periods

type Expected =
  | { file: string; outputsText: string; outputsSha256: string }
  | { file: string; error: string };

function controllerClose(inputs: CloseInputs, file: string): Expected {
  try {
    const r = closePeriod(inputs);
    writeFileSync(file, r.inputsText);
    return { file, outputsText: r.outputsText, outputsSha256: r.outputsSha256 };
  } catch (e) {
    writeFileSync(file, canonicalText(inputs));
    return { file, error: (e as Error).message };
  }
}

describe('standalone verifiers agree with the controller', () => {
  it('on 1,000 random periods: the same outputs bytes, payouts and outputs hash, and the same refusals', () => {
    const samples = fc.sample(inputsArb, { numRuns: 1000 });
    const expected = samples.map((inputs, i) => controllerClose(inputs, join(dir, `random-${i}.json`)));
    const refused = expected.filter((e) => 'error' in e).length;
    // The generator must exercise both paths.
    expect(refused).toBeGreaterThan(20);
    expect(refused).toBeLessThan(600);
    const files = expected.map((e) => e.file);
    for (const [name, cmd] of VERIFIERS) {
      const outputs = runVerifier(cmd, ['--outputs', ...files]);
      const reports = runVerifier(cmd, ['--json', ...files]);
      expect(outputs.length, name).toBe(files.length);
      expect(reports.length, name).toBe(files.length);
      expected.forEach((e, i) => {
        const where = `${name} verifier on ${e.file}`;
        if ('error' in e) {
          expect(JSON.parse(outputs[i]!), `${where} (controller refused: ${e.error})`).toHaveProperty(
            'error',
          );
          return;
        }
        expect(outputs[i], where).toBe(e.outputsText);
        const report = JSON.parse(reports[i]!);
        expect(report.outputsSha256, where).toBe(e.outputsSha256);
        expect(sha256(outputs[i]!), where).toBe(e.outputsSha256);
        const doc = JSON.parse(e.outputsText);
        expect(report.payouts, where).toEqual(doc.payouts);
      });
    }
    // Four child processes over 1,000 documents: ~25 s on a loaded 2-core machine, so a wider bound.
  }, 240_000);
});
