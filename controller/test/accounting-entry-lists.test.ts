import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './helpers.js';

/**
 * What the Accounting screen lists (issue 19 item 6): the pool credits, other costs and stake
 * entries entered, read back newest first with who entered them, amounts exact (satoshis and fiat
 * as decimal text, HSS as entered), stake entries named by staker and node; a period filter; a
 * technician refused, as on the routes that take them.
 */
let t: Awaited<ReturnType<typeof testApp>>;
let now = Date.parse('2026-11-24T03:00:00Z');

async function req(
  role: Parameters<typeof t.auth>[0],
  method: 'GET' | 'POST',
  url: string,
  payload?: object,
) {
  const res = await t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: t.auth(role),
    ...(payload === undefined ? {} : { payload }),
  });
  return { status: res.statusCode, body: res.json() };
}

beforeAll(async () => {
  t = await testApp({}, () => now);
  expect((await req('operator', 'POST', '/stakers', { id: 'staker-1', name: 'Alice' })).status).toBe(201);
  expect(
    (await req('operator', 'POST', '/nodes', { id: 'node-1', name: 'Pavlodar 1', kind: 'shared' })).status,
  ).toBe(201);
});
afterAll(() => t.close());

describe('entered close inputs read back', () => {
  it('credits, costs and stakes newest first, exact, by period, staff only', async () => {
    const add = async (url: string, body: object) => {
      now += 1000;
      expect((await req('operator', 'POST', url, body)).status).toBe(201);
    };
    await add('/credits', {
      periodId: '2026-11-22',
      pool: 'ViaBTC',
      reference: 'p1',
      amountSats: '12345678',
    });
    await add('/credits', {
      periodId: '2026-11-23',
      pool: 'ViaBTC',
      reference: 'p2',
      amountSats: '9223372036854775807',
    });
    await add('/costs', { periodId: '2026-11-23', description: 'crane', currency: 'USD', amount: '120.50' });
    await add('/costs', { periodId: '2026-11-23', description: 'fees', currency: 'BTC', amountSats: '1000' });
    await add('/stakes', {
      stakerId: 'staker-1',
      nodeId: 'node-1',
      amountHss: '12500.25',
      effectiveAt: '2026-11-20T08:00:00Z',
    });
    await add('/stakes', {
      stakerId: 'staker-1',
      nodeId: 'node-1',
      amountHss: '0',
      effectiveAt: '2026-11-21T08:00:00Z',
    });

    const credits = await req('operator', 'GET', '/credits');
    expect(credits.body.map((c: { reference: string }) => c.reference)).toEqual(['p2', 'p1']);
    expect(credits.body[0]).toMatchObject({ periodId: '2026-11-23', amountSats: '9223372036854775807' });
    expect(credits.body[0].enteredBy).toBeTruthy();
    const one = await req('admin', 'GET', '/credits?periodId=2026-11-22');
    expect(one.body).toEqual([expect.objectContaining({ reference: 'p1', amountSats: '12345678' })]);

    const costs = await req('operator', 'GET', '/costs?periodId=2026-11-23');
    expect(costs.body).toEqual([
      expect.objectContaining({ description: 'fees', currency: 'BTC', amount: null, amountSats: '1000' }),
      expect.objectContaining({ description: 'crane', currency: 'USD', amount: '120.5', amountSats: null }),
    ]);

    const stakes = await req('operator', 'GET', '/stakes?limit=10');
    expect(stakes.body.map((s: { amountHss: string }) => s.amountHss)).toEqual(['0', '12500.25']);
    expect(stakes.body[1]).toMatchObject({
      stakerName: 'Alice',
      nodeName: 'Pavlodar 1',
      stakerId: 'staker-1',
    });
    expect((await req('operator', 'GET', '/stakes?limit=1')).body).toHaveLength(1);

    for (const url of ['/credits', '/costs', '/stakes'])
      expect((await req('technician', 'GET', url)).status, url).toBe(403);
    expect((await req('operator', 'GET', '/credits?limit=0')).status).toBe(400);
  });
});
