import { exampleBirth, exampleSample, exampleTelemetry, topics } from '@hashfleet/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../src/core/auth/tokens.js';
import { miner, scenario } from '../src/relocation/examples.js';
import { testApp } from './helpers.js';

/**
 * The approvals inbox (issue 19 item 6): one list of every change waiting for a second person (a
 * pool change, a bulk pool change, a relocation plan), each with its requester's name, whether the
 * caller may approve it (never their own), where to approve it, and a reject that takes it out of
 * every list and the audit log names who did it.
 */
type Item = {
  kind: string;
  id: string;
  op: string;
  title: string | null;
  requestedBy: string;
  mine: boolean;
  canApprove: boolean;
  refusal: string | null;
  pool: { url: string; user: string } | null;
  miner: { minerId: string; serial: string | null } | null;
  scope: { containerId: string | null; miners: number } | null;
  plan: { moveCount: number } | null;
  approvePath: string;
  rejectPath: string;
};

const T0 = exampleSample.at;
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const POOL = { op: 'pool.set', url: 'stratum+tcp://good.pool:3333', user: 'hashshare.sc01', password: 'pw' };

describe('approvals inbox', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  let clock = T0;
  let second: string;
  let minerId: string;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const inbox = async (token: string) => {
    const res = await t.app.inject({ url: '/api/v1/approvals', headers: as(token) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Item[];
  };
  const post = (url: string, token: string, payload: object = {}) => {
    clock += 1_000;
    return t.app.inject({ method: 'POST', url: `/api/v1${url}`, payload, headers: as(token) });
  };

  beforeAll(async () => {
    t = await testApp({}, () => clock);
    // The example agent is bound to its container, so its messages are taken (agent_places).
    const bound = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: t.auth('admin'),
      payload: {
        role: 'agent',
        name: exampleBirth.agentId,
        places: [{ siteId: exampleBirth.siteId, containerId: exampleBirth.containerId }],
      },
    });
    expect(bound.statusCode, bound.body).toBe(201);
    const ingest = t.app.hashfleet.ingest;
    await ingest.handle(topics.birth('sc-c01'), enc(exampleBirth));
    await ingest.handle(topics.telemetry('sc-c01'), enc({ ...exampleTelemetry, seq: 2 }));
    t.app.hashfleet.commands.attach(async () => {});
    minerId = (await t.app.hashfleet.db.get<{ id: string }>('SELECT id FROM miners'))!.id;
    second = await createToken(t.app.hashfleet.db, { role: 'operator', name: 'operator-2' });
  });
  afterAll(async () => t?.close());

  it('lists a pool change, a bulk pool change and a proposed plan by name, approvable by another operator only', async () => {
    const one = await post(`/miners/${minerId}/commands`, t.tokens.operator, POOL);
    expect(one.statusCode, one.body).toBe(202);
    const bulk = await post('/commands/bulk', t.tokens.operator, {
      selector: { containerId: exampleBirth.containerId },
      action: POOL,
      batchSize: 5,
      pauseS: 0,
    });
    expect(bulk.statusCode, bulk.body).toBe(202);
    const plan = await post('/relocation/plans', t.tokens.operator, {
      name: 'winter move',
      input: scenario({ miners: [miner('a', 'm20s')] }),
    });
    expect(plan.statusCode, plan.body).toBe(201);

    const mine = await inbox(t.tokens.operator);
    expect(mine.map((i) => i.kind)).toEqual(['command', 'bulk', 'relocation']);
    for (const i of mine) {
      expect(i).toMatchObject({ requestedBy: 'operator-1', mine: true, canApprove: false });
      expect(i.refusal).toMatch(/own request/);
    }
    const [cmd, job, proposed] = mine;
    expect(cmd!.pool).toEqual({ url: POOL.url, user: POOL.user });
    expect(JSON.stringify(mine)).not.toContain(POOL.password);
    const serial = (await t.app.hashfleet.db.get<{ serial: string }>('SELECT serial FROM miners'))!.serial;
    expect(serial).toBeTruthy();
    expect(cmd!.miner).toMatchObject({ minerId, serial });
    expect(job!.scope).toMatchObject({ containerId: exampleBirth.containerId, miners: 1 });
    expect(proposed).toMatchObject({ title: 'winter move', op: 'relocation.plan' });

    const theirs = await inbox(second);
    expect(theirs.map((i) => [i.kind, i.mine, i.canApprove])).toEqual([
      ['command', false, true],
      ['bulk', false, true],
      ['relocation', false, true],
    ]);
    // The requester's approve is refused by each kind's own route; the second operator's is taken.
    for (const i of mine) expect((await post(i.approvePath, t.tokens.operator)).statusCode).toBe(403);
    for (const i of theirs) {
      const res = await post(i.approvePath, second);
      expect(res.statusCode, `${i.kind}: ${res.body}`).toBeLessThan(300);
    }
    expect(await inbox(second)).toEqual([]);
  });

  it('a reject takes the change out of the inbox, leaves it unsent, and is audited by name', async () => {
    const one = await post(`/miners/${minerId}/commands`, t.tokens.operator, POOL);
    const bulk = await post('/commands/bulk', t.tokens.operator, {
      selector: { containerId: exampleBirth.containerId },
      action: POOL,
      batchSize: 5,
      pauseS: 0,
    });
    const plan = await post('/relocation/plans', t.tokens.operator, {
      name: 'spring move',
      input: scenario({ miners: [miner('b', 'm20s')] }),
    });
    const waiting = await inbox(second);
    expect(waiting.map((i) => i.id)).toEqual([one.json().id, bulk.json().id, plan.json().id]);
    // A technician may not turn anything down.
    expect((await post(waiting[0]!.rejectPath, t.tokens.technician)).statusCode).toBe(403);
    for (const i of waiting) {
      const res = await post(i.rejectPath, second, { reason: 'wrong pool' });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ kind: i.kind, id: i.id, state: 'rejected' });
    }
    expect(await inbox(t.tokens.operator)).toEqual([]);
    // Rejected twice, or approved after a reject: nothing waits any more.
    expect((await post(waiting[0]!.rejectPath, second)).statusCode).toBe(404);
    expect((await post(waiting[0]!.approvePath, second)).statusCode).toBe(409);
    expect((await post(waiting[1]!.approvePath, second)).statusCode).toBe(409);
    expect((await post(waiting[2]!.approvePath, second)).statusCode).toBe(409);

    const db = t.app.hashfleet.db;
    expect(await db.get('SELECT state, seq FROM commands WHERE id = ?', [one.json().id])).toEqual({
      state: 'rejected',
      seq: null,
    });
    expect(await db.all('SELECT DISTINCT state FROM bulk_items WHERE job_id = ?', [bulk.json().id])).toEqual([
      { state: 'cancelled' },
    ]);
    const plans = (await t.app.inject({ url: '/api/v1/relocation/plans', headers: as(second) })).json();
    expect(plans.find((p: { id: string }) => p.id === plan.json().id).state).toBe('rejected');

    const audit = (
      await t.app.inject({ url: '/api/v1/audit?limit=1000', headers: t.auth('admin') })
    ).json() as { action: string; actor: { name: string } }[];
    expect(audit.filter((a) => a.action.endsWith('.reject')).map((a) => [a.action, a.actor.name])).toEqual(
      expect.arrayContaining([
        ['command.reject', 'operator-2'],
        ['bulk.reject', 'operator-2'],
        ['relocation.plan.reject', 'operator-2'],
      ]),
    );
  });

  it('the requester may withdraw their own request; a technician sees no inbox', async () => {
    const one = await post(`/miners/${minerId}/commands`, t.tokens.operator, POOL);
    const [item] = await inbox(t.tokens.operator);
    expect(item!.id).toBe(one.json().id);
    expect((await post(item!.rejectPath, t.tokens.operator)).statusCode).toBe(200);
    const tech = await t.app.inject({ url: '/api/v1/approvals', headers: t.auth('technician') });
    expect(tech.statusCode).toBe(403);
  });

  it('names the ids an audit entry carries: a plan by its name, a job and a command by their operation and miner', async () => {
    const one = await post(`/miners/${minerId}/commands`, t.tokens.operator, POOL);
    const plan = await post('/relocation/plans', t.tokens.operator, {
      name: 'autumn move',
      input: scenario({ miners: [miner('c', 'm20s')] }),
    });
    const audit = (
      await t.app.inject({ url: '/api/v1/audit?limit=1000', headers: t.auth('admin') })
    ).json() as {
      action: string;
      subject: string;
      details: { jobId?: string };
    }[];
    const jobId = audit.find((a) => a.action === 'bulk.reject')!.details.jobId!;
    const res = await post('/names', t.tokens.technician, {
      ids: [one.json().id, plan.json().id, jobId, minerId, 'no-such-id'],
    });
    expect(res.statusCode, res.body).toBe(200);
    const names = res.json();
    const place = names[minerId].name as string;
    expect(place).toMatch(new RegExp(`^${exampleBirth.containerId} `));
    expect(names).toEqual({
      [one.json().id]: { kind: 'command', name: `pool.set ${place}`, minerId },
      [plan.json().id]: { kind: 'plan', name: 'autumn move', minerId: null },
      [jobId]: { kind: 'bulk', name: 'pool.set', minerId: null },
      [minerId]: { kind: 'miner', name: place, minerId },
    });
  });
});
