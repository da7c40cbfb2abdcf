import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closePeriod } from '../src/accounting/close.js';
import { type CloseInputs, INPUTS_SCHEMA_V2 } from '../src/accounting/close-inputs.js';
import { MIN_NODE_COLLATERAL_UNITS, parseHss } from '../src/accounting/hss.js';
import { parsePeriodId } from '../src/accounting/period.js';
import { type ContainerHour, energyLines, workByHour } from '../src/energy/energy.js';
import { parseMicro } from '../src/energy/fiat.js';
import type { Tariff } from '../src/energy/tariff.js';

/**
 * The README's "Accounting" worked example, computed by the real close and compared with the
 * figures printed in the README (so the README cannot drift from the code).
 */
const day = parsePeriodId('2026-11-23');
const H = 3_600_000;
const at = (hhmm: string) => Date.parse(`2026-11-23T${hhmm}:00Z`);

// Sichuan, dry season: 0.050 USD/kWh from 08:00 to 22:00 local time (UTC+8), 0.030 otherwise.
const sichuan: Tariff = {
  currency: 'USD',
  perKwh: Array.from({ length: 12 }, () =>
    Array.from({ length: 24 }, (_, h) => (h >= 8 && h < 22 ? 0.05 : 0.03)),
  ),
};
// Pavlodar, Kazakhstan: flat 0.035 USD/kWh.
const pavlodar: Tariff = { currency: 'USD', perKwh: Array.from({ length: 12 }, () => Array(24).fill(0.035)) };

export function workedExampleInputs(): CloseInputs {
  const hours: ContainerHour[] = [];
  for (let h = 0; h < 24; h++) {
    const hourStartMs = day.startMs + h * H;
    // A PDU meters the Sichuan container; the Kazakh one has no meter, so its energy is the nameplate estimate.
    hours.push({
      siteId: 'sc-1',
      containerId: 'sc-1-c01',
      hourStartMs,
      diff1Shares: 8.4e9,
      energyWhMetered: 250_000,
      energyWhReported: 262_000,
      energyWhEstimated: 270_000,
    });
    hours.push({
      siteId: 'kz-1',
      containerId: 'kz-1-c01',
      hourStartMs,
      diff1Shares: 5.6e9,
      energyWhMetered: 0,
      energyWhReported: 0,
      energyWhEstimated: 200_000,
    });
  }
  const tariffs = new Map([
    ['sc-1', { tariff: sichuan, timeZone: 'Asia/Shanghai' }],
    ['kz-1', { tariff: pavlodar, timeZone: 'Asia/Almaty' }],
  ]);
  const before = Date.parse('2026-11-01T00:00:00Z');
  const e = (seq: number, holder: string, nodeId: string, hss: string, when: number) => ({
    seq,
    holder,
    nodeId,
    amountUnits: parseHss(hss),
    effectiveAtMs: when,
    recordedAtMs: when,
  });
  return {
    schema: INPUTS_SCHEMA_V2,
    period: day,
    rule: {
      version: 1,
      stakerBps: 3000,
      reinvestBps: 5000,
      operatorBps: 2000,
      lossRule: 'carry_forward',
      minNodeCollateralUnits: MIN_NODE_COLLATERAL_UNITS,
    },
    credits: [{ id: 'credit-1', pool: 'braiins', reference: 'fpps-2026-11-23', amountSats: 690_000n }],
    energy: energyLines(hours, tariffs),
    otherCosts: [
      { id: 'cost-1', description: 'site staff', currency: 'USD', amount: parseMicro('120.50', 'cost') },
    ],
    btcPrices: [
      {
        currency: 'USD',
        priceMicro: parseMicro('95000', 'price'),
        source: 'manual: exchange daily close',
        observedAtMs: at('23:59'),
      },
    ],
    nodes: [
      { id: 'node-a', kind: 'solo' },
      { id: 'node-b', kind: 'solo' },
      { id: 'node-s', kind: 'shared' },
    ],
    stakes: [
      e(1, 'alice', 'node-a', '20000', before),
      e(2, 'bob', 'node-b', '9000', before),
      e(3, 'carol', 'node-s', '6000', before),
      e(4, 'dave', 'node-s', '3000', before),
      e(5, 'erin', 'node-s', '2000', at('06:00')),
      e(6, 'alice', 'node-a', '30000', at('12:00')),
    ],
    lossCarriedInSats: 0n,
    work: workByHour(hours),
    network: {
      difficulty: 1.5e14,
      blockHeight: 925_000,
      feesPerBlockSats: 2_000_000n,
      source: 'manual',
      observedAtMs: at('23:59'),
    },
  };
}

