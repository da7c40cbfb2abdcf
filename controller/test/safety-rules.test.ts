import { createPublicKey, verify } from 'node:crypto';
import {
  exampleBirth,
  exampleEvents,
  exampleSample,
  exampleTelemetry,
  type SafetyRuleSet,
  SafetyRuleSetSchema,
  safetySigningBytes,
  topics,
} from '@hashfleet/contracts';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../src/core/auth/tokens.js';
import { canPublish, canSubscribe } from '../src/core/broker/acl.js';
import { loadControllerConfig } from '../src/core/config.js';
import { type RunningController, startController } from '../src/core/server.js';
import { COOLING_LIMITS, DEFAULT_RULES, resolveModelLimits } from '../src/safety/defaults.js';
import { dueAgents } from '../src/safety/document.js';
import { safetyService } from '../src/safety/index.js';
import { tempDir, testApp, UNBOUND_AGENTS_ACCEPTED } from './helpers.js';

const T0 = exampleSample.at;
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe('safety rules, pure parts', () => {
  it.each([
    ['no override: cooling type', {}, 'Antminer S19', { chipTempMaxC: 90, boardTempMaxC: 80 }],
    [
      'override one figure, keep the other',
      { 'Antminer S19': { chipTempMaxC: 86 } },
      'Antminer S19',
      { chipTempMaxC: 86, boardTempMaxC: 80 },
    ],
    ['hydro model', {}, 'Hydro X', { chipTempMaxC: 85, boardTempMaxC: 75 }],
    [
      'override for a model not in the table',
      { 'Odd Miner': { powerW: 4000 } },
      'Odd Miner',
      { powerW: 4000 },
    ],
  ])('resolves model limits: %s', (_name, overrides, model, expected) => {
    const models = [
      { model: 'Antminer S19', cooling: 'air', algorithm: 'sha256' },
      { model: 'Hydro X', cooling: 'hydro', algorithm: 'sha256' },
      { model: 'Scrypt Y', cooling: 'air', algorithm: 'scrypt' },
    ] as const;
    const resolved = resolveModelLimits(overrides, models);
    expect(resolved[model]).toEqual(expected);
    expect(resolved['Scrypt Y']).toBeUndefined();
  });

  it.each([
    ['never sent', { sentRevision: null, sentBirthAt: null, lastBirthAt: 5 }, true],
    ['sent this revision, no birth since', { sentRevision: 3, sentBirthAt: 5, lastBirthAt: 5 }, false],
    ['sent an older revision', { sentRevision: 2, sentBirthAt: 5, lastBirthAt: 5 }, true],
    ['born again since it was sent', { sentRevision: 3, sentBirthAt: 5, lastBirthAt: 9 }, true],
    ['no birth seen yet, sent', { sentRevision: 3, sentBirthAt: null, lastBirthAt: null }, false],
  ])('decides who is due: %s', (_name, state, due) => {
    expect(dueAgents([{ agentId: 'a', ...state }], 3)).toEqual(due ? ['a'] : []);
  });

  it.each([
    [{ kind: 'controller' } as const, topics.safety('c01'), 'publish', true],
    [{ kind: 'agent', agentId: 'c01' } as const, topics.safety('c01'), 'publish', false],
    [{ kind: 'agent', agentId: 'c01' } as const, topics.safety('c01'), 'subscribe', true],
    [{ kind: 'agent', agentId: 'c01' } as const, topics.safety('c02'), 'subscribe', false],
    [{ kind: 'agent', agentId: 'c01' } as const, 'hashfleet/v1/agents/+/safety', 'subscribe', false],
  ])('broker ACL %o on %s: %s -> %s', (user, topic, what, allowed) => {
    expect(what === 'publish' ? canPublish(user, topic) : canSubscribe(user, topic)).toBe(allowed);
  });
});

