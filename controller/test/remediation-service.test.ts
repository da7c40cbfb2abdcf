import { randomUUID } from 'node:crypto';
import type { Command, CommandResult } from '@hashfleet/contracts';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startJobs } from '../src/core/jobs.js';
import type { Db } from '../src/core/storage/db.js';
import {
  createMiner,
  ensureSlots,
  flatTariff,
  moveMiner,
  slotId,
  upsertContainer,
  upsertSite,
} from '../src/fleet/inventory/index.js';
import { createRemediation, type Remediation } from '../src/remediation/service.js';
import { PG_URL, pgAvailable, pgSchemaUrl, testApp } from './helpers.js';

const pgUp = await pgAvailable(PG_URL);
// One query layer, one set of migrations: the same behaviour on both drivers.
const drivers: [string, () => string, boolean][] = [
  ['SQLite', () => 'sqlite::memory:', true],
  ['PostgreSQL', () => pgSchemaUrl(PG_URL), pgUp],
];

type T = Awaited<ReturnType<typeof testApp>>;
const MIN = 60_000;
const T0 = 1_800_000_000_000;
let t: T;
let db: Db;
let clock: number;
let rem: Remediation;
let sent: Command[];

async function openAlert(minerId: string, kind: string): Promise<string> {
  const id = randomUUID();
  await db.run(
    `INSERT INTO alerts (id, rule_id, kind, subject, miner_id, container_id, site_id, agent_id, severity, state,
       opened_at, updated_at, resolved_at, value, threshold, message, details_json)
     VALUES (?, ?, ?, ?, ?, 'c1', 'kz', NULL, 'critical', 'open', ?, ?, NULL, NULL, NULL, ?, '{}')`,
    [id, `rule-${kind}`, kind, `miner:${minerId}`, minerId, clock, clock, `${kind} on ${minerId}`],
  );
  return id;
}
const resolveAlert = (id: string, details: Record<string, unknown> = {}) =>
  db.run(`UPDATE alerts SET state = 'resolved', resolved_at = ?, details_json = ? WHERE id = ?`, [
    clock,
    JSON.stringify(details),
    id,
  ]);

/** What the agent sends back for a command (applied by the real commands service, as ingest does). */
async function agentAnswers(status: CommandResult['status'], message: string) {
  const c = sent.at(-1)!;
  await t.app.hashfleet.commands.applyResult(db, {
    v: 1,
    kind: 'result',
    agentId: c.agentId,
    bootId: 'b1',
    seq: sent.length,
    sentAt: clock,
    commandId: c.id,
    commandSeq: c.seq,
    status,
    refusal: status === 'refused' ? 'unsupported' : null,
    transport: 'rpc',
    startedAt: clock,
    finishedAt: clock,
    message,
  } as CommandResult);
}

const steps = (minerId: string) =>
  db.all<{
    rung: string;
    outcome: string;
    code: string | null;
    command_id: string | null;
    ticket_id: string | null;
  }>(
    'SELECT rung, outcome, code, command_id, ticket_id FROM remediation_steps WHERE miner_id = ? ORDER BY seq',
    [minerId],
  );
const summary = async (minerId: string) =>
  (await steps(minerId)).map((s) => `${s.rung} ${s.outcome}${s.code ? `/${s.code}` : ''}`);

/** Kazakhstan container c1 (agent-c1) with an APC PDU; m1 avalon on outlet 1, m2 cgminer without outlet, m3 whatsminer. */
async function seed() {
  await upsertSite(
    db,
    { id: 'kz', name: 'Pavlodar', timezone: 'Asia/Almaty', tariff: flatTariff(0.03) },
    clock,
  );
  await upsertContainer(db, { id: 'c1', siteId: 'kz', name: 'c1', agentId: 'agent-c1' }, clock);
  await ensureSlots(
    db,
    'c1',
    ['S1', 'S2', 'S3'].map((slot) => ({ rack: 'R1', slot })),
  );
  for (const [i, [id, profile]] of (
    [
      ['m1', 'avalon'],
      ['m2', 'cgminer'],
      ['m3', 'whatsminer-v3'],
    ] as const
  ).entries()) {
    await createMiner(db, { id, serial: `SN${id}`, model: 'Antminer S19', profile }, clock);
    await moveMiner(
      db,
      id,
      {
        siteId: 'kz',
        containerId: 'c1',
        slotId: slotId('c1', 'R1', `S${i + 1}`),
        status: 'in_service',
        reason: 'seed',
      },
      { now: clock },
    );
    await db.run('INSERT INTO agent_miners (agent_id, miner_key, miner_id, updated_at) VALUES (?, ?, ?, ?)', [
      'agent-c1',
      `10.0.0.${i + 1}`,
      id,
      clock,
    ]);
  }
  await db.run(
    `INSERT INTO pdus (id, container_id, vendor, host, updated_at) VALUES ('pdu-1', 'c1', 'apc-rpdu2', 'h', 0)`,
  );
  await db.run(`INSERT INTO pdu_outlets (pdu_id, outlet, slot_id) VALUES ('pdu-1', 1, ?)`, [
    slotId('c1', 'R1', 'S1'),
  ]);
}

