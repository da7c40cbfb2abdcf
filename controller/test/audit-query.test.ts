import { exampleBirth, exampleEvents, exampleSample, exampleTelemetry, topics } from '@hashfleet/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditQuerySql, decodeCursor, encodeCursor } from '../src/fleet/audit-query.js';
import { DEFAULT_RULES } from '../src/safety/defaults.js';
import { PG_URL, pgAvailable, pgSchemaUrl, testApp } from './helpers.js';

const pgUp = await pgAvailable(PG_URL);

const T0 = exampleSample.at;
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
type Entry = {
  id: string;
  at: number;
  action: string;
  subject: string;
  actor: { name: string; role: string };
};

describe('audit query (pure)', () => {
  const base = { limit: 50 };
  it.each([
    ['no filter', {}, '', []],
    [
      'actor by name or token id',
      { actor: 'op-1' },
      '(actor_name = ? OR actor_token_id = ?)',
      ['op-1', 'op-1'],
    ],
    ['exact action', { action: 'command.issue' }, 'action = ?', ['command.issue']],
    ['action prefix with a dot', { action: 'command.' }, "action LIKE ? ESCAPE '\\'", ['command.%']],
    ['action prefix with a star', { action: 'safety*' }, "action LIKE ? ESCAPE '\\'", ['safety%']],
    ['subject contains, any case', { subject: 'Sc-C01' }, "LOWER(subject) LIKE ? ESCAPE '\\'", ['%sc-c01%']],
    ['wildcards in a subject are literal', { subject: '50%_x' }, 'LOWER(subject)', ['%50\\%\\_x%']],
    ['time range', { since: 10, until: 20 }, 'at >= ? AND at < ?', [10, 20]],
  ])('%s', (_name, q, where, params) => {
    const { sql, params: p } = auditQuerySql({ ...base, ...q }, null);
    if (where) expect(sql).toContain(where);
    else expect(sql).not.toContain('WHERE');
    expect(p).toEqual([...params, 51]);
  });

  it('pages after a cursor, ties on the same millisecond broken by id', () => {
    const { sql, params } = auditQuerySql(base, { at: 5, id: 'b' });
    expect(sql).toContain('(at < ? OR (at = ? AND id < ?))');
    expect(sql).toContain('ORDER BY at DESC, id DESC');
    expect(params).toEqual([5, 5, 'b', 51]);
  });

  it.each([
    ['garbage', 'not-a-cursor'],
    ['a JSON object', Buffer.from('{"at":1}').toString('base64url')],
    ['a non-integer time', Buffer.from('[1.5,"x"]').toString('base64url')],
  ])('rejects %s as a cursor', (_name, text) => {
    expect(decodeCursor(text)).toBeNull();
  });

  it('round-trips a cursor', () => {
    expect(decodeCursor(encodeCursor({ at: 1_763_900_000_000, id: 'a-b' }))).toEqual({
      at: 1_763_900_000_000,
      id: 'a-b',
    });
  });
});

