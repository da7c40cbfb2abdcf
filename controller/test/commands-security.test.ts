import type { Command } from '@hashfleet/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationsJobs } from '../src/operations/index.js';
import { fleetApp } from './operations-fixtures.js';

const T0 = 1_763_900_000_000;
let clock = T0;
const POOL = { op: 'pool.set', url: 'stratum+tcp://good.pool:3333', user: 'hashshare.sc01', password: 'pw' };

describe('pool changes need a second person; technicians cannot change pools; retries are safe', () => {
  let t: Awaited<ReturnType<typeof fleetApp>>;
  let miner: string;
  beforeAll(async () => {
    t = await fleetApp(
      ['P1', 'P2'].map((key) => ({ key, profile: 'braiins-os', model: 'Antminer S19 Pro' })),
      () => clock,
    );
    miner = t.minerIdOf('P1');
  });
  afterAll(async () => t.close());
  const post = (url: string, body: unknown, role: 'admin' | 'operator' | 'technician') =>
    t.app.inject({ method: 'POST', url, payload: body as object, headers: t.auth(role) });

  it('a technician cannot change a pool, single or bulk', async () => {
    const single = await post(`/api/v1/miners/${miner}/commands`, POOL, 'technician');
    expect(single.statusCode).toBe(403);
    const bulk = await post(
      '/api/v1/commands/bulk',
      { selector: { minerIds: [miner] }, action: POOL },
      'technician',
    );
    expect(bulk.statusCode).toBe(403);
    expect(await t.app.hashfleet.db.all(`SELECT id FROM commands WHERE op = 'pool.set'`)).toEqual([]);
  });

  it('the requester cannot approve their own pool change, single or bulk; another operator can', async () => {
    const single = await post(`/api/v1/miners/${miner}/commands`, POOL, 'operator');
    expect(single.json().state).toBe('pending_approval');
    const selfSingle = await post(`/api/v1/commands/${single.json().id}/approve`, {}, 'operator');
    expect(selfSingle.statusCode).toBe(403);
    const bulk = await post(
      '/api/v1/commands/bulk',
      { selector: { containerId: 'sc-c01' }, action: POOL },
      'operator',
    );
    const selfBulk = await post(`/api/v1/commands/bulk/${bulk.json().id}/approve`, {}, 'operator');
    expect(selfBulk.statusCode).toBe(403);
    expect(t.published).toHaveLength(0);
    const ok = await post(`/api/v1/commands/${single.json().id}/approve`, {}, 'admin');
    expect(ok.json().state).toBe('sent');
    expect(t.published).toHaveLength(1);
  });

  it('a command without a result by its expiry becomes expired (audited) and a retry re-signs it with a new id and seq', async () => {
    clock = T0 + 1_000;
    const first = (await post(`/api/v1/miners/${miner}/commands`, { op: 'reboot' }, 'technician')).json();
    const expiry = operationsJobs(t.app.hashfleet).find((j) => j.name === 'commands-expiry')!;
    await expiry.run(clock + 299_000);
    expect((await t.app.hashfleet.commands.get(first.id))!.state).toBe('sent');
    await expiry.run(clock + 301_000);
    expect((await t.app.hashfleet.commands.get(first.id))!.state).toBe('expired');
    const audit = await t.app.hashfleet.db.all<{ action: string; details_json: string }>(
      `SELECT action, details_json FROM audit_log WHERE action = 'command.expired'`,
    );
    expect(audit.some((a) => a.details_json.includes(first.id))).toBe(true);
    clock = T0 + 400_000;
    const retry = await post(`/api/v1/commands/${first.id}/retry`, {}, 'technician');
    expect(retry.statusCode, retry.body).toBe(202);
    expect(retry.json().id).not.toBe(first.id);
    expect(retry.json().seq).toBeGreaterThan(first.seq);
    const sent = JSON.parse(t.published.at(-1)!.payload) as Command;
    expect(sent.id).toBe(retry.json().id);
    expect(sent.expiresAt).toBe(clock + 300_000);
    const again = await post(`/api/v1/commands/${first.id}/retry`, {}, 'technician');
    expect(again.statusCode).toBe(409);
    const listed = (
      await t.app.inject({ url: `/api/v1/commands?miner=${miner}&state=sent`, headers: t.auth('technician') })
    ).json();
    expect(listed.find((c: { id: string }) => c.id === retry.json().id).retryOf).toBe(first.id);
  });

  it('an expired pool change is retried only as a new request awaiting a fresh approval', async () => {
    clock = T0 + 500_000;
    const req = (await post(`/api/v1/miners/${miner}/commands`, POOL, 'operator')).json();
    const approved = (await post(`/api/v1/commands/${req.id}/approve`, {}, 'admin')).json();
    await operationsJobs(t.app.hashfleet)
      .find((j) => j.name === 'commands-expiry')!
      .run(clock + 301_000);
    const before = t.published.length;
    const retry = await post(`/api/v1/commands/${approved.id}/retry`, {}, 'operator');
    expect(retry.json().state).toBe('pending_approval');
    expect(t.published.length).toBe(before);
    expect((await post(`/api/v1/commands/${retry.json().id}/approve`, {}, 'operator')).statusCode).toBe(403);
  });

  it('an outlet cycle with no result is not retried', async () => {
    await t.app.hashfleet.db.run(
      `INSERT INTO commands (id, agent_id, seq, op, target, miner_id, action_json, issuer, requested_by, state, created_at)
       VALUES ('oc1', 'sc-c01', 99, 'outlet.cycle', 'pdu p outlet 1', NULL, '{}', 'x', 'y', 'expired', 1)`,
    );
    const r = await post('/api/v1/commands/oc1/retry', {}, 'operator');
    expect(r.statusCode).toBe(409);
    expect(r.json().message).toMatch(/not safe to repeat/);
  });
});
