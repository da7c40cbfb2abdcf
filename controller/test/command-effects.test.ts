import {
  type CommandAction,
  type CommandEffect,
  type CommandResult,
  exampleSample,
  exampleTelemetry,
  type MinerSample,
  type Telemetry,
  topics,
} from '@hashfleet/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsFor } from '../src/alerts/index.js';
import { commandedReason, transition } from '../src/commands/effects.js';
import { expireOverdue } from '../src/commands/index.js';
import { SYSTEM } from '../src/core/auth/roles.js';
import { createToken } from '../src/core/auth/tokens.js';
import { createRemediation } from '../src/remediation/service.js';
import { PG_URL, pgAvailable, pgSchemaUrl, testApp } from './helpers.js';

/**
 * Command states and commanded downtime on the controller (issue 16 items 1 and 4): what each
 * agent result does to a stored command, and that a restart's window keeps the offline alert and
 * the remediation ladder quiet until it ends, in the database (so every replica sees the same).
 */

const pgUp = await pgAvailable(PG_URL);
const drivers: [string, () => string, boolean][] = [
  ['SQLite', () => 'sqlite::memory:', true],
  ['PostgreSQL', () => pgSchemaUrl(PG_URL), pgUp],
];

describe('transition (pure): what one agent result does to a stored command', () => {
  const restart = {
    op: 'restart',
    state: 'sent',
    windowEndsAt: null,
    settledAt: null,
    issuedAt: 1_000,
    offSeconds: 0,
  };
  const effect = (state: CommandEffect['state'], windowEndsAt: number | null = null): CommandEffect => ({
    state,
    reply: 'RESTART',
    observed: null,
    windowEndsAt,
  });
  it.each([
    // [case, current, result, expected state, expected window end]
    [
      'an acknowledgement is acknowledged, never succeeded; its window moves to the controller clock',
      restart,
      { status: 'succeeded', effect: effect('acknowledged', 500_000 + 60_000), sentAt: 500_000 },
      'acknowledged',
      10_000 + 60_000,
    ],
    [
      'verified keeps the window, settles',
      { ...restart, state: 'acknowledged', windowEndsAt: 70_000 },
      { status: 'succeeded', effect: effect('verified'), sentAt: 0 },
      'verified',
      70_000,
    ],
    [
      'a late acknowledgement after the verdict changes nothing',
      { ...restart, state: 'verified', windowEndsAt: 70_000, settledAt: 9_000 },
      { status: 'succeeded', effect: effect('acknowledged', 1), sentAt: 0 },
      'verified',
      70_000,
    ],
    [
      'a refusal in the miner words is failed, no window',
      restart,
      { status: 'failed', effect: effect('failed'), sentAt: 0 },
      'failed',
      null,
    ],
    [
      'no answer from the miner keeps the status (timeout)',
      restart,
      { status: 'timeout', effect: effect('sent'), sentAt: 0 },
      'timeout',
      null,
    ],
    [
      'an outlet cycle (no effect check) opens the profile window after its off time, from when it was sent',
      { ...restart, op: 'outlet.cycle', offSeconds: 10 },
      { status: 'succeeded', sentAt: 0 },
      'succeeded',
      1_000 + (10 + 300) * 1000,
    ],
    [
      'a pool change opens no downtime window',
      { ...restart, op: 'pool.set' },
      { status: 'succeeded', effect: effect('acknowledged', 99), sentAt: 0 },
      'acknowledged',
      null,
    ],
  ] as const)('%s', (_name, current, msg, state, windowEndsAt) => {
    const t = transition(current, msg as Pick<CommandResult, 'status' | 'effect' | 'sentAt'>, 10_000, 300);
    expect(t.state).toBe(state);
    expect(t.windowEndsAt).toBe(windowEndsAt);
  });

  it('commandedReason: inside the window until it ends, the command fails, or a later reading shows it back', () => {
    const w = { commandId: 'c', op: 'restart', state: 'acknowledged', since: 0, until: 100, settledAt: null };
    const down = { online: false, receivedAt: 50 };
    expect(commandedReason(w, down, 50)).toMatch(/^restart commanded/);
    expect(commandedReason(w, down, 100)).toBeNull();
    expect(commandedReason({ ...w, state: 'failed', settledAt: 40 }, down, 50)).toBeNull();
    const verified = { ...w, state: 'verified', settledAt: 40 };
    expect(commandedReason(verified, down, 50)).toMatch(/verified/);
    expect(commandedReason(verified, { online: true, receivedAt: 45 }, 50)).toBeNull();
  });
});

