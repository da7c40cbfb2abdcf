import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './helpers.js';

/**
 * The accounting API end to end on SQLite: register, inputs, close, idempotent re-close,
 * recompute, statements, adjustments, CSV, and who may see and do what.
 */
const NOW = Date.parse('2026-11-24T03:00:00Z');
const PERIOD = '2026-11-23';
const DAY_START = Date.parse('2026-11-23T00:00:00Z');

let t: Awaited<ReturnType<typeof testApp>>;

async function req(
  role: Parameters<typeof t.auth>[0],
  method: 'GET' | 'POST',
  url: string,
  payload?: unknown,
) {
  const res = await t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: t.auth(role),
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return {
    status: res.statusCode,
    body: String(res.headers['content-type'] ?? '').includes('json') ? res.json() : res.body,
    raw: res.body,
  };
}

/** One metered miner-hour (what the PDU ingest writes per outlet, fleet/hourly.ts). */
const minerHour = (container: string, hourStart: number, wh: number) =>
  t.app.hashfleet.db.run(
    `INSERT INTO miner_hourly_energy (site_id, container_id, hour_start, unit, metered_wh, metered_n, reported_wh,
       reported_n, estimated_wh, estimated_n) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ['kz-1', container, hourStart, 'slot:R01/01', wh, 1, 0, 0, 0, 0],
  );

beforeAll(async () => {
  t = await testApp({}, () => NOW);
  const db = t.app.hashfleet.db;
  const tariff = JSON.stringify({
    currency: 'USD',
    perKwh: Array.from({ length: 12 }, () => Array(24).fill(0.04)),
  });
  await db.run(
    'INSERT INTO sites (id, name, timezone, tariff_json, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    ['kz-1', 'Pavlodar', 'Asia/Almaty', tariff, 0, 0],
  );
  for (let h = 0; h < 24; h++) {
    await db.run(
      `INSERT INTO container_hourly (site_id, container_id, hour_start, diff1_shares, energy_wh_metered, energy_wh_reported,
       energy_wh_estimated, miner_uptime_s, samples) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ['kz-1', 'c01', DAY_START + h * 3_600_000, 5e9, 100_000, 0, 0, 3600, 60],
    );
    await minerHour('c01', DAY_START + h * 3_600_000, 100_000);
  }
  for (const [id, name] of [
    ['staker-1', 'Alice'],
    ['staker-2', 'Bob'],
  ]) {
    expect((await req('operator', 'POST', '/stakers', { id, name })).status).toBe(201);
  }
  expect((await req('operator', 'POST', '/nodes', { id: 'node-1', name: 'N1', kind: 'solo' })).status).toBe(
    201,
  );
  expect((await req('operator', 'POST', '/nodes', { id: 'node-2', name: 'N2', kind: 'shared' })).status).toBe(
    201,
  );
  const stake = (stakerId: string, nodeId: string, amountHss: string, effectiveAt: string) =>
    req('operator', 'POST', '/stakes', {
      stakerId,
      nodeId,
      amountHss,
      effectiveAt,
      idempotencyKey: `${stakerId}-${nodeId}-${effectiveAt}`,
    });
  expect((await stake('staker-1', 'node-1', '15000', '2026-11-01T00:00:00Z')).status).toBe(201);
  expect((await stake('staker-2', 'node-2', '12000', '2026-11-01T00:00:00Z')).status).toBe(201);
  expect((await stake('staker-2', 'node-2', '12000', '2026-11-01T00:00:00Z')).status).toBe(200);
  expect((await stake('staker-1', 'node-1', '30000', '2026-11-23T12:00:00Z')).status).toBe(201);
  expect(
    (
      await req('operator', 'POST', '/credits', {
        periodId: PERIOD,
        pool: 'braiins',
        reference: 'd-23',
        amountSats: '5000000',
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await req('operator', 'POST', '/btc-prices', {
        currency: 'USD',
        price: '95000',
        source: 'manual',
        observedAt: '2026-11-23T23:00:00Z',
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await req('operator', 'POST', '/costs', {
        periodId: PERIOD,
        description: 'rent',
        currency: 'USD',
        amount: '100',
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await req('operator', 'POST', '/network', {
        difficulty: 1.5e14,
        blockHeight: 925_000,
        feesPerBlockSats: '2000000',
        source: 'manual',
        observedAt: '2026-11-23T23:00:00Z',
      })
    ).status,
  ).toBe(201);
});
afterAll(async () => t?.close());

describe('accounting API', () => {
  it('a technician cannot close, adjust or enter money inputs', async () => {
    expect((await req('technician', 'POST', `/periods/${PERIOD}/close`)).status).toBe(403);
    expect(
      (
        await req('technician', 'POST', '/credits', {
          periodId: PERIOD,
          pool: 'x',
          reference: 'y',
          amountSats: '1',
        })
      ).status,
    ).toBe(403);
    const adj = {
      memo: 'm',
      idempotencyKey: 'k',
      lines: [
        { account: 'equity:operator', debitSats: '1' },
        { account: 'equity:reinvest', creditSats: '1' },
      ],
    };
    expect((await req('technician', 'POST', `/periods/${PERIOD}/adjustments`, adj)).status).toBe(403);
    // Roles are checked before the body is even validated.
    expect((await req('technician', 'POST', `/periods/${PERIOD}/adjustments`, { lines: [] })).status).toBe(
      403,
    );
    expect((await req('staker', 'POST', `/periods/${PERIOD}/close`)).status).toBe(403);
  });

  it('closes once; closing again returns the same result; recompute is byte-identical', async () => {
    expect((await req('operator', 'GET', '/periods/open')).body).toEqual([
      { periodId: PERIOD, creditedSats: '5000000', credits: 1 },
    ]);
    const first = await req('operator', 'POST', `/periods/${PERIOD}/close`);
    expect(first.status, first.raw).toBe(201);
    const again = await req('admin', 'POST', `/periods/${PERIOD}/close`);
    expect(again.status).toBe(200);
    expect(again.body.alreadyClosed).toBe(true);
    expect(again.body.outputsSha256).toBe(first.body.outputsSha256);
    const re = await req('operator', 'POST', `/periods/${PERIOD}/recompute`);
    expect(re.body).toMatchObject({ identical: true, recomputedOutputsSha256: first.body.outputsSha256 });
    const journal = await req('operator', 'GET', `/periods/${PERIOD}/journal`);
    const stakerLines = journal.body.filter((l: { account: string }) =>
      l.account.startsWith('liability:staker:'),
    );
    expect(stakerLines.map((l: { stakerId: string }) => l.stakerId).sort()).toEqual(['staker-1', 'staker-2']);
    let sum = 0n;
    for (const l of journal.body) sum += BigInt(l.debitSats) - BigInt(l.creditSats);
    expect(sum).toBe(0n);
  });

  it('a staker reads its own statement and can verify the inputs hash, but not another staker or the journal', async () => {
    const own = await req('staker', 'GET', `/stakers/staker-1/statements/${PERIOD}`);
    expect(own.status, own.raw).toBe(200);
    expect(BigInt(own.body.payoutSats) > 0n).toBe(true);
    const inputs = await req('staker', 'GET', own.body.inputsUrl.replace('/api/v1', ''));
    expect(inputs.status).toBe(200);
    expect(createHash('sha256').update(inputs.raw).digest('hex')).toBe(own.body.inputsSha256);
    const me = await req('staker', 'GET', '/stakers/staker-1');
    expect(inputs.raw).toContain(me.body.holder);
    expect(inputs.raw).not.toContain('staker-2');
    expect((await req('staker', 'GET', `/stakers/staker-2/statements/${PERIOD}`)).status).toBe(403);
    expect((await req('staker', 'GET', '/stakers/staker-2/statements')).status).toBe(403);
    expect(
      (
        await req(
          'staker',
          'GET',
          '/stakers/staker-2/attribution?from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z',
        )
      ).status,
    ).toBe(403);
    expect((await req('staker', 'GET', `/periods/${PERIOD}/journal`)).status).toBe(403);
    expect((await req('staker', 'GET', '/periods')).status).toBe(403);
  });

  it('statements sum with the other shares to the net; the CSV export has one row per period', async () => {
    const a = await req('operator', 'GET', `/stakers/staker-1/statements/${PERIOD}`);
    const b = await req('operator', 'GET', `/stakers/staker-2/statements/${PERIOD}`);
    const rec = await req('operator', 'GET', `/periods/${PERIOD}/reconciliation`);
    expect(BigInt(a.body.payoutSats) + BigInt(b.body.payoutSats)).toBe(BigInt(rec.body.paidToStakersSats));
    expect(rec.body.journalBalanced).toBe(true);
    expect(rec.body.expectedSats).not.toBeNull();
    const csv = await req('staker', 'GET', '/stakers/staker-1/statements.csv');
    expect(csv.status).toBe(200);
    const lines = csv.raw.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`${PERIOD},`);
    expect(lines[1]).toContain(a.body.payoutSats);
  });

  it('attribution: fleet hashrate x time-weighted share, per hour and node', async () => {
    const r = await req(
      'staker',
      'GET',
      '/stakers/staker-1/attribution?from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z',
    );
    expect(r.status, r.raw).toBe(200);
    const fleetThs = (5e9 * 2 ** 32) / 3600 / 1e12;
    // 00:00-12:00: 15000 of 27000 HSS; 12:00-24:00: 30000 of 42000.
    expect(r.body.hours[0].attributedThs).toBeCloseTo((fleetThs * 15) / 27, 9);
    expect(r.body.hours[23].attributedThs).toBeCloseTo((fleetThs * 30) / 42, 9);
    // One definition (issue 18 item 4): the window's work x the staker's share of the window's
    // stake-time, 15x12 + 30x12 of 27x12 + 42x12 HSS-hours, not the mean of the hourly figures
    // ((15/27 + 30/42) / 2, what this API gave before: 2.7 % apart).
    expect(r.body.periodAttributedThs).toBeCloseTo((fleetThs * 45) / 69, 9);
    expect(r.body.attributedHashrate).toMatchObject({
      from: '2026-11-23T00:00:00.000Z',
      to: '2026-11-24T00:00:00.000Z',
      windowSeconds: 86_400,
      diff1Shares: 24 * 5e9,
    });
    expect(r.body.attributedHashrate.definition).toContain("x the staker's share of all eligible stake-time");
    // The statement of the same period gives the same figure with the same window.
    const st = await req('staker', 'GET', `/stakers/staker-1/statements/${PERIOD}`);
    expect(st.body.attributedThs).toBeCloseTo(r.body.periodAttributedThs, 12);
    expect(st.body.attributedHashrate).toMatchObject({
      from: r.body.attributedHashrate.from,
      windowSeconds: 86_400,
    });
    expect(r.body.byNode['node-1']).toBeCloseTo(r.body.periodAttributedThs, 12);
  });

  it("breakdown: pool credit -> costs by site and kind -> net -> stakers' pool -> the staker's share -> payout, to the satoshi", async () => {
    const parts = [];
    for (const staker of ['staker-1', 'staker-2']) {
      const b = await req('staker', 'GET', `/stakers/${staker}/statements/${PERIOD}/breakdown`);
      if (staker === 'staker-2') {
        expect(b.status).toBe(403); // the staker token is staker-1's
        parts.push((await req('operator', 'GET', `/stakers/${staker}/statements/${PERIOD}/breakdown`)).body);
      } else parts.push(b.body);
    }
    const [a, b] = parts;
    expect(a.costs.map((c: { kind: string; siteId: string | null }) => [c.kind, c.siteId])).toEqual([
      ['energy', 'kz-1'],
      ['other', null],
    ]);
    const costs = a.costs.reduce((s: bigint, c: { sats: string }) => s + BigInt(c.sats), 0n);
    expect(BigInt(a.costsSats)).toBe(costs);
    expect(BigInt(a.netSats)).toBe(BigInt(a.poolCreditSats) - costs - BigInt(a.lossCarriedInSats));
    expect(BigInt(a.stakerPoolSats)).toBe((BigInt(a.netSats) * BigInt(a.stakerBps)) / 10_000n);
    for (const x of [a, b]) {
      expect(BigInt(x.proRataFloorSats) + BigInt(x.remainderSats)).toBe(BigInt(x.payoutSats));
      expect(BigInt(x.proRataFloorSats)).toBe(
        (BigInt(x.stakerPoolSats) * BigInt(x.stakeUnitsSeconds)) / BigInt(x.totalEligibleUnitsSeconds),
      );
    }
    expect(BigInt(a.payoutSats) + BigInt(b.payoutSats)).toBe(BigInt(a.stakerPoolSats));
    expect(a.lossCarriedOutSats).toBe('0');
    const st = await req('staker', 'GET', `/stakers/staker-1/statements/${PERIOD}`);
    expect(a.payoutSats).toBe(st.body.payoutSats);
    expect(a.attributedHashrate).toEqual(st.body.attributedHashrate);
  });

  it('fleet attribution: accepted work, effective hashrate, and per-staker parts that add up to the eligible hours', async () => {
    const r = await req('operator', 'GET', '/attribution?from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z');
    expect(r.status, r.raw).toBe(200);
    const fleetThs = (5e9 * 2 ** 32) / 3600 / 1e12;
    expect(r.body.diff1Shares).toBe(24 * 5e9);
    expect(r.body.effectiveThs).toBeCloseTo(fleetThs, 9);
    // Every hour has eligible stake, so the stakers' attributed hashrate adds up to the fleet's.
    const total = r.body.stakers.reduce((s: number, x: { attributedThs: number }) => s + x.attributedThs, 0);
    expect(total).toBeCloseTo(fleetThs, 9);
    expect(r.body.nodes.map((n: { nodeId: string }) => n.nodeId)).toEqual(['node-1', 'node-2']);
    expect(
      (await req('staker', 'GET', '/attribution?from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z')).status,
    ).toBe(403);
    expect(
      (await req('technician', 'GET', '/attribution?from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z'))
        .status,
    ).toBe(403);
  });

  it('a correction is a new balanced adjusting entry; unbalanced ones are refused; replays are no-ops', async () => {
    const me = await req('operator', 'GET', '/stakers/staker-1');
    const account = `liability:staker:${me.body.holder}`;
    const bad = await req('operator', 'POST', `/periods/${PERIOD}/adjustments`, {
      memo: 'fix',
      idempotencyKey: 'adj-bad',
      lines: [
        { account, creditSats: '10' },
        { account: 'equity:operator', debitSats: '9' },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('differ by');
    const adj = {
      memo: 'late pool credit',
      idempotencyKey: 'adj-1',
      lines: [
        { account: 'equity:operator', debitSats: '10' },
        { account, creditSats: '10' },
      ],
    };
    const ok = await req('operator', 'POST', `/periods/${PERIOD}/adjustments`, adj);
    expect(ok.status, ok.raw).toBe(201);
    expect((await req('operator', 'POST', `/periods/${PERIOD}/adjustments`, adj)).status).toBe(200);
    const st = await req('staker', 'GET', `/stakers/staker-1/statements/${PERIOD}`);
    expect(st.body.adjustmentSats).toBe('10');
    expect(BigInt(st.body.totalSats)).toBe(BigInt(st.body.payoutSats) + 10n);
    // The close itself is untouched: recompute still matches.
    expect((await req('operator', 'POST', `/periods/${PERIOD}/recompute`)).body.identical).toBe(true);
  });

  it('refuses to rewrite a closed period: late stake entries and credits are 409, tables refuse UPDATE', async () => {
    const late = await req('operator', 'POST', '/stakes', {
      stakerId: 'staker-1',
      nodeId: 'node-1',
      amountHss: '1',
      effectiveAt: '2026-11-23T18:00:00Z',
    });
    expect(late.status).toBe(409);
    expect(late.body.message).toContain('closed period');
    expect((await req('operator', 'GET', '/periods/open')).body).toEqual([]);
    // A period before the last close can never close, so its inputs are refused too.
    const earlier = await req('operator', 'POST', '/credits', {
      periodId: '2026-11-22',
      pool: 'braiins',
      reference: 'd-22',
      amountSats: '1',
    });
    expect(earlier.status).toBe(409);
    expect(earlier.body.message).toContain('a later period is closed');
    const credit = await req('operator', 'POST', '/credits', {
      periodId: PERIOD,
      pool: 'braiins',
      reference: 'late',
      amountSats: '1',
    });
    expect(credit.status).toBe(409);
    await expect(t.app.hashfleet.db.run('UPDATE acct_journal SET debit_sats = 0')).rejects.toThrow(
      /append-only/,
    );
    await expect(t.app.hashfleet.db.run('DELETE FROM acct_payouts')).rejects.toThrow(/append-only/);
  });

  it('rejects bad input naming what and where', async () => {
    const r = await req('operator', 'POST', '/stakes', {
      stakerId: 'staker-1',
      nodeId: 'node-1',
      amountHss: '-3',
      effectiveAt: '2026-11-25T00:00:00Z',
    });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('body.amountHss');
    const solo = await req('operator', 'POST', '/stakes', {
      stakerId: 'staker-2',
      nodeId: 'node-1',
      amountHss: '5',
      effectiveAt: '2026-11-25T00:00:00Z',
    });
    expect(solo.status).toBe(409);
    expect(solo.body.message).toContain('solo node');
    const period = await req('operator', 'POST', '/periods/2026-11-31/close');
    expect(period.status).toBe(400);
    const future = await req('operator', 'POST', '/periods/2026-11-24/close');
    expect(future.status).toBe(409);
    expect(future.body.message).toContain('has not ended');
    // Each refusal is counted for /metrics.
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(
      /hashfleet_accounting_refused_total\{route="POST \/api\/v1\/stakes",status="400"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /hashfleet_accounting_refused_total\{route="POST \/api\/v1\/periods\/:id\/close",status="409"\} [1-9]/,
    );
  });

  it('payout rules are versioned; only an admin adds one, and shares must sum to 10000 bps', async () => {
    const rule = {
      stakerBps: 3500,
      reinvestBps: 4500,
      operatorBps: 2000,
      lossRule: 'pay_zero',
      effectiveFrom: '2026-12-01T00:00:00Z',
    };
    expect((await req('operator', 'POST', '/rules', rule)).status).toBe(403);
    const bad = await req('admin', 'POST', '/rules', { ...rule, operatorBps: 2001 });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('must sum to 10000');
    const past = await req('admin', 'POST', '/rules', { ...rule, effectiveFrom: '2026-11-23T06:00:00Z' });
    expect(past.status).toBe(409);
    const ok = await req('admin', 'POST', '/rules', rule);
    expect(ok.status, ok.raw).toBe(201);
    expect(ok.body.version).toBe(2);
    const rules = await req('operator', 'GET', '/rules');
    expect(rules.body.map((r: { version: number; stakerBps: number }) => [r.version, r.stakerBps])).toEqual([
      [1, 3000],
      [2, 3500],
    ]);
  });

  it('imports stakes from CSV all or nothing, reporting every bad line', async () => {
    const csv = [
      'staker_id,staker_name,node_id,node_kind,amount_hss,effective_at,idempotency_key',
      'staker-3,Carol,node-3,shared,4000,2026-11-25T00:00:00Z,tx-1',
      'staker-4,Dan,node-3,shared,lots,2026-11-25T00:00:00Z,tx-2',
      'staker-5,Eve,node-3,pooled,100,2026-11-25 00:00,tx-3',
    ].join('\n');
    const post = (body: string, role: 'operator' | 'technician' = 'operator') =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/stakes/import',
        headers: { ...t.auth(role), 'content-type': 'text/csv' },
        payload: body,
      });
    const bad = await post(csv);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/:3: amount_hss/);
    expect(bad.json().message).toMatch(/:4: node_kind "pooled"/);
    expect(bad.json().message).toMatch(/:4: effective_at/);
    expect((await req('operator', 'GET', '/stakers/staker-3')).status).toBe(404);
    expect((await post(csv, 'technician')).statusCode).toBe(403);
    const good = await post(csv.split('\n').slice(0, 2).join('\n'));
    expect(good.json()).toEqual({ entries: 1, unchanged: 0 });
    expect((await post(csv.split('\n').slice(0, 2).join('\n'))).json()).toEqual({ entries: 0, unchanged: 1 });
  });

  it('late data for a closed period leaves the close as it was and shows up as input drift', async () => {
    const before = await req('operator', 'GET', `/periods/${PERIOD}/reconciliation`);
    expect(before.body.inputsDrift).toMatchObject({ drifted: false, sections: [] });
    // An agent's spool replays an hour of a second container after the close.
    await t.app.hashfleet.db.run(
      `INSERT INTO container_hourly (site_id, container_id, hour_start, diff1_shares, energy_wh_metered, energy_wh_reported,
       energy_wh_estimated, miner_uptime_s, samples) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ['kz-1', 'c02', DAY_START, 1e9, 50_000, 0, 0, 3600, 60],
    );
    await minerHour('c02', DAY_START, 50_000);
    const after = await req('operator', 'GET', `/periods/${PERIOD}/reconciliation`);
    expect(after.body.inputsDrift).toMatchObject({ drifted: true, sections: ['energy', 'work'] });
    expect((await req('operator', 'POST', `/periods/${PERIOD}/recompute`)).body.identical).toBe(true);
  });
});