describe.each([
  ['sqlite', (): string => 'sqlite::memory:', true],
  ['postgres', (): string => pgSchemaUrl(PG_URL), pgUp],
] as const)('GET /api/v1/audit on %s', (_name, url, available) => {
  // PostgreSQL is up here and in CI; without it only the SQLite run counts.
  const check = available ? it : it.skip;
  let t: Awaited<ReturnType<typeof testApp>>;
  let clock = T0;
  let minerId: string;
  beforeAll(async () => {
    if (!available) return;
    t = await testApp({ storage: { url: url() } }, () => clock);
    const ingest = t.app.hashfleet.ingest;
    await ingest.handle(topics.birth('sc-c01'), enc(exampleBirth));
    await ingest.handle(topics.telemetry('sc-c01'), enc({ ...exampleTelemetry, seq: 2 }));
    t.app.hashfleet.commands.attach(async () => {});
    minerId = (await t.app.hashfleet.db.get<{ id: string }>('SELECT id FROM miners'))!.id;
  });
  afterAll(async () => t?.close());

  const get = async (query: string) => {
    const res = await t.app.inject({ url: `/api/v1/audit${query}`, headers: t.auth('admin') });
    expect(res.statusCode).toBe(200);
    return { rows: res.json() as Entry[], next: res.headers['x-next-cursor'] as string | undefined };
  };
  const call = async (
    method: 'POST' | 'PUT' | 'PATCH',
    url: string,
    body: object,
    role: 'operator' | 'admin' | 'technician',
  ) => {
    clock += 1_000;
    const res = await t.app.inject({ method, url, payload: body, headers: t.auth(role) });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
    return res.json();
  };

  check(
    'finds every kind of change: command, approval, ticket change, rule changes, local safety action',
    async () => {
      await call('POST', `/api/v1/miners/${minerId}/commands`, { op: 'reboot' }, 'technician');
      const pool = await call(
        'POST',
        `/api/v1/miners/${minerId}/commands`,
        { op: 'pool.set', url: 'stratum+tcp://pool:3333', user: 'w', password: 'secret' },
        'operator',
      );
      await call('POST', `/api/v1/commands/${pool.id}/approve`, {}, 'admin');
      const ticket = await call('POST', '/api/v1/tickets', { title: 'fan noise', minerId }, 'technician');
      await call('POST', `/api/v1/tickets/${ticket.id}/take`, {}, 'technician');
      await call('PUT', '/api/v1/safety/rules', { rules: [{ ...DEFAULT_RULES[0], polls: 3 }] }, 'operator');
      const rules = (await t.app.inject({ url: '/api/v1/alert-rules', headers: t.auth('operator') })).json();
      const chip = rules.find(
        (r: { kind: string; scope: string }) => r.kind === 'chip_overtemp' && r.scope === 'global',
      );
      await call(
        'PUT',
        `/api/v1/alert-rules/${chip.id}`,
        { ...chip, scopeId: undefined, threshold: 88 },
        'operator',
      );
      clock += 1_000;
      const event = {
        type: 'safety.action',
        at: clock,
        minerKey: exampleSample.minerKey,
        ip: exampleSample.ip,
        ruleId: 'chip-overtemp',
        revision: 2,
        metric: 'chipTempMaxC',
        value: 97,
        limit: 90,
        polls: 3,
        action: 'sleep',
        connected: false,
        status: 'succeeded',
        message: 'ok',
      };
      await t.app.hashfleet.ingest.handle(
        topics.events('sc-c01'),
        enc({ ...exampleEvents, seq: 3, events: [event] }),
      );

      const expectFound = async (query: string, action: string, role?: string) => {
        const { rows } = await get(query);
        const hit = rows.filter((r) => r.action === action);
        expect(hit.length, `${query} finds ${action}`).toBeGreaterThan(0);
        if (role) expect(hit[0]!.actor.role).toBe(role);
      };
      await expectFound('?action=command.', 'command.issue', 'technician');
      await expectFound('?action=command.', 'command.request', 'operator');
      await expectFound('?action=command.approve', 'command.approve', 'admin');
      await expectFound('?action=ticket.', 'ticket.open', 'technician');
      await expectFound(`?subject=ticket ${ticket.id}`, 'ticket.open');
      await expectFound('?action=safety.rules.', 'safety.rules.update', 'operator');
      await expectFound('?action=alert_rule.', 'alert_rule.update', 'operator');
      await expectFound('?role=agent', 'safety.action.sleep', 'agent');
      await expectFound('?actor=sc-c01', 'safety.action.sleep', 'agent');
      // By miner: its commands, its ticket and its local safety action.
      const byMiner = (await get(`?miner=${minerId}`)).rows.map((r) => r.action);
      expect(byMiner).toEqual(
        expect.arrayContaining([
          'command.issue',
          'command.request',
          'command.approve',
          'ticket.open',
          'safety.action.sleep',
        ]),
      );
      expect(byMiner).not.toContain('safety.rules.update');
    },
  );

  check('pages through everything newest first, each entry once, with filters kept', async () => {
    const all = (await get('?limit=1000')).rows;
    expect(all.length).toBeGreaterThan(5);
    const seen: Entry[] = [];
    let cursor: string | undefined;
    do {
      const page = await get(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.rows);
      cursor = page.next;
    } while (cursor);
    expect(seen.map((r) => r.id)).toEqual(all.map((r) => r.id));
    expect([...seen.map((r) => r.at)].sort((a, b) => b - a)).toEqual(seen.map((r) => r.at));

    const commands = (await get('?action=command.&limit=1000')).rows;
    const first = await get('?action=command.&limit=1');
    const second = await get(`?action=command.&limit=1&cursor=${first.next}`);
    expect([first.rows[0]!.id, second.rows[0]!.id]).toEqual(commands.slice(0, 2).map((r) => r.id));
  });

  check('selects a time range: since inclusive, until exclusive', async () => {
    const all = (await get('?limit=1000')).rows;
    const at = all[2]!.at;
    const inRange = (await get(`?since=${at}&until=${at + 1}`)).rows;
    expect(inRange.length).toBeGreaterThan(0);
    expect(inRange.every((r) => r.at === at)).toBe(true);
    expect(inRange.length).toBe(all.filter((r) => r.at === at).length);
  });

  check('refuses a made-up cursor and non-admins', async () => {
    const bad = await t.app.inject({ url: '/api/v1/audit?cursor=zzz', headers: t.auth('admin') });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/cursor/);
    for (const role of ['operator', 'technician', 'staker', 'agent'] as const) {
      expect((await t.app.inject({ url: '/api/v1/audit', headers: t.auth(role) })).statusCode).toBe(403);
    }
  });
});