/** `| name | value |` rows of the README block between the worked-example markers. */
function readmeFigures(): Map<string, string> {
  const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
  const start = readme.indexOf('<!-- worked-example:start -->');
  const end = readme.indexOf('<!-- worked-example:end -->');
  expect(start, 'README has the worked example markers').toBeGreaterThan(0);
  const rows = new Map<string, string>();
  for (const line of readme.slice(start, end).split('\n')) {
    const m = /^\|\s*`([^`]+)`\s*\|\s*([^|]+?)\s*\|/.exec(line);
    if (m) rows.set(m[1]!, m[2]!.replaceAll(' ', ''));
  }
  return rows;
}

describe('README worked example', () => {
  const r = closePeriod(workedExampleInputs());
  const o = r.outputs;
  const computed = new Map<string, string>([
    ['energy sc-1 (sats)', String(o.costs.find((c) => c.account === 'expense:energy:sc-1')!.sats)],
    ['energy kz-1 (sats)', String(o.costs.find((c) => c.account === 'expense:energy:kz-1')!.sats)],
    ['site staff (sats)', String(o.costs.find((c) => c.account === 'expense:other:cost-1')!.sats)],
    ['credited', String(o.creditedSats)],
    ['costs', String(o.costsSats)],
    ['net', String(o.netSats)],
    ['stakers 30 %', String(o.stakerPoolSats)],
    ['reinvest 50 %', String(o.reinvestSats)],
    ['operator 20 % + rounding', String(o.operatorSats)],
    ['expected from work', String(o.reconciliation!.expectedSats)],
    ...o.payouts.map((p) => [`payout ${p.holder}`, String(p.sats)] as [string, string]),
    ...o.payouts.map(
      (p) => [`stake-seconds ${p.holder} (HSS·s)`, String(p.weight / 10n ** 18n)] as [string, string],
    ),
  ]);

  it('every figure printed in the README is what the close computes', () => {
    const printed = readmeFigures();
    for (const [name, value] of computed) expect(`${name} = ${printed.get(name)}`).toBe(`${name} = ${value}`);
  });

  it('bob (9,000 HSS, under the minimum) gets nothing, and the shared node counts only after erin joins', () => {
    expect(o.payouts.map((p) => p.holder)).toEqual(['alice', 'carol', 'dave', 'erin']);
    expect(o.nodes.find((n) => n.nodeId === 'node-s')!.weight).toBe(parseHss('11000') * 64_800n);
  });

  it('both standalone verifiers print the README payouts and the controller outputs hash from the inputs document', () => {
    const dir = mkdtempSync(join(tmpdir(), 'worked-example-'));
    try {
      const file = join(dir, 'inputs.json');
      writeFileSync(file, r.inputsText);
      const printed = readmeFigures();
      const tools = join(import.meta.dirname, '../../tools');
      for (const cmd of [
        ['python3', join(tools, 'verify-payout.py')],
        [process.execPath, join(tools, 'verify-payout.mjs')],
      ]) {
        const run = spawnSync(cmd[0]!, [cmd[1]!, '--json', file], { encoding: 'utf8' });
        expect(run.status, run.stderr).toBe(0);
        const report = JSON.parse(run.stdout);
        expect(report.outputsSha256).toBe(r.outputsSha256);
        expect(report.inputsSha256).toBe(r.inputsSha256);
        for (const p of report.payouts as { holder: string; sats: string }[]) {
          expect(`${p.holder} ${p.sats}`).toBe(`${p.holder} ${printed.get(`payout ${p.holder}`)}`);
        }
        expect(report.payouts.map((p: { holder: string }) => p.holder)).toEqual([
          'alice',
          'carol',
          'dave',
          'erin',
        ]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the parts sum to the whole', () => {
    expect(o.payouts.reduce((s, p) => s + p.sats, 0n)).toBe(o.stakerPoolSats);
    expect(o.stakerPoolSats + o.reinvestSats + o.operatorSats).toBe(o.netSats);
  });
});
