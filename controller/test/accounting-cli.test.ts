import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { periodCli, stakesCli } from '../src/accounting/cli.js';
import { closePeriod } from '../src/accounting/close.js';
import { INPUTS_SCHEMA_V1, inputsAsVersion } from '../src/accounting/close-inputs.js';
import { seedDemoStakes } from '../src/accounting/index.js';
import { inputsDrift } from '../src/accounting/ledger.js';
import { loadCloseInputs } from '../src/accounting/load-inputs.js';
import { parsePeriodId } from '../src/accounting/period.js';
import type { FeatureContext } from '../src/core/feature.js';
import { testApp } from './helpers.js';

/**
 * The CLI verbs and the demo seed on SQLite: `stakes import`, `period close|show|recompute`,
 * a loss carried from one period into the next, and a seeded register that closes.
 */
const NOW = Date.parse('2026-11-24T03:00:00Z');
let t: Awaited<ReturnType<typeof testApp>>;
let ctx: FeatureContext;
const dir = mkdtempSync(join(tmpdir(), 'hashfleet-acct-cli-'));
const BIN = join(import.meta.dirname, '../bin/hashfleet-controller.mjs');
const TOOLS = join(import.meta.dirname, '../../tools');

async function run(
  fn: typeof periodCli,
  args: string[],
  c: FeatureContext = ctx,
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err += String(s);
    return true;
  });
  try {
    return { code: await fn(args, c), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

beforeAll(async () => {
  t = await testApp({}, () => NOW);
  ctx = t.app.hashfleet;
});
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('accounting CLI', () => {
  it('prints usage and exits 2 on bad arguments', async () => {
    expect((await run(periodCli, ['open', '2026-11-22'])).code).toBe(2);
    expect((await run(stakesCli, ['import'])).code).toBe(2);
    // Arguments are parsed (node:util parseArgs): an unknown option is a usage error, not ignored.
    const flag = await run(periodCli, ['close', '2026-11-22', '--force']);
    expect(flag.code).toBe(2);
    expect(flag.err).toContain("Unknown option '--force'");
    expect((await run(stakesCli, ['import', 'a.csv', 'b.csv'])).code).toBe(2);
  });

  it('imports stakes from a CSV file and names the file and line of a bad row', async () => {
    const good = join(dir, 'stakes.csv');
    writeFileSync(
      good,
      'staker_id,staker_name,node_id,node_kind,amount_hss,effective_at\n' +
        'carol,Carol,node-s,shared,6000,2026-11-01T00:00:00Z\n' +
        'dave,Dave,node-s,shared,5000,2026-11-01T00:00:00Z\n',
    );
    const r = await run(stakesCli, ['import', good]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ entries: 2, unchanged: 0 });
    const bad = join(dir, 'bad.csv');
    writeFileSync(
      bad,
      'staker_id,staker_name,node_id,node_kind,amount_hss,effective_at\nx,X,n,solo,1e5,2026-11-01T00:00:00Z\n',
    );
    const b = await run(stakesCli, ['import', bad]);
    expect(b.code).toBe(1);
    expect(b.err).toContain(`csv:${bad}:2: amount_hss`);
  });

  it('carries a loss into the next period, then closes, shows and recomputes it', async () => {
    const db = ctx.db;
    const noCredit = await run(periodCli, ['close', '2026-11-22']);
    expect(noCredit.code).toBe(1);
    expect(noCredit.err).toContain('period 2026-11-22: no pool credit entered');
    // 2026-11-22: a 1,000-sat credit against a 3,000-sat cost -> 2,000 sats carried forward.
    await db.run(
      "INSERT INTO acct_credits (id, period_id, pool, reference, amount_sats, entered_by, entered_at) VALUES ('c1', '2026-11-22', 'p', 'r22', ?, 't', 0)",
      [1000n],
    );
    await db.run(
      "INSERT INTO acct_costs (id, period_id, description, currency, amount_sats, amount_micro, entered_by, entered_at) VALUES ('k1', '2026-11-22', 'power', 'BTC', ?, NULL, 't', 0)",
      [3000n],
    );
    await db.run(
      "INSERT INTO acct_credits (id, period_id, pool, reference, amount_sats, entered_by, entered_at) VALUES ('c2', '2026-11-23', 'p', 'r23', ?, 't', 0)",
      [12_000n],
    );
    // No telemetry in this database: each close is an operator's override (item 2 of issue 18).
    const first = await run(periodCli, [
      'close',
      '2026-11-22',
      '--override',
      'test: no telemetry in this database',
    ]);
    expect(first.code, first.err).toBe(0);
    expect(JSON.parse(first.out)).toMatchObject({
      netSats: '-2000',
      lossCarriedOutSats: '2000',
      alreadyClosed: false,
    });
    const second = await run(periodCli, [
      'close',
      'yesterday',
      '--override',
      'test: no telemetry in this database',
    ]);
    expect(second.code, second.err).toBe(0);
    expect(JSON.parse(second.out)).toMatchObject({
      periodId: '2026-11-23',
      netSats: '10000',
      stakerPoolSats: '3000',
    });
    const show = await run(periodCli, ['show', '2026-11-23']);
    expect(JSON.parse(show.out).reconciliation).toMatchObject({
      paidToStakersSats: '3000',
      journalBalanced: true,
    });
    const re = await run(periodCli, ['recompute', '2026-11-23']);
    expect(re.code).toBe(0);
    expect(JSON.parse(re.out).identical).toBe(true);
    // Closing out of order is refused once a later period is closed (the carried loss would be wrong).
    const early = await run(periodCli, ['close', '2026-11-21']);
    expect(early.code).toBe(1);
    expect(early.err).toContain('a later period 2026-11-22 is already closed');
    const again = await run(periodCli, ['close', '2026-11-22']);
    expect(JSON.parse(again.out).alreadyClosed).toBe(true);
    // What a staker does with the downloaded inputs document: re-hash it and re-run the close.
    const file = join(dir, 'inputs.json');
    const doc = await db.get<{ inputs_json: string; outputs_sha256: string; inputs_sha256: string }>(
      "SELECT inputs_json, inputs_sha256, outputs_sha256 FROM acct_closes WHERE period_id = '2026-11-23'",
    );
    writeFileSync(file, doc!.inputs_json);
    const carol = await db.get<{ holder: string; amount_sats: bigint }>(
      "SELECT p.holder, p.amount_sats FROM acct_payouts p WHERE p.staker_id = 'carol' AND p.period_id = '2026-11-23'",
    );
    const v = await run(periodCli, ['verify', file, carol!.holder]);
    expect(v.code, v.err).toBe(0);
    expect(JSON.parse(v.out)).toMatchObject({
      fileSha256: doc!.inputs_sha256,
      inputsSha256: doc!.inputs_sha256,
      outputsSha256: doc!.outputs_sha256,
      payoutSats: String(carol!.amount_sats),
    });
    // The document names when each stake entry was recorded (inputs schema @2).
    const stakes = JSON.parse(doc!.inputs_json).stakes as { recordedAtMs: number }[];
    expect(stakes.length).toBeGreaterThan(0);
    for (const e of stakes) expect(e.recordedAtMs).toBe(NOW);
    // From any folder, with no config and no database: an empty working directory, HOME and temp dir stay empty.
    const cwd = mkdtempSync(join(tmpdir(), 'hashfleet-verify-cwd-'));
    const home = mkdtempSync(join(tmpdir(), 'hashfleet-verify-home-'));
    const tmp = mkdtempSync(join(tmpdir(), 'hashfleet-verify-tmp-'));
    try {
      const bin = spawnSync(BIN, ['period', 'verify', file, carol!.holder], {
        cwd,
        env: { PATH: process.env.PATH, HOME: home, TMPDIR: tmp },
        encoding: 'utf8',
      });
      expect(bin.status, bin.stderr).toBe(0);
      expect(JSON.parse(bin.stdout)).toMatchObject({
        outputsSha256: doc!.outputs_sha256,
        payoutSats: String(carol!.amount_sats),
      });
      expect(readdirSync(cwd)).toEqual([]);
      expect(readdirSync(home)).toEqual([]);
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      for (const d of [cwd, home, tmp]) rmSync(d, { recursive: true, force: true });
    }
    // The standard-library verifiers agree on the period closed through the database.
    for (const cmd of [
      ['python3', join(TOOLS, 'verify-payout.py')],
      [process.execPath, join(TOOLS, 'verify-payout.mjs')],
    ]) {
      const r = spawnSync(cmd[0]!, [cmd[1]!, '--json', '--holder', carol!.holder, file], {
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({
        inputsSha256: doc!.inputs_sha256,
        outputsSha256: doc!.outputs_sha256,
        payouts: [{ holder: carol!.holder, sats: String(carol!.amount_sats) }],
      });
    }
    writeFileSync(file, doc!.inputs_json.replace('"amountSats":"12000"', '"amountSats":"12001"'));
    const tampered = JSON.parse((await run(periodCli, ['verify', file, carol!.holder])).out);
    expect(tampered.fileSha256).not.toBe(doc!.inputs_sha256);
    expect(tampered.outputsSha256).not.toBe(doc!.outputs_sha256);
    const missing = await run(periodCli, ['show', '2026-11-20']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('period 2026-11-20: not closed');
  });
});

describe('solo nodes', () => {
  it('a close is refused while a solo node has two stakers, naming the node, the time and the stakers', async () => {
    // The register refuses a second staker on a solo node; two replicas accepting one each at the
    // same moment, or a row written by hand, still reach the close, which must not split the node.
    const s = await testApp({}, () => Date.parse('2026-11-25T03:00:00Z'));
    try {
      const c = s.app.hashfleet;
      const csv = join(dir, 'solo.csv');
      writeFileSync(
        csv,
        'staker_id,staker_name,node_id,node_kind,amount_hss,effective_at\n' +
          'ana,"Ana, A.",solo-x,solo,10000,2026-11-20T00:00:00Z\n' +
          'bo,Bo,shared-y,shared,1,2026-11-20T00:00:00Z\n',
      );
      const imported = await run(stakesCli, ['import', csv], c);
      expect(imported.code, imported.err).toBe(0);
      await c.db.run(
        "INSERT INTO acct_stake_entries (seq, staker_id, node_id, amount_units, effective_at, source, idempotency_key, entered_by, entered_at) VALUES (100, 'bo', 'solo-x', ?, ?, 'replica-2', NULL, 't', 0)",
        [String(12_000n * 10n ** 18n), Date.parse('2026-11-24T06:00:00Z')],
      );
      await c.db.run(
        "INSERT INTO acct_credits (id, period_id, pool, reference, amount_sats, entered_by, entered_at) VALUES ('c1', '2026-11-24', 'p', 'r24', ?, 't', 0)",
        [5000n],
      );
      // No fleet data either: the override passes the completeness check (which comes first).
      const r = await run(periodCli, ['close', '2026-11-24', '--override', 'test: no fleet data'], c);
      expect(r.code).toBe(1);
      expect(r.err).toContain(
        'period 2026-11-24: solo node solo-x has more than one staker at 2026-11-24T06:00:00.000Z (stakers ana, bo)',
      );
      // The day before, ana alone held it: that period closes.
      await c.db.run(
        "INSERT INTO acct_credits (id, period_id, pool, reference, amount_sats, entered_by, entered_at) VALUES ('c0', '2026-11-23', 'p', 'r23', ?, 't', 0)",
        [5000n],
      );
      const before = await run(
        periodCli,
        ['close', '2026-11-23', '--override', 'test: no telemetry in this database'],
        c,
      );
      expect(before.code, before.err).toBe(0);
    } finally {
      await s.close();
    }
  });
});

describe('a period closed under inputs @1 (before recordedAtMs, exact expected revenue and the solo check)', () => {
  it('recomputes identically and shows no drift: its sources are read back in the @1 shape', async () => {
    const s = await testApp({}, () => Date.parse('2026-11-25T03:00:00Z'));
    try {
      const c = s.app.hashfleet;
      const csv = join(dir, 'v1.csv');
      writeFileSync(
        csv,
        'staker_id,staker_name,node_id,node_kind,amount_hss,effective_at\n' +
          'ana,Ana,node-a,solo,12000,2026-11-20T00:00:00Z\n',
      );
      expect((await run(stakesCli, ['import', csv], c)).code).toBe(0);
      await c.db.run(
        "INSERT INTO acct_credits (id, period_id, pool, reference, amount_sats, entered_by, entered_at) VALUES ('c1', '2026-11-24', 'p', 'r24', ?, 't', 0)",
        [5000n],
      );
      // What the previous version stored: the same sources, written as an @1 document.
      const period = parsePeriodId('2026-11-24');
      const { inputs } = await loadCloseInputs(c.db, period);
      const v1 = closePeriod(inputsAsVersion(inputs, INPUTS_SCHEMA_V1));
      expect(v1.inputsText).toContain('"schema":"hashfleet/period-close-inputs@1"');
      expect(v1.inputsText).not.toContain('recordedAtMs');
      await c.db.run(
        `INSERT INTO acct_closes (period_id, start_ms, end_ms, rule_version, inputs_json, inputs_sha256, outputs_json, outputs_sha256,
          net_sats, staker_pool_sats, loss_carried_out_sats, closed_by, closed_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, 't', 0)`,
        [
          period.id,
          period.startMs,
          period.endMs,
          v1.inputsText,
          v1.inputsSha256,
          v1.outputsText,
          v1.outputsSha256,
          v1.outputs.netSats,
          v1.outputs.stakerPoolSats,
          v1.outputs.lossCarriedOutSats,
        ],
      );
      const re = await run(periodCli, ['recompute', period.id], c);
      expect(re.code, re.out).toBe(0);
      expect(JSON.parse(re.out).identical).toBe(true);
      expect(await inputsDrift(c.db, period.id)).toMatchObject({ drifted: false, sections: [] });
    } finally {
      await s.close();
    }
  });
});

describe('seedDemoStakes', () => {
  it('seeds 20 stakers and 8 nodes (one shared, one under 10,000 HSS) idempotently; yesterday closes with payouts', async () => {
    const s = await testApp({}, () => Date.parse('2026-11-24T10:00:00Z'));
    try {
      const db = s.app.hashfleet.db;
      const first = await seedDemoStakes(db, Date.parse('2026-11-24T10:00:00Z'));
      const second = await seedDemoStakes(db, Date.parse('2026-11-24T10:00:00Z'));
      expect(first).toMatchObject({ stakers: 20, nodes: 8 });
      expect(second.entries).toBe(0);
      const nodes = await s.app.inject({ method: 'GET', url: '/api/v1/nodes', headers: s.auth('operator') });
      const byId = Object.fromEntries(
        nodes.json().map((n: { id: string; eligible: boolean; kind: string }) => [n.id, n]),
      );
      expect(byId['node-07'].eligible).toBe(false);
      expect(byId['node-08']).toMatchObject({ kind: 'shared', eligible: true });
      const close = await s.app.inject({
        method: 'POST',
        url: '/api/v1/periods/2026-11-23/close',
        headers: s.auth('operator'),
        payload: { override: 'demo: no telemetry before the demo started' },
      });
      expect(close.statusCode, close.body).toBe(201);
      const paid = await db.all<{ staker_id: string }>(
        "SELECT staker_id FROM acct_payouts WHERE period_id = '2026-11-23'",
      );
      expect(paid.map((p) => p.staker_id)).not.toContain('staker-07');
      expect(paid.length).toBe(19);
      // The demo restarted the next day: the register stays, the new yesterday gets its credit and closes.
      const nextDay = Date.parse('2026-11-25T10:00:00Z');
      expect((await seedDemoStakes(db, nextDay)).entries).toBe(0);
      const credits = await db.all(
        "SELECT period_id FROM acct_credits WHERE pool = 'demo-pool' ORDER BY period_id",
      );
      expect(credits.map((c) => c.period_id)).toEqual(['2026-11-23', '2026-11-24']);
    } finally {
      await s.close();
    }
  });
});

describe('configurable period length', () => {
  it('a rule version with 6-hour periods closes 6-hour periods, and only where it is in force', async () => {
    const now = Date.parse('2026-11-24T07:00:00Z');
    const s = await testApp({}, () => now);
    try {
      const post = (url: string, payload: object, role: 'admin' | 'operator' = 'operator') =>
        s.app.inject({ method: 'POST', url: `/api/v1${url}`, headers: s.auth(role), payload });
      const rule = await post(
        '/rules',
        {
          stakerBps: 3000,
          reinvestBps: 5000,
          operatorBps: 2000,
          lossRule: 'carry_forward',
          periodSeconds: 21_600,
          effectiveFrom: '2026-11-24T00:00:00Z',
        },
        'admin',
      );
      expect(rule.statusCode, rule.body).toBe(201);
      for (const periodId of ['2026-11-23T18:00Z_PT6H', '2026-11-24T00:00Z_PT6H']) {
        expect(
          (await post('/credits', { periodId, pool: 'p', reference: periodId, amountSats: '1000' }))
            .statusCode,
        ).toBe(201);
      }
      // 2026-11-23 is still under rule 1 (daily periods).
      const wrong = await post('/periods/2026-11-23T18:00Z_PT6H/close', {});
      expect(wrong.statusCode).toBe(400);
      expect(wrong.json().message).toContain('rule 1 closes periods of 86400 s');
      const ok = await post('/periods/2026-11-24T00:00Z_PT6H/close', { override: 'test: no telemetry' });
      expect(ok.statusCode, ok.body).toBe(201);
      expect(ok.json()).toMatchObject({ ruleVersion: 2, endMs: Date.parse('2026-11-24T06:00:00Z') });
    } finally {
      await s.close();
    }
  });
});
