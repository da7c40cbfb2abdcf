import { createPublicKey, verify } from 'node:crypto';
import {
  type Command,
  commandSigningBytes,
  exampleBirth,
  examplePower,
  exampleResult,
  exampleSample,
  exampleTelemetry,
  topics,
} from '@hashfleet/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flatTariff } from '../src/fleet/inventory/types.js';
import { testApp } from './helpers.js';

const T0 = exampleSample.at;
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe('HTTP API over ingested state', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  const published: { topic: string; payload: string }[] = [];
  let minerId: string;

  beforeAll(async () => {
    t = await testApp({}, () => T0 + 5_000);
    const ingest = t.app.hashfleet.ingest;
    await ingest.handle(topics.birth('sc-c01'), enc(exampleBirth));
    await ingest.handle(topics.power('sc-c01'), enc({ ...examplePower, seq: 1 }));
    await ingest.handle(topics.telemetry('sc-c01'), enc({ ...exampleTelemetry, seq: 2 }));
    // Records what the broker link would publish, to check the signed command itself.
    t.app.hashfleet.commands.attach(async (topic, payload) => {
      published.push({ topic, payload });
    });
    const m = await t.app.hashfleet.db.get<{ id: string }>('SELECT id FROM miners');
    minerId = m!.id;
  });
  afterAll(async () => t.close());

  const get = (url: string, role: Parameters<typeof t.auth>[0] = 'operator') =>
    t.app.inject({ url, headers: t.auth(role) });
  const post = (url: string, body: unknown, role: Parameters<typeof t.auth>[0] = 'operator') =>
    t.app.inject({ method: 'POST', url, payload: body as object, headers: t.auth(role) });

  it('lists sites with roll-ups; metered PDU power replaces the miners’ estimate', async () => {
    const [site] = (await get('/api/v1/sites')).json();
    expect(site).toMatchObject({
      id: 'sichuan',
      hashrateThs: 110.2,
      expectedThs: 110,
      online: 1,
      hashing: 1,
      total: 1,
    });
    expect(site.powerProvenance).toEqual({ reported: 0, estimated: 0, metered: 39_000 });
    expect(site.efficiencyJPerTh).toBeCloseTo(39_000 / 110.2);
  });

  it('updates a site (audited) and reports the tariff in force', async () => {
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/sites/sichuan',
      headers: t.auth('admin'),
      payload: {
        name: 'Sichuan',
        timezone: 'Asia/Shanghai',
        capacityMw: 20,
        capacitySlots: 5000,
        tariff: flatTariff(0.045),
      },
    });
    expect(res.statusCode).toBe(200);
    expect((await get('/api/v1/sites/sichuan')).json()).toMatchObject({
      name: 'Sichuan',
      tariffNowUsdPerKwh: 0.045,
    });
    const audit = (await get('/api/v1/audit', 'admin')).json();
    expect(audit[0]).toMatchObject({
      action: 'site.upsert',
      subject: 'site sichuan',
      actor: { role: 'admin' },
    });
    expect((await get('/api/v1/audit', 'operator')).statusCode).toBe(403);
  });

  it('shows the container slot grid with current values and the outlet', async () => {
    const c = (await get('/api/v1/containers/sc-c01')).json();
    const slot = c.racks.find((r: { rack: string }) => r.rack === 'R03').slots[0];
    expect(slot).toMatchObject({
      slot: '12',
      minerId,
      serial: 'HTM3X1234',
      state: 'hashing',
      hashrateThs: 110.2,
      chipTempMaxC: 72,
      online: true,
      outlet: { pduId: 'pdu-r03', outlet: 12, powerW: 3250 },
    });
    expect(c.hottest[0]).toMatchObject({ minerId, chipTempMaxC: 72 });
  });

  it('searches miners by IP and returns detail with identities and location history', async () => {
    const list = (await get('/api/v1/miners?q=10.0.4.17')).json();
    expect(list.total).toBe(1);
    expect((await get('/api/v1/miners?q=nothing-like-this')).json().total).toBe(0);
    const detail = (await get(`/api/v1/miners/${minerId}`)).json();
    expect(detail.sample.boards).toHaveLength(1);
    expect(detail.identities.map((i: { kind: string }) => i.kind).sort()).toEqual(['ip', 'mac', 'serial']);
    expect(detail.locations[0]).toMatchObject({ slotId: 'sc-c01/R03/12', status: 'in_service' });
    const history = (
      await get(`/api/v1/miners/${minerId}/history?from=${T0 - 3_600_000}&to=${T0 + 60_000}&stepS=60`)
    ).json();
    expect(history).toEqual({
      source: 'sql',
      points: [{ at: Math.floor(T0 / 60_000) * 60_000, hashrateThs: 110.2, chipTempMaxC: 72, powerW: 3250 }],
    });
  });

  it('rejects a bad query with the field named', async () => {
    const res = await get('/api/v1/miners?limit=-1');
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/query\.limit/);
  });

  it('keeps stakers away from fleet data', async () => {
    expect((await get('/api/v1/miners', 'staker')).statusCode).toBe(403);
  });

  it('poll.stop and poll.resume: an operator may take a miner out of polling, a technician may not', async () => {
    const denied = await post(`/api/v1/miners/${minerId}/commands`, { op: 'poll.stop' }, 'technician');
    expect(denied.statusCode).toBe(403);
    expect(denied.json().message).toMatch(/may not poll\.stop; requires one of: operator, admin/);
    for (const op of ['poll.stop', 'poll.resume']) {
      const r = await post(`/api/v1/miners/${minerId}/commands`, { op }, 'operator');
      expect(r.statusCode, r.body).toBe(202);
      const cmd = JSON.parse(published.at(-1)!.payload) as Command;
      expect(cmd.action).toEqual({ op, target: { kind: 'miner', minerKey: 'SN-HTM3X1234' } });
    }
  });

  it('signs a reboot with a per-agent increasing seq; a technician may not change power', async () => {
    const a = await post(`/api/v1/miners/${minerId}/commands`, { op: 'reboot' }, 'technician');
    expect(a.statusCode).toBe(202);
    const b = await post(`/api/v1/miners/${minerId}/commands`, { op: 'restart' }, 'technician');
    expect(b.json().seq).toBe(a.json().seq + 1);
    const denied = await post(
      `/api/v1/miners/${minerId}/commands`,
      { op: 'power.target', watts: 3000 },
      'technician',
    );
    expect(denied.statusCode).toBe(403);
    expect(denied.json().message).toMatch(/requires one of: operator, admin/);
    const cmd = JSON.parse(published.at(-1)!.payload) as Command;
    expect(published.at(-1)!.topic).toBe(topics.commands('sc-c01'));
    const key = (await get('/api/v1/agents/command-key', 'agent')).json();
    const ok = verify(
      null,
      commandSigningBytes(cmd),
      createPublicKey(key.publicKeyPem),
      Buffer.from(cmd.signature.sig, 'base64'),
    );
    expect(ok).toBe(true);
    expect(cmd.action).toEqual({ op: 'restart', target: { kind: 'miner', minerKey: 'SN-HTM3X1234' } });
  });

  it('needs a second person to approve pool.set, and records the agent’s result', async () => {
    const req = await post(`/api/v1/miners/${minerId}/commands`, {
      op: 'pool.set',
      url: 'stratum+tcp://pool:3333',
      user: 'w',
      password: 'secret',
    });
    expect(req.json().state).toBe('pending_approval');
    const id = req.json().id;
    const self = await post(`/api/v1/commands/${id}/approve`, {}, 'operator');
    expect(self.statusCode).toBe(403);
    const tech = await post(`/api/v1/commands/${id}/approve`, {}, 'technician');
    expect(tech.statusCode).toBe(403);
    const approved = await post(`/api/v1/commands/${id}/approve`, {}, 'admin');
    expect(approved.statusCode).toBe(202);
    const seq = approved.json().seq;
    await t.app.hashfleet.ingest.handle(
      topics.results('sc-c01'),
      enc({ ...exampleResult, seq: 50, commandId: id, commandSeq: seq, status: 'succeeded' }),
    );
    const view = (await get(`/api/v1/commands/${id}`)).json();
    expect(view).toMatchObject({ state: 'succeeded', op: 'pool.set', action: { password: '***' } });
    const audit = (await get('/api/v1/audit', 'admin')).json();
    expect(audit.map((a: { action: string }) => a.action)).toEqual(
      expect.arrayContaining(['command.request', 'command.approve']),
    );
    expect(JSON.stringify(audit)).not.toContain('secret');
  });

  it('cycles a PDU outlet', async () => {
    const res = await post(
      '/api/v1/pdus/pdu-r03/outlets/12/commands',
      { op: 'outlet.cycle', offSeconds: 5 },
      'technician',
    );
    expect(res.statusCode).toBe(202);
    const cmd = JSON.parse(published.at(-1)!.payload) as Command;
    expect(cmd.action).toEqual({
      op: 'outlet.cycle',
      target: { kind: 'outlet', pduId: 'pdu-r03', outlet: 12 },
      offSeconds: 5,
    });
  });

  it('lists agents and events', async () => {
    const [agent] = (await get('/api/v1/agents')).json();
    expect(agent).toMatchObject({
      id: 'sc-c01',
      siteId: 'sichuan',
      containerId: 'sc-c01',
      pollIntervalMs: 30_000,
    });
    const events = (await get('/api/v1/events?kind=miner.')).json();
    expect(events.map((e: { kind: string }) => e.kind)).toContain('miner.new');
  });
});
