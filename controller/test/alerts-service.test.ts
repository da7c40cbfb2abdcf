import { createHmac, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type Events,
  exampleEvents,
  exampleSample,
  exampleTelemetry,
  type MinerSample,
  type Telemetry,
  topics,
} from '@hashfleet/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsFor } from '../src/alerts/index.js';
import { verifyWebhookSignature } from '../src/alerts/signature.js';
import { loadControllerConfig } from '../src/core/config.js';
import { tempDir, testApp } from './helpers.js';

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const T0 = exampleSample.at;
const POLL = 30_000;
/** A healthy S19 Pro: all three boards hashing (the contract's example shows one board only). */
const healthy: MinerSample = {
  ...exampleSample,
  boards: [1, 2, 3].map((index) => ({ ...exampleSample.boards[0]!, index })),
};

describe('alert service over ingested telemetry (SQLite, manual clock)', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  let clock = T0;
  let seq = 1;
  let alerts: ReturnType<typeof alertsFor>;
  beforeEach(async () => {
    clock = T0;
    seq = 1;
    t = await testApp({}, () => clock);
    alerts = alertsFor(t.app.hashfleet);
  });
  afterEach(async () => t.close());

  /** One poll: the agent's batch at the current clock, then one evaluation. */
  async function poll(over: Partial<MinerSample> = {}, batch: Partial<Telemetry> = {}) {
    clock += POLL;
    const s: MinerSample = { ...healthy, at: clock, ...over };
    const msg: Telemetry = {
      ...exampleTelemetry,
      seq: seq++,
      sentAt: clock,
      samples: [s],
      unreachable: [],
      ...batch,
    };
    expect(await t.app.hashfleet.ingest.handle(topics.telemetry('sc-c01'), enc(msg))).toBe('applied');
    return alerts.tick(clock);
  }
  const rows = () =>
    t.app.hashfleet.db.all<{ kind: string; state: string; value: number; message: string }>(
      'SELECT kind, state, value, message FROM alerts ORDER BY opened_at',
    );

  it('a hot chip opens chip_overtemp after two polls, updates, and resolves only below the clear line', async () => {
    await poll({ chipTempMaxC: 96 });
    expect(await rows()).toEqual([]);
    const r = await poll({ chipTempMaxC: 96 });
    expect(r.opened).toBe(1);
    expect(await rows()).toEqual([
      { kind: 'chip_overtemp', state: 'open', value: 96, message: 'chip 96 °C ≥ 90 °C' },
    ]);
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('hashfleet_alerts_open{kind="chip_overtemp",severity="critical"} 1');
    expect(metrics).toContain('hashfleet_alert_transitions_total{kind="chip_overtemp",transition="open"} 1');
    await poll({ chipTempMaxC: 88 });
    await poll({ chipTempMaxC: 88 });
    expect((await rows())[0]).toMatchObject({ state: 'open', value: 88 });
    await poll({ chipTempMaxC: 80 });
    expect((await rows())[0]!.state).toBe('open');
    await poll({ chipTempMaxC: 80 });
    expect((await rows()).map((a) => a.state)).toEqual(['resolved']);
  });

  it('one noisy sample never fires hashrate_low; a sustained drop does, judged by the median', async () => {
    for (let i = 0; i < 12; i++) await poll();
    await poll({ hashrate5sThs: 20 });
    for (let i = 0; i < 4; i++) await poll();
    expect(await rows()).toEqual([]);
    for (let i = 0; i < 16; i++) await poll({ hashrate5sThs: 60 });
    const [a] = await rows();
    expect(a).toMatchObject({ kind: 'hashrate_low', state: 'open' });
    expect(a!.message).toMatch(/^hashrate median 60 TH\/s is 55 % of expected 110 TH\/s/);
  });

  it('a sleeping miner does not alert, and an open alert resolves when the miner is put to sleep', async () => {
    await poll({ state: 'sleeping', chipTempMaxC: 97 });
    await poll({ state: 'sleeping', chipTempMaxC: 97 });
    await poll({ state: 'sleeping', chipTempMaxC: 97 });
    expect(await rows()).toEqual([]);
    await poll({ chipTempMaxC: 97 });
    await poll({ chipTempMaxC: 97 });
    expect((await rows()).map((a) => a.state)).toEqual(['open']);
    await poll({ state: 'sleeping', chipTempMaxC: 97 });
    const [a] = await t.app.hashfleet.db.all<{ state: string; details_json: string }>(
      'SELECT state, details_json FROM alerts',
    );
    expect(a!.state).toBe('resolved');
    expect(JSON.parse(a!.details_json)).toMatchObject({
      resolvedBecause: 'miner reports sleeping',
      resolvedBy: 'suppressed',
    });
  });

  it('a miner idle for no known reason (a paused Braiins OS: rate 0, no sleep flag) raises hashrate_low; once its agent slept it on its own, it resolves as suppressed', async () => {
    for (let i = 0; i < 4; i++) await poll();
    for (let i = 0; i < 24; i++) await poll({ state: 'idle', hashrate5sThs: 0, hashrateAvgThs: 0 });
    const [a] = await rows();
    expect(a).toMatchObject({ kind: 'hashrate_low', state: 'open' });
    expect(a!.message).toMatch(/^hashrate median 0 TH\/s is 0 % of expected/);
    const event: Events = {
      ...exampleEvents,
      seq: seq++,
      sentAt: clock,
      events: [
        {
          type: 'safety.action',
          at: clock,
          minerKey: healthy.minerKey,
          ip: healthy.ip,
          ruleId: 'chip-hot',
          revision: 1,
          metric: 'chipTempMaxC',
          value: 97,
          limit: 95,
          polls: 2,
          action: 'sleep',
          connected: true,
          status: 'succeeded',
          message: 'slept',
        },
      ],
    };
    expect(await t.app.hashfleet.ingest.handle(topics.events('sc-c01'), enc(event))).toBe('applied');
    await poll({ state: 'idle', hashrate5sThs: 0, hashrateAvgThs: 0 });
    const [after] = await t.app.hashfleet.db.all<{ state: string; details_json: string }>(
      'SELECT state, details_json FROM alerts',
    );
    expect(after!.state).toBe('resolved');
    expect(JSON.parse(after!.details_json)).toMatchObject({
      resolvedBy: 'suppressed',
      resolvedBecause: 'its agent did sleep on its own (local safety)',
    });
  });

  it('an unreachable miner raises offline; with its agent silent, agent_offline is raised instead of every miner', async () => {
    await poll();
    const unreachable = [
      {
        minerKey: exampleSample.minerKey,
        ip: exampleSample.ip,
        at: 0,
        error: 'connect ECONNREFUSED',
        since: 0,
      },
    ];
    const down = async () => {
      clock += POLL;
      unreachable[0]!.at = clock;
      const msg: Telemetry = { ...exampleTelemetry, seq: seq++, sentAt: clock, samples: [], unreachable };
      await t.app.hashfleet.ingest.handle(topics.telemetry('sc-c01'), enc(msg));
      return alerts.tick(clock);
    };
    await down();
    await down();
    expect(await rows()).toEqual([
      {
        kind: 'offline',
        state: 'open',
        value: expect.any(Number),
        message: 'no answer: connect ECONNREFUSED',
      },
    ]);
    // The agent goes quiet for longer than ingest.offlineAfterS: one agent alert, the miner's stays as it was.
    clock += 200_000;
    await alerts.tick(clock);
    const kinds = (await rows()).map((a) => `${a.kind}:${a.state}`);
    expect(kinds).toEqual(['offline:open', 'agent_offline:open']);
  });

  it('the worker changing behind our back raises worker_changed at once; a pool outside the site list raises pool_not_allowed', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/alert-rules',
      headers: t.auth('operator'),
      payload: {
        kind: 'pool_not_allowed',
        scope: 'site',
        scopeId: 'sichuan',
        params: { allowedPools: ['pool.example:3333'] },
      },
    });
    expect(created.statusCode).toBe(201);
    await poll();
    await poll();
    expect(await rows()).toEqual([]);
    await poll({ pool: { url: 'stratum+tcp://btc.hijack.example:3333', user: 'intruder.worker1' } });
    const r = await rows();
    expect(r.map((a) => a.kind).sort()).toEqual(['pool_not_allowed', 'worker_changed']);
    expect(r.find((a) => a.kind === 'worker_changed')!.message).toBe(
      'worker intruder.worker1 on stratum+tcp://btc.hijack.example:3333; last known-good worker hashshare.sc01',
    );
    await poll();
    expect((await rows()).map((a) => a.state)).toEqual(['resolved', 'resolved']);
  });

  it('at most one open alert per (rule, subject): the database refuses a second', async () => {
    await poll({ chipTempMaxC: 96 });
    await poll({ chipTempMaxC: 96 });
    const db = t.app.hashfleet.db;
    await expect(
      db.run(
        `INSERT INTO alerts (id, rule_id, kind, subject, severity, state, opened_at, updated_at, message, details_json)
         SELECT 'dup', rule_id, kind, subject, severity, 'open', opened_at, updated_at, message, details_json FROM alerts`,
      ),
    ).rejects.toThrow(/UNIQUE/i);
  });

  describe('webhooks', () => {
    let server: Server;
    let url = '';
    let failFirst = 0;
    const received: { key: string; body: Record<string, unknown> }[] = [];
    beforeEach(async () => {
      received.length = 0;
      failFirst = 0;
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (d) => {
          body += d;
        });
        req.on('end', () => {
          if (failFirst > 0) {
            failFirst--;
            res.writeHead(503).end('busy');
            return;
          }
          received.push({ key: String(req.headers['idempotency-key']), body: JSON.parse(body) });
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const hook = await t.app.inject({
        method: 'POST',
        url: '/api/v1/alert-webhooks',
        headers: t.auth('admin'),
        payload: { url },
      });
      expect(hook.statusCode).toBe(201);
    });
    afterEach(async () => new Promise<void>((r) => server.close(() => r())));

    it('a webhook failing twice gets the alert on the third attempt after back-off, and a restarted controller does not lose it', async () => {
      failFirst = 2;
      await poll({ chipTempMaxC: 96 });
      await poll({ chipTempMaxC: 96 });
      expect(await alerts.deliver(clock)).toEqual({ delivered: 0, failed: 1, dead: 0 });
      // Not due again before its back-off (5 s).
      expect(await alerts.deliver(clock + 1000)).toEqual({ delivered: 0, failed: 0, dead: 0 });
      expect(await alerts.deliver(clock + 5_000)).toEqual({ delivered: 0, failed: 1, dead: 0 });
      // A new service (as after a restart) finds the pending row in the outbox.
      const restarted = alertsFor(t.app.hashfleet);
      expect(await restarted.deliver(clock + 16_000)).toEqual({ delivered: 1, failed: 0, dead: 0 });
      expect(await restarted.deliver(clock + 60_000)).toEqual({ delivered: 0, failed: 0, dead: 0 });
      expect(received).toHaveLength(1);
      const [{ key, body }] = received as [(typeof received)[0]];
      expect(body).toMatchObject({
        id: key,
        event: 'opened',
        alert: { kind: 'chip_overtemp', severity: 'critical', state: 'open' },
        subject: expect.stringMatching(/^miner:/),
        site: 'sichuan',
        container: 'sc-c01',
        rack: 'R03',
        slot: '12',
        value: 96,
        threshold: 90,
        message: 'chip 96 °C ≥ 90 °C',
      });
      expect(body['link']).toMatch(/\/#\/containers\/sc-c01\/miners\//);
      const outbox = await t.app.hashfleet.db.get<{ attempts: number; state: string }>(
        'SELECT attempts, state FROM alert_outbox',
      );
      expect(outbox).toEqual({ attempts: 3, state: 'delivered' });
    });

    it('two deliverers at once (the notify job and another caller, or two replicas) send each outbox row once', async () => {
      await poll({ chipTempMaxC: 96 });
      await poll({ chipTempMaxC: 96 });
      // Both read the same pending row; only the one whose claim moves the row may send it.
      const other = alertsFor(t.app.hashfleet);
      const reports = await Promise.all([alerts.deliver(clock), other.deliver(clock)]);
      expect(reports.map((r) => r.delivered).sort()).toEqual([0, 1]);
      expect(received).toHaveLength(1);
      expect(await alerts.deliver(clock + 60_000)).toEqual({ delivered: 0, failed: 0, dead: 0 });
    });

    it('a flapping miner does not flood: opens beyond the budget are held, with one flapping notice', async () => {
      await t.app.inject({
        method: 'PUT',
        url: '/api/v1/alert-rules/default:chip_overtemp',
        headers: t.auth('operator'),
        payload: { kind: 'chip_overtemp', scope: 'global', forPolls: 1, clearPolls: 1 },
      });
      for (let i = 0; i < 10; i++) {
        await poll({ chipTempMaxC: 97 });
        await poll({ chipTempMaxC: 70 });
      }
      const opened = await t.app.hashfleet.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM alerts');
      expect(opened!.n).toBe(10);
      while ((await alerts.deliver(clock)).delivered > 0);
      const events = received.map((r) => r.body['event']);
      expect(events).toEqual(['opened', 'resolved', 'opened', 'resolved', 'opened', 'resolved', 'flapping']);
    });

    it('a silenced alert is not notified again while the silence lasts; ack and silence are audited', async () => {
      await poll({ chipTempMaxC: 97 });
      await poll({ chipTempMaxC: 97 });
      const [a] = (await (
        await t.app.inject({ url: '/api/v1/alerts?state=open', headers: t.auth('technician') })
      ).json()) as {
        id: string;
      }[];
      const ack = await t.app.inject({
        method: 'POST',
        url: `/api/v1/alerts/${a!.id}/ack`,
        headers: t.auth('technician'),
      });
      expect(ack.json()).toMatchObject({ ackedBy: 'technician-1' });
      const tech = await t.app.inject({
        method: 'POST',
        url: `/api/v1/alerts/${a!.id}/silence`,
        headers: t.auth('technician'),
        payload: { minutes: 60, reason: 'fan on order' },
      });
      expect(tech.statusCode).toBe(403);
      const sil = await t.app.inject({
        method: 'POST',
        url: `/api/v1/alerts/${a!.id}/silence`,
        headers: t.auth('operator'),
        payload: { minutes: 60, reason: 'fan on order' },
      });
      expect(sil.statusCode).toBe(200);
      await poll({ chipTempMaxC: 70 });
      await poll({ chipTempMaxC: 70 });
      await poll({ chipTempMaxC: 97 });
      await poll({ chipTempMaxC: 97 });
      while ((await alerts.deliver(clock)).delivered > 0);
      expect(received.map((r) => r.body['event'])).toEqual(['opened']);
      const audit = await t.app.hashfleet.db.all<{ action: string }>(
        `SELECT action FROM audit_log WHERE action LIKE 'alert%' ORDER BY at`,
      );
      expect(audit.map((r) => r.action)).toEqual(['alert_webhook.create', 'alert.ack', 'alert.silence']);
    });
  });

  describe('signed webhooks', () => {
    const SECRET = 'whsec-0123456789abcdef0123456789abcdef';
    const TOLERANCE_MS = 300_000;
    let server: Server;
    let url = '';
    const verdicts: { ok: boolean; why: string; body: string; header: string }[] = [];

    /** A receiver as README "Signed webhooks" tells one to check, with node:crypto only. */
    function verify(body: string, header: string): string {
      const fields = Object.fromEntries(header.split(',').map((p) => p.split('=') as [string, string]));
      const ts = Number(fields['t']);
      const mac = createHmac('sha256', SECRET).update(`${fields['t']}.${body}`).digest();
      const got = Buffer.from(fields['v1'] ?? '', 'hex');
      if (got.length !== mac.length || !timingSafeEqual(got, mac)) return 'bad signature';
      if (!(Math.abs(clock - ts) <= TOLERANCE_MS)) return 'stale timestamp';
      return 'ok';
    }
    beforeEach(async () => {
      verdicts.length = 0;
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (d: Buffer) => chunks.push(d));
        req.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const header = String(req.headers['x-hashfleet-signature'] ?? '');
          const why = verify(body, header);
          verdicts.push({ ok: why === 'ok', why, body, header });
          res.writeHead(why === 'ok' ? 204 : 401).end();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/signed`;
    });
    afterEach(async () => new Promise<void>((r) => server.close(() => r())));

    const post = (body: string, header: string) =>
      fetch(url, { method: 'POST', body, headers: { 'x-hashfleet-signature': header } }).then(
        (r) => r.status,
      );

    it('a delivery carries t=<ms>,v1=<hmac> that a real receiver verifies; a tampered body or a replay after the tolerance fails', async () => {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/alert-webhooks',
        headers: t.auth('admin'),
        payload: { url, secret: SECRET },
      });
      expect(created.statusCode).toBe(201);
      await poll({ chipTempMaxC: 96 });
      await poll({ chipTempMaxC: 96 });
      expect(await alerts.deliver(clock)).toEqual({ delivered: 1, failed: 0, dead: 0 });
      expect(verdicts.map((v) => v.why)).toEqual(['ok']);
      const [{ body, header }] = verdicts as [(typeof verdicts)[0]];
      expect(header).toMatch(new RegExp(`^t=${clock},v1=[0-9a-f]{64}$`));
      expect(verifyWebhookSignature(SECRET, body, header, clock)).toEqual({ ok: true });

      const tampered = body.replace('"value":96', '"value":60');
      expect(tampered).not.toBe(body);
      expect(await post(tampered, header)).toBe(401);
      expect(verdicts.at(-1)!.why).toBe('bad signature');
      expect(verifyWebhookSignature(SECRET, tampered, header, clock)).toEqual({
        ok: false,
        reason: 'signature mismatch',
      });
      expect(verifyWebhookSignature('another-secret-another-secret-xx', body, header, clock).ok).toBe(false);

      clock += TOLERANCE_MS + 1;
      expect(await post(body, header)).toBe(401);
      expect(verdicts.at(-1)!.why).toBe('stale timestamp');
      expect(verifyWebhookSignature(SECRET, body, header, clock)).toMatchObject({ ok: false });
    });

    it('the secret is never returned by the API nor written to the audit log; a short secret is refused naming it', async () => {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/alert-webhooks',
        headers: t.auth('admin'),
        payload: { url, secret: SECRET },
      });
      expect(created.json()).toMatchObject({ url, signed: true });
      const list = await t.app.inject({ url: '/api/v1/alert-webhooks', headers: t.auth('admin') });
      expect(list.json()).toMatchObject([{ url, signed: true }]);
      const audit = await t.app.hashfleet.db.all<{ details_json: string }>(
        `SELECT details_json FROM audit_log WHERE action = 'alert_webhook.create'`,
      );
      for (const text of [created.body, list.body, ...audit.map((a) => a.details_json)])
        expect(text).not.toContain(SECRET);
      const short = await t.app.inject({
        method: 'POST',
        url: '/api/v1/alert-webhooks',
        headers: t.auth('admin'),
        payload: { url, secret: 'short' },
      });
      expect(short.statusCode).toBe(400);
      expect(short.body).toMatch(/secret must be at least 32 characters/);
    });

    it('an unsigned endpoint gets no signature header', async () => {
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/alert-webhooks',
        headers: t.auth('admin'),
        payload: { url },
      });
      await poll({ chipTempMaxC: 96 });
      await poll({ chipTempMaxC: 96 });
      await alerts.deliver(clock);
      expect(verdicts.map((v) => v.header)).toEqual(['']);
    });
  });

  it('an operator marks the current worker known good (technician 403, audited) and worker_changed resolves on the next tick', async () => {
    await poll();
    await poll({ pool: { url: 'stratum+tcp://pool.example:3333', user: 'hashshare.sc01b' } });
    const [a] = await t.app.hashfleet.db.all<{ miner_id: string; kind: string; state: string }>(
      'SELECT miner_id, kind, state FROM alerts',
    );
    expect(a).toMatchObject({ kind: 'worker_changed', state: 'open' });
    const mark = (role: 'technician' | 'operator', minerId: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/alerts/known-workers',
        headers: t.auth(role),
        payload: { minerId },
      });
    expect((await mark('technician', a!.miner_id)).statusCode).toBe(403);
    expect((await mark('operator', 'no-such-miner')).statusCode).toBe(404);
    const ok = await mark('operator', a!.miner_id);
    expect(ok.json()).toMatchObject({ worker: 'hashshare.sc01b', source: 'operator' });
    await poll({ pool: { url: 'stratum+tcp://pool.example:3333', user: 'hashshare.sc01b' } });
    const [after] = await t.app.hashfleet.db.all<{ state: string; details_json: string }>(
      'SELECT state, details_json FROM alerts',
    );
    expect(after!.state).toBe('resolved');
    expect(JSON.parse(after!.details_json)).toMatchObject({ resolvedBy: 'clear' });
    const audit = await t.app.hashfleet.db.all<{ action: string; actor_name: string; details_json: string }>(
      `SELECT action, actor_name, details_json FROM audit_log WHERE action = 'alert.known_worker'`,
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor_name).toBe('operator-1');
    expect(JSON.parse(audit[0]!.details_json)).toMatchObject({
      worker: 'hashshare.sc01b',
      before: { worker: 'hashshare.sc01', source: 'first_seen' },
    });
    // The mark is newer than any pool.set, and stays: the old worker is now the changed one.
    await poll();
    expect(
      (await t.app.hashfleet.db.all<{ state: string }>(`SELECT state FROM alerts WHERE state = 'open'`))
        .length,
    ).toBe(1);
  });

  it('a site pattern marks its workers known good: a matching worker raises nothing, another still does; technicians cannot add one', async () => {
    await poll();
    const add = (role: 'technician' | 'operator', payload: Record<string, string>) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/alerts/known-worker-patterns',
        headers: t.auth(role),
        payload,
      });
    expect((await add('technician', { siteId: 'sichuan', pattern: 'hashshare.*' })).statusCode).toBe(403);
    expect((await add('operator', { siteId: 'nowhere', pattern: 'hashshare.*' })).statusCode).toBe(404);
    expect((await add('operator', { siteId: 'sichuan', pattern: '**' })).body).toMatch(
      /pattern must name something besides \*/,
    );
    expect((await add('operator', { siteId: 'sichuan', pattern: 'hashshare.*' })).statusCode).toBe(201);
    expect((await add('operator', { siteId: 'sichuan', pattern: 'hashshare.*' })).statusCode).toBe(409);
    await poll({ pool: { url: 'stratum+tcp://pool.example:3333', user: 'hashshare.sc01-spare' } });
    expect(await rows()).toEqual([]);
    await poll({ pool: { url: 'stratum+tcp://pool.example:3333', user: 'intruder.w1' } });
    expect((await rows()).map((r) => `${r.kind} ${r.state}`)).toEqual(['worker_changed open']);
    const del = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/alerts/known-worker-patterns?siteId=sichuan&pattern=hashshare.*',
      headers: t.auth('admin'),
    });
    expect(del.statusCode).toBe(204);
    const audit = await t.app.hashfleet.db.all<{ action: string }>(
      `SELECT action FROM audit_log WHERE action LIKE 'alert.worker_pattern%' ORDER BY at, action`,
    );
    expect(audit.map((r) => r.action)).toEqual(['alert.worker_pattern.add', 'alert.worker_pattern.remove']);
  });

  it('rules API: operators create, change and delete rules, each change audited; technicians only read; bad input is named', async () => {
    const list = await t.app.inject({ url: '/api/v1/alert-rules', headers: t.auth('technician') });
    expect(list.json().map((r: { id: string }) => r.id)).toContain('default:chip_overtemp');
    const denied = await t.app.inject({
      method: 'POST',
      url: '/api/v1/alert-rules',
      headers: t.auth('technician'),
      payload: { kind: 'chip_overtemp', scope: 'container', scopeId: 'sc-c01', threshold: 85 },
    });
    expect(denied.statusCode).toBe(403);
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/alert-rules',
      headers: t.auth('operator'),
      payload: {
        kind: 'chip_overtemp',
        scope: 'container',
        scopeId: 'sc-c01',
        threshold: 85,
        clearThreshold: 88,
      },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('clearThreshold must be on the other side of 85');
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/alert-rules',
      headers: t.auth('operator'),
      payload: { kind: 'chip_overtemp', scope: 'container', scopeId: 'sc-c01', threshold: 85 },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/alert-rules',
      headers: t.auth('operator'),
      payload: { kind: 'chip_overtemp', scope: 'container', scopeId: 'sc-c01', threshold: 80 },
    });
    expect(again.statusCode).toBe(409);
    // The container rule (85 °C) now decides for this miner.
    await poll({ chipTempMaxC: 87 });
    await poll({ chipTempMaxC: 87 });
    expect((await rows()).map((a) => a.message)).toEqual(['chip 87 °C ≥ 85 °C']);
    const put = await t.app.inject({
      method: 'PUT',
      url: `/api/v1/alert-rules/${id}`,
      headers: t.auth('admin'),
      payload: { kind: 'chip_overtemp', scope: 'container', scopeId: 'sc-c01', enabled: false },
    });
    expect(put.json()).toMatchObject({ enabled: false });
    await poll({ chipTempMaxC: 87 });
    expect((await rows()).map((a) => a.state)).toEqual(['resolved']);
    expect(
      (
        await t.app.inject({
          method: 'DELETE',
          url: `/api/v1/alert-rules/${id}`,
          headers: t.auth('operator'),
        })
      ).statusCode,
    ).toBe(204);
    expect(
      (
        await t.app.inject({
          method: 'DELETE',
          url: '/api/v1/alert-rules/default:offline',
          headers: t.auth('operator'),
        })
      ).statusCode,
    ).toBe(409);
    const audit = await t.app.hashfleet.db.all<{ action: string }>(
      `SELECT action FROM audit_log WHERE action LIKE 'alert_rule%' ORDER BY at`,
    );
    expect(audit.map((r) => r.action)).toEqual([
      'alert_rule.create',
      'alert_rule.update',
      'alert_rule.delete',
    ]);
  });

  it('webhooks from config are kept in alert_webhooks (disabled once removed from config); links use alerts.publicUrl', async () => {
    const hooks = [{ url: 'http://127.0.0.1:9/a', siteId: 'sichuan', minSeverity: 'critical' as const }];
    const c = await testApp({ alerts: { publicUrl: 'https://ops.example/', webhooks: hooks } }, () => clock);
    try {
      const list = await c.app.inject({ url: '/api/v1/alert-webhooks', headers: c.auth('admin') });
      expect(list.json()).toMatchObject([
        { url: 'http://127.0.0.1:9/a', siteId: 'sichuan', minSeverity: 'critical', enabled: true },
      ]);
      const { syncConfigWebhooks } = await import('../src/alerts/notify.js');
      await syncConfigWebhooks(c.app.hashfleet.db, [], clock);
      const after = await c.app.inject({ url: '/api/v1/alert-webhooks', headers: c.auth('admin') });
      expect(after.json()).toMatchObject([{ url: 'http://127.0.0.1:9/a', enabled: false }]);
      await syncConfigWebhooks(c.app.hashfleet.db, hooks, clock);
      const ac = alertsFor(c.app.hashfleet);
      for (let i = 0; i < 2; i++) {
        clock += POLL;
        const msg: Telemetry = {
          ...exampleTelemetry,
          seq: seq++,
          sentAt: clock,
          samples: [{ ...healthy, at: clock, chipTempMaxC: 97 }],
          unreachable: [],
        };
        await c.app.hashfleet.ingest.handle(topics.telemetry('sc-c01'), enc(msg));
        await ac.tick(clock);
      }
      const row = await c.app.hashfleet.db.get<{ payload_json: string }>(
        'SELECT payload_json FROM alert_outbox',
      );
      expect(JSON.parse(row!.payload_json).link).toMatch(
        /^https:\/\/ops\.example\/#\/containers\/sc-c01\/miners\//,
      );
    } finally {
      await c.close();
    }
  });

  it('a configured webhook takes its secret from secretFile (signed: true, secret not shown); an unreadable file stops start-up naming it', async () => {
    const tmp = tempDir();
    const file = `${tmp.dir}/hook-secret`;
    writeFileSync(file, 'cfg-secret-0123456789abcdef0123456789\n');
    const hook = { url: 'http://127.0.0.1:9/s', secretFile: file };
    const c = await testApp({ alerts: { webhooks: [hook] } }, () => clock);
    try {
      const list = await c.app.inject({ url: '/api/v1/alert-webhooks', headers: c.auth('admin') });
      expect(list.json()).toMatchObject([{ url: hook.url, signed: true }]);
      expect(list.body).not.toContain('cfg-secret');
      const row = await c.app.hashfleet.db.get<{ secret: string }>('SELECT secret FROM alert_webhooks');
      expect(row!.secret).toBe('cfg-secret-0123456789abcdef0123456789');
    } finally {
      await c.close();
    }
    await expect(
      testApp({ alerts: { webhooks: [{ ...hook, secretFile: `${tmp.dir}/missing` }] } }),
    ).rejects.toThrow(
      /alerts\.webhooks\.0 \(http:\/\/127\.0\.0\.1:9\/s\): secretFile .*missing: cannot read: ENOENT/,
    );
    tmp.cleanup();
  });

  it('a bad alerts config stops start-up naming the key', () => {
    expect(() => loadControllerConfig({ alerts: { webhooks: [{ url: 'ftp://x' }] } }, {})).toThrow(
      /alerts\.webhooks\.0\.url: must be an http\(s\) URL/,
    );
  });
});