const T0 = exampleSample.at;
const POLL = 30_000;
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

for (const [name, url, available] of drivers) {
  describe.skipIf(!available)(`a restart on ${name}: states, window, alerts and remediation`, () => {
    let t: Awaited<ReturnType<typeof testApp>>;
    let clock = T0;
    let seq = 1;
    let token: string;
    let minerId: string;
    const sent: string[] = [];
    beforeEach(async () => {
      clock = T0;
      seq = 1;
      sent.length = 0;
      t = await testApp({ storage: { url: url() } }, () => clock);
      t.app.hashfleet.commands.attach(async (_topic, payload) => {
        sent.push(payload);
      });
      token = await createToken(t.app.hashfleet.db, { role: 'technician', name: 'tech' });
      await poll();
      minerId = (await t.app.hashfleet.db.get<{ miner_id: string }>(
        'SELECT miner_id FROM agent_miners WHERE miner_key = ?',
        [exampleSample.minerKey],
      ))!.miner_id;
    });
    afterEach(async () => t.close());

    const alerts = () => alertsFor(t.app.hashfleet);
    async function poll(over: Partial<MinerSample> = {}) {
      clock += POLL;
      const msg: Telemetry = {
        ...exampleTelemetry,
        seq: seq++,
        sentAt: clock,
        samples: [{ ...exampleSample, at: clock, ...over }],
        unreachable: [],
      };
      expect(await t.app.hashfleet.ingest.handle(topics.telemetry('sc-c01'), enc(msg))).toBe('applied');
    }
    async function down() {
      clock += POLL;
      const msg: Telemetry = {
        ...exampleTelemetry,
        seq: seq++,
        sentAt: clock,
        samples: [],
        unreachable: [
          {
            minerKey: exampleSample.minerKey,
            ip: exampleSample.ip,
            at: clock,
            error: 'connect ECONNREFUSED',
            since: clock,
          },
        ],
      };
      expect(await t.app.hashfleet.ingest.handle(topics.telemetry('sc-c01'), enc(msg))).toBe('applied');
      await alerts().tick(clock);
    }
    async function restart() {
      const action: CommandAction = {
        op: 'restart',
        target: { kind: 'miner', minerKey: exampleSample.minerKey },
      };
      return t.app.hashfleet.commands.issue({ actor: SYSTEM, agentId: 'sc-c01', action, minerId });
    }
    /** The agent's result for a command, through ingest as it arrives from the broker. */
    async function answer(commandId: string, status: CommandResult['status'], effect: CommandEffect) {
      const msg: CommandResult = {
        v: 1,
        kind: 'result',
        agentId: 'sc-c01',
        bootId: exampleTelemetry.bootId,
        seq: seq++,
        sentAt: clock,
        historical: false,
        commandId,
        commandSeq: 1,
        status,
        refusal: null,
        transport: 'rpc',
        startedAt: clock,
        finishedAt: clock,
        message: `miner ${exampleSample.ip}: restart: ${effect.state}`,
        effect,
      };
      expect(await t.app.hashfleet.ingest.handle(topics.results('sc-c01'), enc(msg))).toBe('applied');
    }
    const get = async <T>(path: string) => {
      const res = await t.app.inject({
        url: `/api/v1${path}`,
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.statusCode).toBe(200);
      return res.json() as T;
    };
    const openKinds = async () =>
      (
        await t.app.hashfleet.db.all<{ kind: string }>(
          `SELECT kind FROM alerts WHERE state = 'open' ORDER BY kind`,
        )
      ).map((a) => a.kind);

    it('sent, acknowledged (not succeeded), verified, each with the miner words; the window keeps offline quiet', async () => {
      const issued = await restart();
      await answer(issued.id, 'succeeded', {
        state: 'acknowledged',
        reply: 'RESTART',
        observed: null,
        windowEndsAt: clock + 120_000,
      });
      const acked = await get<{ state: string; result: { effect: CommandEffect } }>(`/commands/${issued.id}`);
      expect(acked.state).toBe('acknowledged');
      expect(acked.result.effect.reply).toBe('RESTART');
      // The miner is down for two polls inside its window: no offline alert.
      await down();
      await down();
      expect(await openKinds()).toEqual([]);
      await answer(issued.id, 'succeeded', {
        state: 'verified',
        reply: 'RESTART',
        observed: 'answers with uptime 3 s, 62 s after the command, hashing',
        windowEndsAt: clock + 60_000,
      });
      // A late acknowledgement (a redelivery) does not take the verdict back.
      await answer(issued.id, 'succeeded', {
        state: 'acknowledged',
        reply: 'RESTART',
        observed: null,
        windowEndsAt: 1,
      });
      const states = await get<{
        state: string;
        states: { state: string; reply: string | null; observed: string | null }[];
      }>(`/commands/${issued.id}/states`);
      expect(states.state).toBe('verified');
      expect(states.states.map((s) => [s.state, s.reply])).toEqual([
        ['sent', null],
        ['acknowledged', 'RESTART'],
        ['verified', 'RESTART'],
        ['acknowledged', 'RESTART'],
      ]);
      expect(states.states[2]!.observed).toMatch(/uptime 3 s/);
      // Verified, and its next reading shows it back: judged as usual again.
      await poll();
      await alerts().tick(clock);
      expect(await openKinds()).toEqual([]);
    });

    it('the window ends without the effect: the command fails and offline opens as usual', async () => {
      const issued = await restart();
      await answer(issued.id, 'succeeded', {
        state: 'acknowledged',
        reply: 'RESTART',
        observed: null,
        windowEndsAt: clock + 45_000,
      });
      await down();
      expect(await openKinds()).toEqual([]);
      // The agent stopped mid-window: no verdict. The window ends; the expiry duty fails it.
      await down();
      await down();
      expect(await openKinds()).toEqual(['offline']);
      await expireOverdue(t.app.hashfleet.db, t.app.hashfleet.audit, clock + 31_000, 3600);
      const states = await get<{ state: string; states: { state: string; observed: string | null }[] }>(
        `/commands/${issued.id}/states`,
      );
      expect(states.state).toBe('failed');
      expect(states.states.at(-1)!.observed).toMatch(/no verdict from the agent/);
    });

    it('a pool change on its way: the worker it asked for raises no worker_changed before the verdict arrives', async () => {
      await alerts().tick(clock); // the first sighting makes hashshare.sc01 the known worker
      const moved = { url: 'stratum+tcp://new-pool.example:3333', user: 'hashshare.moved' };
      const action: CommandAction = {
        op: 'pool.set',
        target: { kind: 'miner', minerKey: exampleSample.minerKey },
        ...moved,
        password: 'x',
      };
      const requested = await t.app.hashfleet.commands.issue({
        actor: SYSTEM,
        agentId: 'sc-c01',
        action,
        minerId,
      });
      await t.app.hashfleet.commands.approve(
        { tokenId: 'second', role: 'admin', stakerId: null, name: 'second' },
        requested.id,
      );
      await answer(requested.id, 'succeeded', {
        state: 'acknowledged',
        reply: 'Switching to pool 1',
        observed: null,
        windowEndsAt: clock + 60_000,
      });
      // The miner shows the new pool before the agent's verdict is in.
      await poll({ pool: moved });
      await alerts().tick(clock);
      expect(await openKinds()).not.toContain('worker_changed');
      await answer(requested.id, 'succeeded', {
        state: 'verified',
        reply: 'Switching to pool 1',
        observed: `active pool ${moved.url} user ${moved.user}`,
        windowEndsAt: clock + 60_000,
      });
      await poll({ pool: moved });
      await alerts().tick(clock);
      expect(await openKinds()).not.toContain('worker_changed');
    });

    it('remediation takes no step for an open alert while its miner is in a commanded window, and does after it', async () => {
      await down();
      await down();
      expect(await openKinds()).toEqual(['offline']);
      const issued = await restart();
      await answer(issued.id, 'succeeded', {
        state: 'acknowledged',
        reply: 'RESTART',
        observed: null,
        windowEndsAt: clock + 120_000,
      });
      const rem = createRemediation(t.app.hashfleet);
      const before = sent.length;
      await rem.tick(clock + 60_000);
      expect(sent.length).toBe(before);
      expect(await t.app.hashfleet.db.all('SELECT id FROM remediation_steps')).toEqual([]);
      await rem.tick(clock + 121_000);
      expect(sent.length).toBe(before + 1);
    });
  });
}