for (const [name, url, available] of drivers) {
  describe.skipIf(!available)(`on ${name}`, () => {
    beforeEach(async () => {
      clock = T0;
      t = await testApp({ storage: { url: url() } }, () => clock);
      db = t.app.hashfleet.db;
      await seed();
      sent = [];
      t.app.hashfleet.commands.attach(async (_topic, payload) => {
        sent.push(JSON.parse(payload) as Command);
      });
      rem = createRemediation(t.app.hashfleet);
    });
    afterEach(async () => t.close());

    describe(`remediation job on ${name} with the real commands service`, () => {
      it('climbs restart -> reboot -> power-cycle for an offline miner, as SYSTEM with issuer remediation:offline, and a resolved alert verifies the step', async () => {
        const alert = await openAlert('m1', 'offline');
        await rem.tick(clock);
        expect(sent.map((c) => [c.action.op, c.issuer, c.agentId])).toEqual([
          ['restart', 'remediation:offline', 'agent-c1'],
        ]);
        await rem.tick(clock); // waiting: nothing new
        expect(sent).toHaveLength(1);

        await agentAnswers('timeout', 'miner 10.0.0.1: restart over rpc: timeout');
        clock += 11 * MIN;
        await rem.tick(clock);
        expect(sent.map((c) => c.action.op)).toEqual(['restart', 'reboot']);

        clock += 16 * MIN; // reboot window (15 min) passes with the alert open
        await agentAnswers('succeeded', 'rebooted');
        await rem.tick(clock);
        expect(sent.at(-1)!.action).toEqual({
          op: 'outlet.cycle',
          target: { kind: 'outlet', pduId: 'pdu-1', outlet: 1 },
          offSeconds: 10,
        });
        await agentAnswers('succeeded', 'pdu pdu-1 outlet 1: outlet.cycle done');
        clock += 3 * MIN;
        await resolveAlert(alert);
        await rem.tick(clock);
        expect(await summary('m1')).toEqual(['restart failed', 'reboot failed', 'power_cycle verified']);
        const metrics = (await t.app.inject({ url: '/metrics' })).body;
        for (const line of [
          'hashfleet_remediation_steps_total{rung="restart",outcome="pending"} 1',
          'hashfleet_remediation_steps_total{rung="restart",outcome="failed"} 1',
          'hashfleet_remediation_steps_total{rung="reboot",outcome="failed"} 1',
          'hashfleet_remediation_steps_total{rung="power_cycle",outcome="pending"} 1',
          'hashfleet_remediation_steps_total{rung="power_cycle",outcome="verified"} 1',
          'hashfleet_remediation_errors_total 0',
        ])
          expect(metrics).toContain(line);
        const rows = await steps('m1');
        const cmd = await db.get<{ issuer: string; requested_by: string; miner_id: string }>(
          'SELECT issuer, requested_by, miner_id FROM commands WHERE id = ?',
          [rows[2]!.command_id],
        );
        expect(cmd).toEqual({ issuer: 'remediation:offline', requested_by: 'system', miner_id: 'm1' });

        const audit = await db.all<{ action: string; actor_name: string }>(
          // Entries of one tick share a time: ordered by time, then by name.
          `SELECT action, actor_name FROM audit_log WHERE subject = 'miner m1' OR action = 'command.issue' ORDER BY at, action`,
        );
        expect(audit.map((a) => a.action)).toEqual([
          'command.issue',
          'remediation.step',
          'command.issue',
          'remediation.failed',
          'remediation.step',
          'command.issue',
          'remediation.failed',
          'remediation.step',
          'remediation.verified',
        ]);
        expect(new Set(audit.map((a) => a.actor_name))).toEqual(new Set(['system']));
      });

      it('an alert that resolved because the miner was paused fails the pending restart (not counted as the fix), and the ladder goes no further', async () => {
        const alert = await openAlert('m1', 'offline');
        await rem.tick(clock);
        expect(sent.map((c) => c.action.op)).toEqual(['restart']);
        await agentAnswers('succeeded', 'restarted');
        clock += 2 * MIN;
        await resolveAlert(alert, { resolvedBy: 'suppressed', resolvedBecause: 'miner is in_repair' });
        await rem.tick(clock);
        expect(await summary('m1')).toEqual(['restart failed']);
        const row = await db.get<{ result: string }>(
          `SELECT result FROM remediation_steps WHERE miner_id = 'm1'`,
        );
        expect(row!.result).toBe('alert resolved without proving the fix: miner is in_repair');
        clock += 20 * MIN;
        await rem.tick(clock);
        expect(sent).toHaveLength(1);
      });

      it.skipIf(name !== 'SQLite')(
        "a miner whose ladder fails (its ticket cannot be stored) is counted on /metrics and the other miners' ladders still act",
        async () => {
          // A real storage failure for one table (SQLite trigger), not a mock.
          await db.run(
            `CREATE TRIGGER tickets_fail BEFORE INSERT ON tickets BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
          );
          await openAlert('m1', 'fan_failed');
          await openAlert('m3', 'offline');
          await rem.tick(clock);
          expect(sent.map((c) => c.action.op)).toEqual(['restart']);
          expect(await summary('m1')).toEqual([]);
          const metrics = (await t.app.inject({ url: '/metrics' })).body;
          expect(metrics).toContain('hashfleet_remediation_errors_total 1');
          expect(metrics).toContain('hashfleet_remediation_steps_total{rung="restart",outcome="pending"} 1');
          expect(metrics).not.toContain('outcome="ticket"');
        },
      );

      it('skips what the firmware or slot cannot do (cgminer: no reboot, no outlet) and stops at a ticket', async () => {
        await openAlert('m2', 'offline');
        await rem.tick(clock);
        await agentAnswers('failed', 'connection refused');
        clock += 11 * MIN;
        await rem.tick(clock);
        expect(await summary('m2')).toEqual([
          'restart failed',
          'reboot skipped/no_capability',
          'power_cycle skipped/no_outlet',
          'ticket ticket',
        ]);
        const ticket = await db.get<{
          state: string;
          miner_id: string;
          slot_id: string;
          site_id: string;
          source: string;
        }>('SELECT state, miner_id, slot_id, site_id, source FROM tickets');
        expect(ticket).toEqual({
          state: 'open',
          miner_id: 'm2',
          slot_id: 'c1/R1/S2',
          site_id: 'kz',
          source: 'remediation',
        });
        clock += 6 * 60 * MIN;
        await rem.tick(clock);
        expect(sent).toHaveLength(1);
      });

      it('an overheating miner is put to sleep and ticketed at once; its fan alert adds a note to the same ticket', async () => {
        await openAlert('m3', 'fan_failed');
        await rem.tick(clock);
        clock += MIN;
        await openAlert('m3', 'chip_overtemp');
        await rem.tick(clock);
        expect(sent.map((c) => c.action.op)).toEqual(['sleep']);
        expect(await summary('m3')).toEqual(['ticket ticket', 'sleep pending', 'ticket ticket']);
        const tickets = await db.all<{ id: string }>('SELECT id FROM tickets');
        expect(tickets).toHaveLength(1);
        const notes = await db.all<{ text: string }>('SELECT text FROM ticket_notes ORDER BY n');
        expect(notes.map((n) => n.text)).toEqual([
          'ladder stopped needs a technician',
          'chip_overtemp on c1/R1/S3: ladder stopped after sleep sent',
        ]);
        await agentAnswers('succeeded', 'asleep');
        await rem.tick(clock);
        expect(await summary('m3')).toEqual(['ticket ticket', 'sleep verified', 'ticket ticket']);
      });

      it("a miner inventory has no profile for yet is judged by the profile its agent's birth lists", async () => {
        await db.run(`UPDATE miners SET profile = NULL WHERE id = 'm2'`);
        await db.run(
          `INSERT INTO agents (id, site_id, container_id, state, state_at, birth_json) VALUES ('agent-c1', 'kz', 'c1', 'online', ?, ?)`,
          [clock, JSON.stringify({ miners: [{ minerKey: '10.0.0.2', profile: 'cgminer', model: null }] })],
        );
        const offline = await openAlert('m2', 'offline');
        await rem.tick(clock);
        await agentAnswers('failed', 'connection refused');
        await rem.tick(clock + 11 * MIN);
        // cgminer: a restart, but no reboot operation.
        expect(await summary('m2')).toEqual([
          'restart failed',
          'reboot skipped/no_capability',
          'power_cycle skipped/no_outlet',
          'ticket ticket',
        ]);
        await db.run(`UPDATE agents SET birth_json = NULL`);
        await resolveAlert(offline);
        await openAlert('m2', 'hashrate_low');
        await rem.tick(clock + 30 * MIN);
        expect((await summary('m2')).slice(4)).toEqual([
          'restart skipped/no_profile',
          'reboot skipped/no_profile',
          'power_cycle skipped/no_outlet',
          'ticket ticket',
        ]);
      });

      it('nothing is switched under a technician: with their ticket in progress the ladder holds, and goes on once it is done', async () => {
        const open = await t.app.inject({
          method: 'POST',
          url: '/api/v1/tickets',
          headers: t.auth('technician'),
          payload: { title: 'reseat PSU cable', minerId: 'm1' },
        });
        const id = open.json().id as string;
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/tickets/${id}/take`,
          headers: t.auth('technician'),
        });
        await openAlert('m1', 'offline');
        await rem.tick(clock);
        await rem.tick(clock + MIN);
        expect(await summary('m1')).toEqual(['restart throttled/technician']);
        expect(sent).toEqual([]);
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/tickets/${id}/close`,
          headers: t.auth('technician'),
        });
        await rem.tick(clock + 2 * MIN);
        expect(await summary('m1')).toEqual(['restart throttled/technician', 'restart pending']);
        expect(sent.map((c) => c.action.op)).toEqual(['restart']);
      });

      it('a shutdown during the tick ends it between miners: the miners after the stop are left for the next leader', async () => {
        // Run as a background job, as the controller does (remediation/index.ts); the jobs stop
        // when the first miner's first step is being recorded. Before, the stop waited for every
        // miner of the tick (minutes at 100,000 miners, past the units' stop timeout).
        for (const m of ['m1', 'm2', 'm3']) await openAlert(m, 'offline');
        let jobs: Awaited<ReturnType<typeof startJobs>> | null = null;
        let stopping: Promise<void> | null = null;
        const run = db.run.bind(db);
        vi.spyOn(db, 'run').mockImplementation((sql, params) => {
          if (!stopping && jobs && sql.includes('INSERT INTO remediation_steps')) stopping = jobs.stop();
          return run(sql, params);
        });
        jobs = await startJobs({
          jobs: [{ name: 'remediation', everyMs: 20, singleton: true, run: (now) => rem.tick(now) }],
          storageUrl: url(),
          logger: t.app.log,
          registry: new Registry(),
          now: () => clock,
        });
        await vi.waitFor(() => expect(stopping).not.toBeNull(), { timeout: 10_000 });
        await stopping;
        const acted = [];
        for (const m of ['m1', 'm2', 'm3']) if ((await steps(m)).length) acted.push(m);
        expect(acted).toEqual(['m1']);
      });

      it('a run takes steps for at most its share of miners, the longest-waiting alert first; the rest come in the next run', async () => {
        // Three miners with a dead hash board (ladder: a ticket at once), opened m3, m1, m2. With
        // two miners a run, the first run tickets m3 and m1 and leaves m2 (all three before), so a
        // fleet-wide alert cannot hold the alert tick behind one long run.
        rem = createRemediation(t.app.hashfleet, { actPerRun: 2 });
        for (const m of ['m3', 'm1', 'm2']) {
          await openAlert(m, 'board_missing');
          clock += MIN;
        }
        await rem.tick(clock);
        const ticketed = async () =>
          (
            await db.all<{ miner_id: string }>('SELECT miner_id FROM tickets ORDER BY created_at, miner_id')
          ).map((r) => r.miner_id);
        expect(await ticketed()).toEqual(['m1', 'm3']);
        expect(rem.stats().deferred).toBe(1);
        clock += MIN;
        await rem.tick(clock);
        expect((await ticketed()).sort()).toEqual(['m1', 'm2', 'm3']);
        expect(rem.stats().deferred).toBe(1);
      });

      it('holds the ladder for a kind open on a site-wide share of miners, says so, and never holds overheating', async () => {
        // Half of a site's miners and at least 2 (MASS_SHARE and MASS_MIN made small for 3 miners):
        // m1 and m2 offline at once is a switch, not two miners to restart (both restarted before).
        rem = createRemediation(t.app.hashfleet, { massShare: 0.5, massMin: 2 });
        const warn = vi.spyOn(t.app.log, 'warn');
        const a1 = await openAlert('m1', 'offline');
        const a2 = await openAlert('m2', 'offline');
        await rem.tick(clock);
        expect(sent).toEqual([]);
        expect(rem.stats().held).toBe(2);
        expect((await t.app.inject({ url: '/metrics' })).body).toContain(
          'hashfleet_remediation_held_miners{site="kz",kind="offline"} 2',
        );
        const said = warn.mock.calls
          .map((c) => String(c[1] ?? c[0]))
          .filter((m) => m.startsWith('remediation:'));
        expect(said).toEqual([
          'remediation: offline is open on 2 of 3 miners in service at site kz: a common cause is likelier than 2 faults, so the ladder holds for them until fewer than 50 % are affected; a person decides',
        ]);
        await rem.tick(clock + MIN); // still held, not said again within the hour
        expect(sent).toEqual([]);
        expect(warn.mock.calls.filter((c) => String(c[1] ?? c[0]).startsWith('remediation:'))).toHaveLength(
          1,
        );

        // One of them back: the other is one miner's trouble again, and its ladder starts.
        await resolveAlert(a2);
        clock += 2 * MIN;
        await rem.tick(clock);
        expect(sent.map((c) => [c.action.op, c.action.target])).toEqual([
          ['restart', expect.objectContaining({ minerKey: '10.0.0.1' })],
        ]);
        await resolveAlert(a1);

        // Overheating on both: slept, whatever the cause.
        for (const m of ['m1', 'm3']) await openAlert(m, 'chip_overtemp');
        clock += MIN;
        await rem.tick(clock);
        expect(sent.filter((c) => c.action.op === 'sleep')).toHaveLength(2);
      });

      it('a miner its agent slept on its own (local safety) gets a ticket, once', async () => {
        await db.run(
          `INSERT INTO events (id, at, kind, miner_id, agent_id, details_json) VALUES ('ev-1', ?, 'safety.action', 'm3', 'agent-c1', ?)`,
          [
            clock - MIN,
            JSON.stringify({
              action: 'sleep',
              metric: 'chipTempMaxC',
              value: 97,
              limit: 90,
              status: 'succeeded',
            }),
          ],
        );
        await rem.tick(clock);
        await rem.tick(clock + MIN);
        expect(await summary('m3')).toEqual(['ticket ticket']);
        expect(sent).toEqual([]);
        const notes = await db.all<{ text: string }>('SELECT text FROM ticket_notes ORDER BY n');
        expect(notes.map((n) => n.text)).toEqual([
          'its agent did sleep on its own (chipTempMaxC 97 over 90; succeeded)',
        ]);
        const old = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM tickets');
        expect(Number(old!.n)).toBe(1);
      });

      it('the container cap holds the third miner back, recorded once, and lets it go when a slot frees', async () => {
        await t.app.inject({
          method: 'PUT',
          url: '/api/v1/remediation/settings/kz',
          headers: t.auth('operator'),
          payload: { maxConcurrentPerContainer: 2 },
        });
        for (const m of ['m1', 'm2', 'm3']) await openAlert(m, 'hashrate_low');
        await rem.tick(clock);
        await rem.tick(clock + MIN);
        expect(sent).toHaveLength(2);
        expect(await summary('m3')).toEqual(['restart throttled/container_cap']);
        await agentAnswers('failed', 'nope'); // m2's restart fails: its slot frees
        await rem.tick(clock + 2 * MIN);
        expect(await summary('m3')).toEqual(['restart throttled/container_cap', 'restart pending']);
      });
    });

    describe(`remediation and tickets API on ${name}`, () => {
      it('technicians list, take, note and close tickets; stakers get nothing; every change is audited', async () => {
        const open = await t.app.inject({
          method: 'POST',
          url: '/api/v1/tickets',
          headers: t.auth('operator'),
          payload: { title: 'replace fan 2', minerId: 'm1', note: 'rattling' },
        });
        expect(open.statusCode).toBe(201);
        const id = open.json().id as string;
        expect(open.json()).toMatchObject({
          state: 'open',
          slotId: 'c1/R1/S1',
          containerId: 'c1',
          siteId: 'kz',
        });

        expect((await t.app.inject({ url: '/api/v1/tickets', headers: t.auth('staker') })).statusCode).toBe(
          403,
        );
        expect(
          (
            await t.app.inject({
              method: 'POST',
              url: `/api/v1/tickets/${id}/take`,
              headers: t.auth('staker'),
            })
          ).statusCode,
        ).toBe(403);

        clock += 1000;
        const list = await t.app.inject({ url: '/api/v1/tickets?state=open', headers: t.auth('technician') });
        expect(list.json().map((x: { id: string }) => x.id)).toEqual([id]);
        const taken = await t.app.inject({
          method: 'POST',
          url: `/api/v1/tickets/${id}/take`,
          headers: t.auth('technician'),
        });
        expect(taken.json()).toMatchObject({ state: 'in_progress', assignee: 'technician-1' });
        clock += 1000;
        const noted = await t.app.inject({
          method: 'POST',
          url: `/api/v1/tickets/${id}/notes`,
          headers: t.auth('technician'),
          payload: { note: 'fan 2 ordered' },
        });
        expect(noted.statusCode).toBe(200);
        clock += 1000;
        const closed = await t.app.inject({
          method: 'POST',
          url: `/api/v1/tickets/${id}/close`,
          headers: t.auth('technician'),
          payload: { note: 'fan replaced' },
        });
        expect(closed.json()).toMatchObject({ state: 'done', doneAt: clock });
        const reopen = await t.app.inject({
          method: 'PATCH',
          url: `/api/v1/tickets/${id}`,
          headers: t.auth('technician'),
          payload: { state: 'open' },
        });
        expect(reopen.statusCode).toBe(409);
        expect(reopen.json().message).toContain('is done');
        const one = await t.app.inject({ url: `/api/v1/tickets/${id}`, headers: t.auth('technician') });
        expect(one.json().notes.map((n: { text: string }) => n.text)).toEqual([
          'rattling',
          'fan 2 ordered',
          'fan replaced',
        ]);

        const audit = await db.all<{ action: string; actor_name: string }>(
          `SELECT action, actor_name FROM audit_log WHERE subject = ? ORDER BY at`,
          [`ticket ${id}`],
        );
        expect(audit).toEqual([
          { action: 'ticket.open', actor_name: 'operator-1' },
          { action: 'ticket.update', actor_name: 'technician-1' },
          { action: 'ticket.update', actor_name: 'technician-1' },
          { action: 'ticket.close', actor_name: 'technician-1' },
        ]);
        const bad = await t.app.inject({
          method: 'POST',
          url: '/api/v1/tickets',
          headers: t.auth('technician'),
          payload: { title: 'x' },
        });
        expect(bad.statusCode).toBe(400);
        expect(bad.json().message).toContain('give minerId, slotId or containerId');
      });

      it('site settings: operators override (audited), technicians may only read, bad values are refused naming the field', async () => {
        const put = (role: 'operator' | 'technician', payload: Record<string, unknown>) =>
          t.app.inject({
            method: 'PUT',
            url: '/api/v1/remediation/settings/kz',
            headers: t.auth(role),
            payload,
          });
        expect((await put('technician', { cooldownS: 60 })).statusCode).toBe(403);
        const bad = await put('operator', { cooldownS: -1 });
        expect(bad.statusCode).toBe(400);
        expect(bad.json().message).toContain('cooldownS');
        const ok = await put('operator', { maxActionsPerDay: 2, verifyS: { reboot: 600 } });
        expect(ok.json().effective).toMatchObject({
          maxActionsPerDay: 2,
          cooldownS: 600,
          verifyS: { reboot: 600, restart: 600 },
        });
        const read = await t.app.inject({
          url: '/api/v1/remediation/settings/kz',
          headers: t.auth('technician'),
        });
        expect(read.json().overrides).toEqual({ maxActionsPerDay: 2, verifyS: { reboot: 600 } });
        const audit = await db.get<{ details_json: string }>(
          `SELECT details_json FROM audit_log WHERE action = 'remediation.settings'`,
        );
        expect(JSON.parse(audit!.details_json)).toEqual({
          before: null,
          after: { maxActionsPerDay: 2, verifyS: { reboot: 600 } },
        });
      });

      it('lists a miner’s steps newest first with the command state', async () => {
        await openAlert('m1', 'offline');
        await rem.tick(clock);
        await agentAnswers('timeout', 'no reply');
        const res = await t.app.inject({
          url: '/api/v1/remediation/steps?minerId=m1',
          headers: t.auth('technician'),
        });
        expect(res.json()).toEqual([
          expect.objectContaining({
            rung: 'restart',
            outcome: 'pending',
            commandState: 'timeout',
            alertKind: 'offline',
            transport: 'rpc',
          }),
        ]);
      });
    });
  });
}
