import type { Command } from '@hashfleet/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationsJobs } from '../src/operations/index.js';
import { fleetApp } from './operations-fixtures.js';

const T0 = 1_763_900_000_000;
let clock = T0;
const MINERS = ['A1', 'A2', 'A3', 'A4', 'A5'].map((key) => ({
  key,
  profile: 'braiins-os',
  model: 'Antminer S19 Pro',
}));

describe('bulk commands: staggered batches, progress, cancel, approval', () => {
  let t: Awaited<ReturnType<typeof fleetApp>>;
  let jobs: ReturnType<typeof operationsJobs>;
  const run = (name: string, now: number) => jobs.find((j) => j.name === name)!.run(now);
  beforeAll(async () => {
    t = await fleetApp(MINERS, () => clock);
    jobs = operationsJobs(t.app.hashfleet);
  });
  afterAll(async () => t.close());
  const post = (url: string, body: unknown, role: 'admin' | 'operator' | 'technician') =>
    t.app.inject({ method: 'POST', url, payload: body as object, headers: t.auth(role) });
  const job = async (id: string) =>
    (await t.app.inject({ url: `/api/v1/commands/bulk/${id}`, headers: t.auth('operator') })).json();

  it('sends batches of batchSize in selection order, each only after the pause has passed', async () => {
    clock = T0;
    const res = await post(
      '/api/v1/commands/bulk',
      { selector: { containerId: 'sc-c01' }, action: { op: 'sleep' }, batchSize: 2, pauseS: 60 },
      'operator',
    );
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json().id;
    expect(res.json().state).toBe('running');
    const sentKeys = () =>
      t.published
        .map((p) => (JSON.parse(p.payload) as Command).action.target)
        .map((x) => ('minerKey' in x ? x.minerKey : ''));
    await run('bulk-commands', T0);
    expect(sentKeys()).toEqual(['A1', 'A2']);
    await run('bulk-commands', T0 + 59_999);
    expect(sentKeys()).toHaveLength(2);
    await run('bulk-commands', T0 + 60_000);
    expect(sentKeys()).toEqual(['A1', 'A2', 'A3', 'A4']);
    await run('bulk-commands', T0 + 100_000);
    expect(sentKeys()).toHaveLength(4);
    await run('bulk-commands', T0 + 120_000);
    expect(sentKeys()).toEqual(['A1', 'A2', 'A3', 'A4', 'A5']);
    const j = await job(id);
    expect(j.items.map((i: { batch: number; sentAt: number }) => [i.batch, i.sentAt])).toEqual([
      [0, T0],
      [0, T0],
      [1, T0 + 60_000],
      [1, T0 + 60_000],
      [2, T0 + 120_000],
    ]);
    expect(j.progress).toEqual({ sent: 5 });
    // Results come back: the items and then the job finish.
    const commands = (
      await t.app.inject({ url: `/api/v1/commands?bulk=${id}`, headers: t.auth('operator') })
    ).json();
    expect(commands).toHaveLength(5);
    for (const c of commands)
      await t.app.hashfleet.db.run(
        `UPDATE commands SET state = 'succeeded', result_status = 'succeeded' WHERE id = ?`,
        [c.id],
      );
    await run('bulk-commands', T0 + 130_000);
    const done = await job(id);
    expect(done.state).toBe('done');
    expect(done.progress).toEqual({ succeeded: 5 });
    const audit = await t.app.hashfleet.db.all<{ action: string }>(
      `SELECT action FROM audit_log WHERE subject LIKE ? ORDER BY at`,
      [`bulk ${id}%`],
    );
    expect(audit.map((a) => a.action)).toEqual([
      'bulk.create',
      'bulk.batch',
      'bulk.batch',
      'bulk.batch',
      'bulk.done',
    ]);
  });

  it('refuses a miner no agent polls, naming it by asset code, model and slot, its id only in minerId (issue 19)', async () => {
    const csv = 'serial,model,site,container,rack,slot\nLOST1,Antminer S19 Pro,kz,kz-c9,R3,S7\n';
    const imported = await t.app.inject({
      method: 'POST',
      url: '/api/v1/inventory/miners.csv',
      headers: { ...t.auth('operator'), 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(imported.statusCode, imported.body).toBe(200);
    const res = await post(
      '/api/v1/commands/bulk',
      { selector: { containerId: 'kz-c9' }, action: { op: 'sleep' }, batchSize: 2, pauseS: 0 },
      'operator',
    );
    expect(res.statusCode, res.body).toBe(202);
    const [item] = (await job(res.json().id)).items as { minerId: string; state: string; reason: string }[];
    expect(item!.state).toBe('refused');
    expect(item!.reason).toBe('KZ-C9-R3-S07 (Antminer S19 Pro, kz-c9 R3/S7): no agent polls it');
    expect(item!.minerId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a cancelled job sends no further batch and says which miners were not sent', async () => {
    const before = t.published.length;
    const res = await post(
      '/api/v1/commands/bulk',
      { selector: { containerId: 'sc-c01' }, action: { op: 'wake' }, batchSize: 3, pauseS: 300 },
      'operator',
    );
    const id = res.json().id;
    await run('bulk-commands', clock);
    expect(t.published.length - before).toBe(3);
    const cancel = await post(`/api/v1/commands/bulk/${id}/cancel`, {}, 'technician');
    expect(cancel.statusCode, cancel.body).toBe(200);
    await run('bulk-commands', clock + 3_600_000);
    expect(t.published.length - before).toBe(3);
    const j = await job(id);
    expect(j.state).toBe('cancelled');
    expect(j.progress).toEqual({ sent: 3, cancelled: 2 });
  });

  it('a bulk pool change waits for one approval by a second person, then every command carries it', async () => {
    const pool = {
      op: 'pool.set',
      url: 'stratum+tcp://good.pool:3333',
      user: 'hashshare.sc01',
      password: 'x',
    };
    const denied = await post(
      '/api/v1/commands/bulk',
      { selector: { containerId: 'sc-c01' }, action: pool },
      'technician',
    );
    expect(denied.statusCode).toBe(403);
    expect(denied.json().message).toMatch(/technician may not pool\.set/);
    const res = await post(
      '/api/v1/commands/bulk',
      { selector: { containerId: 'sc-c01' }, action: pool, batchSize: 5, pauseS: 0 },
      'operator',
    );
    const id = res.json().id;
    expect(res.json().state).toBe('pending_approval');
    const before = t.published.length;
    await run('bulk-commands', clock);
    expect(t.published.length).toBe(before);
    const self = await post(`/api/v1/commands/bulk/${id}/approve`, {}, 'operator');
    expect(self.statusCode).toBe(403);
    expect(self.json().message).toMatch(/requester cannot approve/);
    const tech = await post(`/api/v1/commands/bulk/${id}/approve`, {}, 'technician');
    expect(tech.statusCode).toBe(403);
    const ok = await post(`/api/v1/commands/bulk/${id}/approve`, {}, 'admin');
    expect(ok.statusCode, ok.body).toBe(202);
    await run('bulk-commands', clock);
    expect(t.published.length - before).toBe(5);
    const rows = await t.app.hashfleet.db.all<{ requested_by: string; approved_by: string; state: string }>(
      'SELECT requested_by, approved_by, state FROM commands WHERE bulk_job_id = ?',
      [id],
    );
    expect(rows).toHaveLength(5);
    for (const r of rows) {
      expect(r.state).toBe('sent');
      expect(r.approved_by).not.toBe(r.requested_by);
    }
    expect(JSON.stringify(await job(id))).not.toContain('"x"');
  });
});
