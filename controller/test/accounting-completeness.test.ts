import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { periodCli } from '../src/accounting/cli.js';
import { dailyCloseJob } from '../src/accounting/daily-close.js';
import { testApp } from './helpers.js';

/**
 * No period skipped, none closed blind (issue 18 item 2), on SQLite through the API, the CLI and
 * the scheduled close: periods close in order (a skipped one is closed or waived with a reason),
 * each close checks the completeness report first and refuses below the thresholds unless an
 * operator overrides with a reason; both are audited and the report is stored with the period.
 */
const DAY = 86_400_000;
const D1 = Date.parse('2026-11-20T00:00:00Z');
const NOW = D1 + 5 * DAY + 3_600_000;
const id = (ms: number) => new Date(ms).toISOString().slice(0, 10);

let t: Awaited<ReturnType<typeof testApp>>;

async function req(method: 'GET' | 'POST', url: string, payload?: object) {
  const res = await t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: t.auth('operator'),
    ...(payload ? { payload } : {}),
  });
  return { status: res.statusCode, body: res.json() };
}

/** A day of data as ingest writes it: 24 container-hours with work, each one reported miner-hour. */
async function dayOfData(dayStart: number, diff1PerHour = 5e9) {
  const db = t.app.hashfleet.db;
  for (let h = 0; h < 24; h++) {
    const hour = dayStart + h * 3_600_000;
    await db.run(
      `INSERT INTO container_hourly (site_id, container_id, hour_start, diff1_shares, energy_wh_metered, energy_wh_reported,
       energy_wh_estimated, miner_uptime_s, samples) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ['kz-1', 'c01', hour, diff1PerHour, 0, 3000, 0, 3600, 60],
    );
    await db.run(
      `INSERT INTO miner_hourly_energy (site_id, container_id, hour_start, unit, metered_wh, metered_n, reported_wh,
       reported_n, estimated_wh, estimated_n) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ['kz-1', 'c01', hour, 'slot:R01/01', 0, 0, 3000, 60, 0, 0],
    );
  }
}

const credit = async (dayStart: number, sats = '5000000') =>
  expect(
    (
      await req('POST', '/credits', {
        periodId: id(dayStart),
        pool: 'braiins',
        reference: id(dayStart),
        amountSats: sats,
      })
    ).status,
  ).toBe(201);

const audits = async (action: string) =>
  t.app.hashfleet.db.all<{ subject: string; details_json: string }>(
    'SELECT subject, details_json FROM audit_log WHERE action = ? ORDER BY at',
    [action],
  );

beforeEach(async () => {
  t = await testApp({}, () => NOW);
  const tariff = JSON.stringify({
    currency: 'USD',
    perKwh: Array.from({ length: 12 }, () => Array(24).fill(0.04)),
  });
  await t.app.hashfleet.db.run(
    'INSERT INTO sites (id, name, timezone, tariff_json, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    ['kz-1', 'Pavlodar', 'Asia/Almaty', tariff, 0, 0],
  );
  expect(
    (
      await req('POST', '/btc-prices', {
        currency: 'USD',
        price: '95000',
        source: 'manual',
        observedAt: '2026-11-19T23:00:00Z',
      })
    ).status,
  ).toBe(201);
});
afterEach(async () => t.close());