describe('safety rules API and audit', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  beforeAll(async () => {
    t = await testApp({}, () => T0 + 5_000);
  });
  afterAll(async () => t.close());

  const put = (body: unknown, role: Parameters<typeof t.auth>[0]) =>
    t.app.inject({
      method: 'PUT',
      url: '/api/v1/safety/rules',
      payload: body as object,
      headers: t.auth(role),
    });

  it('starts with the default rule (chip over the model limit for 2 polls: sleep) as revision 1', async () => {
    const res = await t.app.inject({ url: '/api/v1/safety/rules', headers: t.auth('technician') });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ revision: 1, rules: DEFAULT_RULES, modelLimits: {} });
    expect(res.json().resolvedLimits['Antminer S19 Pro']).toEqual(COOLING_LIMITS.air);
  });

  it('an operator change is a new revision, audited; a technician may not change rules', async () => {
    const rules = [{ ...DEFAULT_RULES[0], polls: 3 }];
    expect((await put({ rules }, 'technician')).statusCode).toBe(403);
    const res = await put({ rules, modelLimits: { 'Antminer S19 Pro': { chipTempMaxC: 87 } } }, 'operator');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ revision: 2, rules });
    expect(res.json().resolvedLimits['Antminer S19 Pro']).toEqual({ chipTempMaxC: 87, boardTempMaxC: 80 });
    const audit = await t.app.hashfleet.db.all<{ action: string; subject: string; actor_role: string }>(
      "SELECT action, subject, actor_role FROM audit_log WHERE action = 'safety.rules.update'",
    );
    expect(audit).toEqual([
      { action: 'safety.rules.update', subject: 'safety rules revision 2', actor_role: 'operator' },
    ]);
  });

  it.each([
    ['an unknown metric', { rules: [{ ...DEFAULT_RULES[0], metric: 'fanRpm' }] }],
    ['zero polls', { rules: [{ ...DEFAULT_RULES[0], polls: 0 }] }],
    ['an action the agent cannot take', { rules: [{ ...DEFAULT_RULES[0], action: 'reboot' }] }],
    ['two rules with one id', { rules: [DEFAULT_RULES[0], DEFAULT_RULES[0]] }],
  ])('refuses %s with 400, naming it, and keeps the revision', async (_name, body) => {
    const res = await put(body, 'admin');
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/rules/);
    expect((await safetyService(t.app.hashfleet).current()).revision).toBe(2);
  });

  it('audits a safety action an agent reports once, with the agent as actor, however often it is delivered', async () => {
    const ingest = t.app.hashfleet.ingest;
    await ingest.handle(topics.birth('sc-c01'), enc(exampleBirth));
    await ingest.handle(topics.telemetry('sc-c01'), enc({ ...exampleTelemetry, seq: 2 }));
    const event = {
      type: 'safety.action',
      at: T0 + 1_000,
      minerKey: exampleSample.minerKey,
      ip: exampleSample.ip,
      ruleId: 'chip-overtemp',
      revision: 2,
      metric: 'chipTempMaxC',
      value: 97.5,
      limit: 90,
      polls: 2,
      action: 'sleep',
      connected: false,
      status: 'succeeded',
      message: 'miner 10.0.4.17: sleep: ok',
    };
    const msg = { ...exampleEvents, seq: 3, historical: true, events: [event] };
    expect(await ingest.handle(topics.events('sc-c01'), enc(msg))).toBe('applied');
    expect(await ingest.handle(topics.events('sc-c01'), enc(msg))).toBe('duplicate');
    const minerId = (await t.app.hashfleet.db.get<{ id: string }>('SELECT id FROM miners'))!.id;
    const audit = await t.app.hashfleet.db.all<{
      actor_name: string;
      actor_role: string;
      subject: string;
      details_json: string;
    }>(
      "SELECT actor_name, actor_role, subject, details_json FROM audit_log WHERE action LIKE 'safety.action%'",
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor_name: 'sc-c01',
      actor_role: 'agent',
      subject: `miner ${minerId}`,
    });
    expect(JSON.parse(audit[0]!.details_json)).toMatchObject({ value: 97.5, limit: 90, status: 'succeeded' });
    const events = await t.app.hashfleet.db.all<{ miner_id: string }>(
      "SELECT miner_id FROM events WHERE kind = 'safety.action'",
    );
    expect(events).toEqual([{ miner_id: minerId }]);
  });
});

describe('safety rules reach the agent through the embedded broker', () => {
  let running: RunningController;
  let cleanup: () => void;
  beforeAll(async () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    running = await startController(
      loadControllerConfig(
        {
          dataDir: tmp.dir,
          http: { port: 0 },
          mqtt: { embeddedPort: 0 },
          log: { level: 'silent' },
          ...UNBOUND_AGENTS_ACCEPTED,
        },
        {},
      ),
    );
  });
  afterAll(async () => {
    await running?.stop();
    cleanup?.();
  });

  it('sends a signed, retained rule set to an agent on its birth and again after its next birth only', async () => {
    const ctx = running.app.hashfleet;
    const safety = safetyService(ctx);
    const token = await createToken(running.db, { role: 'agent', name: 'sc-c01' });
    await ctx.ingest.handle(topics.birth('sc-c01'), enc(exampleBirth));
    expect((await safety.publishDue(T0)).sent).toEqual(['sc-c01']);
    expect((await safety.publishDue(T0 + 1)).sent).toEqual([]);

    // The agent connects later and still gets it: the copy is retained, and its ACL lets it read it.
    const client = await mqtt.connectAsync(running.mqttUrl, {
      clientId: 'sc-c01',
      username: 'sc-c01',
      password: token,
    });
    const received = new Promise<string>((resolve) => client.on('message', (_t, p) => resolve(p.toString())));
    const granted = await client.subscribeAsync(topics.safety('sc-c01'), { qos: 1 });
    expect(granted[0]!.qos).toBe(1);
    const set = SafetyRuleSetSchema.parse(JSON.parse(await received)) as SafetyRuleSet;
    expect(set).toMatchObject({ agentId: 'sc-c01', revision: 1, rules: DEFAULT_RULES });
    const ok = verify(
      null,
      safetySigningBytes(set),
      createPublicKey(running.commandPublicKey),
      Buffer.from(set.signature.sig, 'base64'),
    );
    expect(ok).toBe(true);
    await client.endAsync();

    await ctx.ingest.handle(
      topics.birth('sc-c01'),
      enc({ ...exampleBirth, seq: 9, sentAt: exampleBirth.sentAt + 60_000 }),
    );
    expect((await safety.publishDue(T0 + 2)).sent).toEqual(['sc-c01']);
  });
});
