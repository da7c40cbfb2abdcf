import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalText } from '../src/accounting/canonical.js';
import { closePeriod } from '../src/accounting/close.js';
import { type CloseInputs, INPUTS_SCHEMA } from '../src/accounting/close-inputs.js';
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
          const refusal = JSON.parse(outputs[i]!);
          // Both refuse; which fault is named first may differ (the two refusals of an energy line
          // are compared by name in the tests below).
          expect(refusal, `${where} (controller refused: ${e.error})`).toHaveProperty('error');
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

// ---------------------------------------------------------------- energy lines re-priced

/** An @3 period the close accepts, with one energy line of our own in the currency of its first. */
function periodWithLine(line: Record<string, number | bigint>): {
  inputs: CloseInputs;
  site: string;
  currency: string;
} {
  const base = fc.sample(inputsArb, { numRuns: 400, seed: 18 }).find((x) => {
    if (x.schema !== INPUTS_SCHEMA || x.energy.length === 0) return false;
    try {
      closePeriod(x);
      return true;
    } catch {
      return false;
    }
  })!;
  const first = base.energy[0]!;
  const energy = [
    {
      siteId: first.siteId,
      containerId: 'c-9',
      hourStartMs: base.period.startMs,
      // Every source absent (0 Wh, 0 miner-hours) unless the line gives it.
      ...Object.fromEntries(
        ['metered', 'reported', 'estimated'].flatMap((p) => [`${p}Wh`, `${p}MinerHours`]).map((k) => [k, 0]),
      ),
      currency: first.currency,
      ratePerKwhMicro: 30_000n,
      ...line,
    },
  ];
  return { inputs: { ...base, energy } as CloseInputs, site: first.siteId, currency: first.currency };
}

const hour = (ms: number) => `${new Date(ms).toISOString().slice(0, 16)}Z`;

/**
 * Issue 18 item 1: a staker re-prices each energy line from the inputs document alone. Both
 * verifiers print, per line, its kWh (Wh ÷ 1000 to 3 decimals), the miner-hours of each source,
 * the rate and kWh × rate, the same text from both, with the outputs unchanged; a line whose Wh
 * the close does not bill (a source with Wh and no miner-hours, which the controller's close
 * drops without a word) is refused, named by site, container and hour. Fails before: the
 * verifiers printed no energy line and verified such a period.
 */
describe('standalone verifiers re-price each energy line', () => {
  it('print kWh, miner-hours per source, rate and cost per line, alike in both languages', () => {
    const { inputs, site, currency } = periodWithLine({
      meteredWh: 12_345,
      estimatedWh: 1_000,
      meteredMinerHours: 3,
      estimatedMinerHours: 1,
    });
    const r = closePeriod(inputs);
    const file = join(dir, 'priced.json');
    writeFileSync(file, r.inputsText);
    const expected = `energy ${site}/c-9 ${hour(inputs.period.startMs)}  13.345 kWh (metered 3 h, reported 0 h, estimated 1 h) x 0.030000 ${currency}/kWh = 0.400350000 ${currency}`;
    const texts = VERIFIERS.map(([name, cmd]) => {
      const out = runVerifier(cmd, [file]);
      expect(out, name).toContain(expected);
      expect(
        out.find((l) => l.startsWith(`cost expense:energy:${site} `)),
        name,
      ).toBe(
        `cost expense:energy:${site} ${r.outputs.costs.find((c) => c.account === `expense:energy:${site}`)!.sats} sats (${r.outputs.costs.find((c) => c.account === `expense:energy:${site}`)!.detail})`,
      );
      expect(runVerifier(cmd, ['--outputs', file]), name).toEqual([r.outputsText]);
      return out.join('\n');
    });
    expect(texts[0]).toBe(texts[1]);
  });

  it('refuse a line whose Wh the close does not bill, naming it', () => {
    const { inputs, site } = periodWithLine({ meteredWh: 12_345, reportedWh: 500, meteredMinerHours: 3 });
    // The controller's close refuses it too, by the same name.
    expect(() => closePeriod(inputs)).toThrow(
      `energy line ${site}/c-9 ${hour(inputs.period.startMs)}: 500 Wh of a source with no miner-hours`,
    );
    const file = join(dir, 'unbilled.json');
    writeFileSync(file, canonicalText(inputs));
    for (const [name, cmd] of VERIFIERS) {
      const run = spawnSync(cmd[0]!, [...cmd.slice(1), file], { encoding: 'utf8' });
      expect(run.status, name).toBe(1);
      expect(run.stderr, name).toContain(
        `energy line ${site}/c-9 ${hour(inputs.period.startMs)}: 12.845 kWh x 0.030000`,
      );
      expect(run.stderr, name).toContain('500 Wh of a source with no miner-hours');
    }
  });

  it('refuse it at a rate of 0 too, where its cost and the billed cost agree (the random check met one)', () => {
    const { inputs, site } = periodWithLine({
      meteredWh: 1_000,
      reportedWh: 500,
      meteredMinerHours: 1,
      ratePerKwhMicro: 0n,
    });
    expect(() => closePeriod(inputs)).toThrow('500 Wh of a source with no miner-hours');
    const file = join(dir, 'unbilled-free.json');
    writeFileSync(file, canonicalText(inputs));
    for (const [name, cmd] of VERIFIERS) {
      const run = spawnSync(cmd[0]!, [...cmd.slice(1), file], { encoding: 'utf8' });
      expect(run.status, name).toBe(1);
      expect(run.stderr, name).toContain(`energy line ${site}/c-9 ${hour(inputs.period.startMs)}: 1.500 kWh`);
      expect(run.stderr, name).toContain('500 Wh of a source with no miner-hours');
    }
  });
});