describe('periods close in order', () => {
  it('skipping a day is refused; the skipped day is closed or waived with a reason (audited), then the next closes', async () => {
    for (const d of [D1, D1 + DAY, D1 + 2 * DAY]) await dayOfData(d);
    await credit(D1);
    await credit(D1 + 2 * DAY);
    expect((await req('POST', `/periods/${id(D1)}/close`)).status).toBe(201);
    // Day 2 has data but its credit never came: closing day 3 would leave it unbooked forever.
    const skip = await req('POST', `/periods/${id(D1 + 2 * DAY)}/close`);
    expect(skip.status).toBe(409);
    expect(skip.body.message).toContain(
      `period ${id(D1 + DAY)} (after ${id(D1)}) is neither closed nor waived`,
    );
    const ready = (await req('GET', `/periods/${id(D1 + 2 * DAY)}/completeness`)).body;
    expect(ready.blockedBy).toContain(`close ${id(D1 + DAY)} first`);
    // A waiver needs a reason, and waives only the next period in order.
    expect((await req('POST', `/periods/${id(D1 + DAY)}/waive`, {})).status).toBe(400);
    const waived = await req('POST', `/periods/${id(D1 + DAY)}/waive`, {
      reason: 'pool outage, no payout for the day',
    });
    expect(waived.status, JSON.stringify(waived.body)).toBe(201);
    expect(await audits('accounting.period.waive')).toMatchObject([
      {
        subject: `period ${id(D1 + DAY)}`,
        details_json: JSON.stringify({ reason: 'pool outage, no payout for the day' }),
      },
    ]);
    expect((await req('POST', `/periods/${id(D1 + DAY)}/close`)).body.message).toContain('waived by');
    expect((await req('POST', `/periods/${id(D1 + 2 * DAY)}/close`)).status).toBe(201);
  });
});

describe('no period closed blind', () => {
  it('a close over a day without work is refused without an override, and closes with one (audited, report stored)', async () => {
    await dayOfData(D1, 0);
    await credit(D1);
    const refused = await req('POST', `/periods/${id(D1)}/close`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain(`period ${id(D1)}: incomplete (no work recorded in the period`);
    expect((await req('GET', '/periods')).body).toEqual([]);

    const shown = (await req('GET', `/periods/${id(D1)}/completeness`)).body;
    expect(shown.report).toMatchObject({
      complete: false,
      flags: ['credit_without_work'],
      summary: {
        containerHours: 24,
        telemetryCoverage: 1,
        energyCoverage: 1,
        diff1Shares: 0,
        creditPresent: true,
      },
    });
    expect(shown.report.failures).toEqual([
      'no work recorded in the period',
      'a pool credit with no recorded work',
    ]);
    expect(shown.report.hours[0]).toMatchObject({
      containerId: 'c01',
      workPresent: false,
      creditPresent: true,
    });

    const forced = await req('POST', `/periods/${id(D1)}/close`, {
      override: 'pool credited late work of the 19th',
    });
    expect(forced.status, JSON.stringify(forced.body)).toBe(201);
    const [audit] = await audits('accounting.period.close_override');
    expect(JSON.parse(audit!.details_json)).toMatchObject({
      reason: 'pool credited late work of the 19th',
      failures: ['no work recorded in the period', 'a pool credit with no recorded work'],
    });
    const stored = (await req('GET', `/periods/${id(D1)}/completeness`)).body;
    expect(stored).toMatchObject({ closed: true, blockedBy: 'closed' });
    expect(stored.report.override).toEqual({
      reason: 'pool credited late work of the 19th',
      by: 'operator-1',
    });
  });

  it('a complete day closes without an override; the CLI shows the report', async () => {
    await dayOfData(D1);
    await credit(D1);
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
      out += String(s);
      return true;
    });
    try {
      expect(await periodCli(['completeness', id(D1)], t.app.hashfleet)).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(JSON.parse(out)).toMatchObject({
      blockedBy: null,
      report: { complete: true, failures: [] },
    });
    expect((await req('POST', `/periods/${id(D1)}/close`)).status).toBe(201);
  });
});

describe('the scheduled daily close', () => {
  it('closes a complete day once its credit is entered, and never an incomplete one (audited once)', async () => {
    const job = dailyCloseJob(t.app.hashfleet);
    await dayOfData(D1);
    expect(await job.runOnce(NOW)).toEqual({ periodId: null, outcome: 'idle' });
    await credit(D1);
    expect(await job.runOnce(NOW)).toEqual({ periodId: id(D1), outcome: 'closed' });
    // Day 2: credit entered, no telemetry at all.
    await credit(D1 + DAY);
    const blocked = await job.runOnce(NOW);
    expect(blocked).toMatchObject({ periodId: id(D1 + DAY), outcome: 'blocked' });
    await job.run(NOW);
    expect((await req('GET', '/periods')).body.map((p: { periodId: string }) => p.periodId)).toEqual([
      id(D1),
    ]);
    expect(await audits('accounting.period.close_blocked')).toHaveLength(1);
  });
});
