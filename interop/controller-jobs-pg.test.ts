import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleSample, exampleTelemetry, type MinerSample, topics } from '@hashfleet/contracts';
import { alertsFor } from '@hashfleet/controller/alerts/index';
import { buildApp } from '@hashfleet/controller/core/app';
import { createToken } from '@hashfleet/controller/core/auth/tokens';
import { loadControllerConfig } from '@hashfleet/controller/core/config';
import { type RunningJobs, startJobs } from '@hashfleet/controller/core/jobs';
import { waitFor } from '@hashfleet/demo/wait';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reachable } from './lib/net.js';

/**
 * Singleton background jobs on a real PostgreSQL: two controller apps share one schema; only the
 * replica holding the job's advisory lock runs it, the other takes over once the first stops, and
 * a job that is not a singleton runs on both.
 */
const PG_URL = process.env.HASHFLEET_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const available = await reachable(PG_URL);
const runOrSkip = !available && !process.env.CI ? describe.skip : describe;

runOrSkip('singleton jobs on PostgreSQL with two replicas', () => {
  const schema = `jobs_${randomBytes(6).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'hashfleet-jobs-pg-'));
  const replicas: { name: string; app: FastifyInstance; jobs: RunningJobs | null }[] = [];

  const start = async (name: string) => {
    const url = new URL(PG_URL);
    url.searchParams.set('schema', schema);
    const config = loadControllerConfig(
      { dataDir: join(dir, name), storage: { url: url.toString() }, log: { level: 'silent' } },
      {},
    );
    const app = await buildApp(config);
    const db = app.hashfleet.db;
    const record = (job: string) => async (now: number) => {
      await db.run('INSERT INTO job_probe (replica, job, at) VALUES (?, ?, ?)', [name, job, now]);
    };
    const jobs = await startJobs({
      jobs: [
        { name: 'probe-singleton', everyMs: 20, singleton: true, run: record('singleton') },
        { name: 'probe-everywhere', everyMs: 20, singleton: false, run: record('everywhere') },
      ],
      storageUrl: config.storage.url!,
      logger: app.log,
      registry: app.hashfleet.metrics.registry,
      now: Date.now,
    });
    replicas.push({ name, app, jobs });
    return replicas.at(-1)!;
  };

  const runners = async (job: string, since = 0) =>
    (
      await replicas[0]!.app.hashfleet.db.all<{ replica: string }>(
        'SELECT DISTINCT replica FROM job_probe WHERE job = ? AND at >= ? ORDER BY replica',
        [job, since],
      )
    ).map((r) => r.replica);

  beforeAll(async () => {
    const a = await start('a');
    await a.app.hashfleet.db.run(
      'CREATE TABLE IF NOT EXISTS job_probe (replica TEXT NOT NULL, job TEXT NOT NULL, at BIGINT NOT NULL)',
    );
    // b starts once a surely holds the lock, so which replica leads is not a race in this test.
    await waitFor('replica a runs the singleton', async () => (await runners('singleton')).includes('a'));
    await start('b');
  });

  afterAll(async () => {
    for (const r of replicas) {
      await r.jobs?.stop();
      await r.app.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('only the replica holding the advisory lock runs a singleton job; both run the others', async () => {
    const since = Date.now();
    await waitFor('both replicas run the non-singleton job', async () => {
      return (await runners('everywhere', since)).length === 2;
    });
    // Several more ticks of b have passed by now, each one refused the lock.
    await new Promise((r) => setTimeout(r, 200));
    expect(await runners('singleton')).toEqual(['a']);
    const metrics = await replicas[1]!.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(
      /hashfleet_job_runs_total\{job="probe-singleton",result="not_leader"\} [1-9]/,
    );
  });

  it('when the replica holding the lock stops, the other takes the singleton job over', async () => {
    const a = replicas[0]!;
    await a.jobs!.stop();
    a.jobs = null;
    const since = Date.now();
    await waitFor('replica b runs the singleton', async () =>
      (await runners('singleton', since)).includes('b'),
    );
    expect(await runners('singleton', since)).toEqual(['b']);
  });
});

runOrSkip('alerts on PostgreSQL', () => {
  const schema = `alerts_${randomBytes(6).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'hashfleet-alerts-pg-'));
  let app: FastifyInstance;
  let clock = exampleSample.at;
  let seq = 1;
  const received: { key: string; event: string }[] = [];
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      received.push({ key: String(req.headers['idempotency-key']), event: JSON.parse(body).event });
      res.writeHead(204).end();
    });
  });

  beforeAll(async () => {
    const url = new URL(PG_URL);
    url.searchParams.set('schema', schema);
    const config = loadControllerConfig(
      // Its agents are not bound to containers (controller/test/agent-places.test.ts tests binding).
      {
        dataDir: dir,
        storage: { url: url.toString() },
        log: { level: 'silent' },
        ingest: { unboundAgents: 'accept' },
      },
      {},
    );
    app = await buildApp(config, { now: () => clock });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await app?.close();
    await new Promise<void>((r) => hook.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens, notifies and resolves with the same SQL as on SQLite; one open alert per (rule, subject) is enforced', async () => {
    const admin = await createToken(app.hashfleet.db, { role: 'admin', name: 'admin-pg' });
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/alert-webhooks',
      headers: { authorization: `Bearer ${admin}` },
      payload: { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/` },
    });
    expect(created.statusCode).toBe(201);
    const alerts = alertsFor(app.hashfleet);
    const boards = [1, 2, 3].map((index) => ({ ...exampleSample.boards[0]!, index }));
    const poll = async (over: Partial<MinerSample>) => {
      clock += 30_000;
      const msg = {
        ...exampleTelemetry,
        seq: seq++,
        sentAt: clock,
        samples: [{ ...exampleSample, boards, at: clock, ...over }],
        unreachable: [],
      };
      expect(
        await app.hashfleet.ingest.handle(
          topics.telemetry('sc-c01'),
          new TextEncoder().encode(JSON.stringify(msg)),
        ),
      ).toBe('applied');
      return alerts.tick(clock);
    };
    await poll({ chipTempMaxC: 97 });
    expect((await poll({ chipTempMaxC: 97 })).opened).toBe(1);
    const db = app.hashfleet.db;
    await expect(
      db.run(
        `INSERT INTO alerts (id, rule_id, kind, subject, severity, state, opened_at, updated_at, message, details_json)
         SELECT 'dup', rule_id, kind, subject, severity, 'open', opened_at, updated_at, message, details_json FROM alerts`,
      ),
    ).rejects.toThrow(/duplicate key|unique/i);
    await poll({ chipTempMaxC: 70 });
    expect((await poll({ chipTempMaxC: 70 })).resolved).toBe(1);
    while ((await alerts.deliver(clock)).delivered > 0);
    expect(received.map((r) => r.event)).toEqual(['opened', 'resolved']);
    const list = await app.inject({
      url: '/api/v1/alerts?state=resolved',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(list.json()).toMatchObject([
      { kind: 'chip_overtemp', state: 'resolved', rack: 'R03', slot: '12', value: 97 },
    ]);
  });
});
