import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closePeriod } from '../src/accounting/close.js';
import { parseInputsDoc } from '../src/accounting/close-inputs.js';

/**
 * Periods closed before the switch to RFC 8785 (`canonicalize`) still recompute to their stored
 * bytes and hashes. The fixtures are the README worked example's inputs and outputs documents as
 * the hand-written writer wrote them (inputs schema @1, expected revenue by a float floor: 704479),
 * byte for byte (`.jcs`: RFC 8785 text, no trailing newline; the formatter leaves it alone).
 */
const FIXTURES = join(import.meta.dirname, 'fixtures/accounting');
const inputsV1 = readFileSync(join(FIXTURES, '2026-11-23.inputs-v1.jcs'), 'utf8');
const outputsV1 = readFileSync(join(FIXTURES, '2026-11-23.outputs-v1.jcs'), 'utf8');
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const ARRAY_INDEX = /^(0|[1-9]\d{0,9})$/;

function keys(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) keys(x, out);
  else if (v !== null && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      keys(x, out);
    }
  return out;
}

describe('close documents under RFC 8785', () => {
  it('a period closed by the writer before recomputes to the same inputs and outputs bytes and hashes', () => {
    const r = closePeriod(parseInputsDoc(inputsV1, 'fixture'));
    expect(r.inputsText).toBe(inputsV1);
    expect(r.outputsText).toBe(outputsV1);
    expect(r.inputsSha256).toBe('462f84134f9038f95aa52aabfa9fedc5773245965eed92db05158ca880ddf578');
    expect(r.outputsSha256).toBe('5c496c31f642fe3fe2fc241bdbc51ed61120dec77c3fce02fe98533a6625b686');
    expect(r.outputs.reconciliation?.expectedSats).toBe(704_479n);
  });

  it('no key of either document is an array index, the one shape where RFC 8785 and the writer before differ', () => {
    for (const k of [...keys(JSON.parse(inputsV1)), ...keys(JSON.parse(outputsV1))]) {
      expect(ARRAY_INDEX.test(k), k).toBe(false);
    }
  });

  it('both standalone verifiers reproduce the stored outputs of the old period', () => {
    const file = join(FIXTURES, '2026-11-23.inputs-v1.jcs');
    for (const cmd of [
      ['python3', join(import.meta.dirname, '../../tools/verify-payout.py')],
      [process.execPath, join(import.meta.dirname, '../../tools/verify-payout.mjs')],
    ]) {
      const r = spawnSync(cmd[0]!, [cmd[1]!, '--outputs', file], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`${outputsV1}\n`);
      expect(sha256(r.stdout.trimEnd())).toBe(
        '5c496c31f642fe3fe2fc241bdbc51ed61120dec77c3fce02fe98533a6625b686',
      );
    }
  });
});
