import { describe, expect, it } from 'vitest';
import { blockedRungs, type MinerReach, transportsFor } from '../src/remediation/capabilities.js';
import {
  type Blocked,
  decide,
  type LadderInput,
  type StepRecord,
  settle,
} from '../src/remediation/ladder.js';
import { DEFAULT_SETTINGS, mergeSettings } from '../src/remediation/settings.js';
import { throttle } from '../src/remediation/throttle.js';
import { refuseMove } from '../src/tickets/workflow.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const NOW = 1_800_000_000_000;

const alert = (kind: string, id = `al-${kind}`, openedAt = NOW - HOUR) => ({ id, kind, openedAt });
const step = (s: Partial<StepRecord> & Pick<StepRecord, 'rung' | 'outcome'>): StepRecord => ({
  alertId: 'al-offline',
  at: NOW - 30 * MIN,
  code: null,
  ticketState: null,
  ticketDoneAt: null,
  ...s,
});
const input = (over: Partial<LadderInput>): LadderInput => ({
  now: NOW,
  alerts: [alert('offline')],
  steps: [],
  blocked: {},
  containerBusy: 0,
  settings: DEFAULT_SETTINGS,
  ...over,
});
/** Failed steps of the offline alert, 20 min apart, the last 20 min ago (past the cool-down). */
const failed = (...rungs: StepRecord['rung'][]): StepRecord[] =>
  rungs.map((rung, i) => step({ rung, outcome: 'failed', at: NOW - (rungs.length - i) * 20 * MIN }));
const noRestart: Blocked = { restart: { code: 'no_capability', reason: 'cgminer has no restart' } };

/** [case, input, expected state, expected steps as "rung outcome[/code]"] */
const cases: [string, LadderInput, string, string[]][] = [
  ['no open alert: nothing to do', input({ alerts: [] }), 'idle', []],
  [
    'a pool alert never starts the ladder (pool changes need a human approval)',
    input({ alerts: [alert('pool_not_allowed')] }),
    'idle',
    [],
  ],
  ['offline with no step yet: restart first', input({}), 'acting', ['restart pending']],
  [
    'offline after a failed restart: reboot',
    input({ steps: failed('restart') }),
    'acting',
    ['reboot pending'],
  ],
  [
    'offline after restart and reboot failed: power-cycle the outlet',
    input({ steps: failed('restart', 'reboot') }),
    'acting',
    ['power_cycle pending'],
  ],
  [
    'offline after the power-cycle failed too: a ticket',
    input({ steps: failed('restart', 'reboot', 'power_cycle') }),
    'acting',
    ['ticket ticket'],
  ],
  [
    'ticket open: the ladder stops (no further action)',
    input({
      steps: [
        step({ rung: 'power_cycle', outcome: 'failed', at: NOW - 90 * MIN }),
        step({ rung: 'ticket', outcome: 'ticket', at: NOW - 60 * MIN, ticketState: 'in_progress' }),
      ],
    }),
    'stopped',
    [],
  ],
  [
    'ticket done while the alert is still open: the climb starts over',
    input({
      steps: [
        step({ rung: 'power_cycle', outcome: 'failed', at: NOW - 5 * HOUR }),
        step({
          rung: 'ticket',
          outcome: 'ticket',
          at: NOW - 4 * HOUR,
          ticketState: 'done',
          ticketDoneAt: NOW - HOUR,
        }),
      ],
    }),
    'acting',
    ['restart pending'],
  ],
  [
    'ticket done 5 min ago with the alert still open: the alert gets 15 min to clear first',
    input({
      steps: [
        step({ rung: 'power_cycle', outcome: 'failed', at: NOW - 5 * HOUR }),
        step({
          rung: 'ticket',
          outcome: 'ticket',
          at: NOW - 4 * HOUR,
          ticketState: 'done',
          ticketDoneAt: NOW - 5 * MIN,
        }),
      ],
    }),
    'waiting',
    [],
  ],
  [
    'a firmware without restart: the rung is skipped and recorded, reboot is sent',
    input({ blocked: noRestart }),
    'acting',
    ['restart skipped/no_capability', 'reboot pending'],
  ],
  [
    'no PDU outlet on its slot: power-cycle skipped, then a ticket',
    input({
      blocked: { power_cycle: { code: 'no_outlet', reason: 'its slot has no PDU outlet' } },
      steps: failed('restart', 'reboot'),
    }),
    'acting',
    ['power_cycle skipped/no_outlet', 'ticket ticket'],
  ],
  [
    'fan failed: a hardware fault goes straight to a ticket',
    input({ alerts: [alert('fan_failed')] }),
    'acting',
    ['ticket ticket'],
  ],
  [
    'board missing: a ticket, no reboot',
    input({ alerts: [alert('board_missing')] }),
    'acting',
    ['ticket ticket'],
  ],
  [
    'chip over temperature: sleep to protect it and a ticket in the same step',
    input({ alerts: [alert('chip_overtemp')] }),
    'acting',
    ['sleep pending', 'ticket ticket'],
  ],
  [
    'slow and hot: the overtemperature leads, so it is slept, never restarted',
    input({ alerts: [alert('hashrate_low', 'a1', NOW - 2 * HOUR), alert('chip_overtemp', 'a2', NOW - MIN)] }),
    'acting',
    ['sleep pending', 'ticket ticket'],
  ],
  [
    'slow with a failed fan: ticket, no restart',
    input({ alerts: [alert('hashrate_low'), alert('fan_failed')] }),
    'acting',
    ['ticket ticket'],
  ],
  [
    'overtemperature on a firmware that cannot sleep: skipped, ticket',
    input({
      alerts: [alert('chip_overtemp')],
      blocked: { sleep: { code: 'no_capability', reason: 'cgminer has no sleep operation' } },
    }),
    'acting',
    ['sleep skipped/no_capability', 'ticket ticket'],
  ],
  [
    'a step still in its verification window: wait',
    input({ steps: [step({ rung: 'restart', outcome: 'pending', at: NOW - MIN })] }),
    'waiting',
    [],
  ],
  [
    'restart failed 5 min ago: the reboot waits out the 10 min cool-down (recorded once)',
    input({ steps: [step({ rung: 'restart', outcome: 'failed', at: NOW - 5 * MIN })] }),
    'acting',
    ['reboot throttled/cooldown'],
  ],
  [
    'cool-down already recorded: nothing new on the next tick',
    input({
      steps: [
        step({ rung: 'restart', outcome: 'failed', at: NOW - 5 * MIN }),
        step({ rung: 'reboot', outcome: 'throttled', code: 'cooldown', at: NOW - 4 * MIN }),
      ],
    }),
    'waiting',
    [],
  ],
  [
    'cool-down over after a recorded throttle: the reboot goes',
    input({
      steps: [
        step({ rung: 'restart', outcome: 'failed', at: NOW - 15 * MIN }),
        step({ rung: 'reboot', outcome: 'throttled', code: 'cooldown', at: NOW - 14 * MIN }),
      ],
    }),
    'acting',
    ['reboot pending'],
  ],
  [
    '4 commands in the last 24 h (another alert): daily cap, the ladder stops with a ticket',
    input({
      steps: [3, 6, 9, 12].map((h) =>
        step({ alertId: 'old', rung: 'reboot', outcome: 'failed', at: NOW - h * HOUR }),
      ),
    }),
    'acting',
    ['restart throttled/daily_cap', 'ticket ticket'],
  ],
  [
    'commands older than 24 h do not count',
    input({
      steps: [25, 26, 27, 28].map((h) =>
        step({ alertId: 'old', rung: 'reboot', outcome: 'failed', at: NOW - h * HOUR }),
      ),
    }),
    'acting',
    ['restart pending'],
  ],
  [
    'skipped and throttled steps are not commands and do not count',
    input({
      steps: [1, 2, 3, 4].map((h) =>
        step({
          alertId: 'old',
          rung: 'restart',
          outcome: h % 2 ? 'skipped' : 'throttled',
          at: NOW - h * HOUR,
        }),
      ),
    }),
    'acting',
    ['restart pending'],
  ],
  [
    'five miners of the container already being acted on: held back',
    input({ containerBusy: 5 }),
    'acting',
    ['restart throttled/container_cap'],
  ],
  [
    'a protective sleep is not held back by the container cap',
    input({ alerts: [alert('chip_overtemp')], containerBusy: 5 }),
    'acting',
    ['sleep pending', 'ticket ticket'],
  ],
  [
    'a technician has the miner (ticket in progress): no restart under their hands, recorded once',
    input({ technicianOnIt: true }),
    'acting',
    ['restart throttled/technician'],
  ],
  [
    'a technician has the miner: a protective sleep still goes',
    input({ alerts: [alert('chip_overtemp')], technicianOnIt: true }),
    'acting',
    ['sleep pending', 'ticket ticket'],
  ],
  [
    'hardware errors: one restart, then a ticket',
    input({
      alerts: [alert('hw_errors', 'al-offline')],
      steps: [step({ rung: 'restart', outcome: 'failed', at: NOW - HOUR })],
    }),
    'acting',
    ['ticket ticket'],
  ],
  [
    'remediation disabled at the site: watch only',
    input({ settings: mergeSettings({ enabled: false }) }),
    'idle',
    [],
  ],
  [
    'site override: 1 command a day, already spent',
    input({
      settings: mergeSettings({ maxActionsPerDay: 1 }),
      steps: [step({ alertId: 'old', rung: 'restart', outcome: 'verified', at: NOW - 2 * HOUR })],
    }),
    'acting',
    ['restart throttled/daily_cap', 'ticket ticket'],
  ],
];

describe('the escalation ladder (pure)', () => {
  it.each(cases)('%s', (_name, given, state, expected) => {
    const d = decide(given);
    expect(d.state).toBe(state);
    expect(d.steps.map((s) => `${s.rung} ${s.outcome}${s.code ? `/${s.code}` : ''}`)).toEqual(expected);
  });

  it('a sent step waits until now + its rung window; a ticket reason lists what was tried', () => {
    const sent = decide(input({ steps: failed('restart') }));
    expect(sent.steps[0]!.verifyBy).toBe(NOW + DEFAULT_SETTINGS.verifyS.reboot * 1000);
    const ticket = decide(
      input({
        blocked: { power_cycle: { code: 'no_outlet', reason: 'no outlet' } },
        steps: failed('restart', 'reboot'),
      }),
    );
    expect(ticket.steps[1]!.reason).toBe('after restart failed, reboot failed, power_cycle skipped');
  });
});

const settleCases: [string, Parameters<typeof settle>[0], string | null][] = [
  [
    'alert resolved within the window: verified',
    {
      rung: 'reboot',
      verifyBy: NOW + MIN,
      alertState: 'resolved',
      commandState: 'succeeded',
      commandMessage: null,
      now: NOW,
    },
    'verified alert resolved',
  ],
  [
    'alert resolved because its figure came back (resolvedBy clear): verified',
    {
      rung: 'restart',
      verifyBy: NOW + MIN,
      alertState: 'resolved',
      alertResolvedBy: 'clear',
      alertResolvedBecause: 'back to normal',
      commandState: 'succeeded',
      commandMessage: null,
      now: NOW,
    },
    'verified alert resolved',
  ],
  [
    'alert resolved because the miner was paused: not the fix working, failed',
    {
      rung: 'restart',
      verifyBy: NOW + MIN,
      alertState: 'resolved',
      alertResolvedBy: 'suppressed',
      alertResolvedBecause: 'sleep command sent',
      commandState: 'succeeded',
      commandMessage: null,
      now: NOW,
    },
    'failed alert resolved without proving the fix: sleep command sent',
  ],
  [
    'alert resolved because its rule went away: failed',
    {
      rung: 'reboot',
      verifyBy: NOW + MIN,
      alertState: 'resolved',
      alertResolvedBy: 'rule_gone',
      alertResolvedBecause: 'rule no longer applies',
      commandState: 'succeeded',
      commandMessage: null,
      now: NOW,
    },
    'failed alert resolved without proving the fix: rule no longer applies',
  ],
  [
    'an alert resolved before resolvedBy existed, paused (miner reports sleeping): failed',
    {
      rung: 'restart',
      verifyBy: NOW + MIN,
      alertState: 'resolved',
      alertResolvedBecause: 'miner reports sleeping',
      commandState: 'succeeded',
      commandMessage: null,
      now: NOW,
    },
    'failed alert resolved without proving the fix: miner reports sleeping',
  ],
  [
    'command timed out (hung miner): failed at once, with the agent message',
    {
      rung: 'reboot',
      verifyBy: NOW + MIN,
      alertState: 'open',
      commandState: 'timeout',
      commandMessage: 'no reply',
      now: NOW,
    },
    'failed command timeout: no reply',
  ],
  [
    'command refused by the agent: failed',
    {
      rung: 'restart',
      verifyBy: NOW + MIN,
      alertState: 'open',
      commandState: 'refused',
      commandMessage: null,
      now: NOW,
    },
    'failed command refused',
  ],
  [
    'command never left (no broker): failed',
    {
      rung: 'restart',
      verifyBy: NOW + MIN,
      alertState: 'open',
      commandState: 'failed',
      commandMessage: null,
      now: NOW,
    },
    'failed command failed',
  ],
  [
    'command succeeded, alert still open, window not over: wait',
    {
      rung: 'power_cycle',
      verifyBy: NOW + MIN,
      alertState: 'open',
      commandState: 'succeeded',
      commandMessage: null,
      now: NOW,
    },
    null,
  ],
  [
    'window over with the alert still open: failed',
    {
      rung: 'power_cycle',
      verifyBy: NOW,
      alertState: 'open',
      commandState: 'succeeded',
      commandMessage: null,
      now: NOW,
    },
    'failed alert still open after the verification window',
  ],
  [
    'no result from the agent and the window over: failed',
    {
      rung: 'restart',
      verifyBy: NOW - 1,
      alertState: 'open',
      commandState: 'sent',
      commandMessage: null,
      now: NOW,
    },
    'failed alert still open after the verification window',
  ],
  [
    'a protective sleep is verified by its command alone, alert open or not',
    {
      rung: 'sleep',
      verifyBy: NOW + MIN,
      alertState: 'open',
      commandState: 'succeeded',
      commandMessage: null,
      now: NOW,
    },
    'verified command succeeded',
  ],
  [
    'a sleep without a result in its window: failed',
    {
      rung: 'sleep',
      verifyBy: NOW,
      alertState: 'resolved',
      commandState: 'sent',
      commandMessage: null,
      now: NOW,
    },
    'failed no command result in time',
  ],
];

describe('settling a step (pure)', () => {
  it.each(settleCases)('%s', (_name, given, expected) => {
    const r = settle(given);
    expect(r ? `${r.outcome} ${r.reason}` : null).toBe(expected);
  });
});

const limits = { maxActionsPerDay: 4, cooldownS: 600, maxConcurrentPerContainer: 5 };
const throttleCases: [string, Parameters<typeof throttle>[0], string | null][] = [
  ['nothing sent yet: go', { now: NOW, issuedAt: [], containerBusy: 0, settings: limits }, null],
  [
    'four in 24 h: daily cap until the oldest ages out',
    {
      now: NOW,
      issuedAt: [NOW - 20 * HOUR, NOW - 3 * HOUR, NOW - 2 * HOUR, NOW - HOUR],
      containerBusy: 0,
      settings: limits,
    },
    `daily_cap ${NOW + 4 * HOUR}`,
  ],
  [
    'six in 24 h with a cap of four: lifts when the third oldest ages out',
    {
      now: NOW,
      issuedAt: [23, 22, 21, 20, 19, 18].map((h) => NOW - h * HOUR),
      containerBusy: 0,
      settings: limits,
    },
    `daily_cap ${NOW + 3 * HOUR}`,
  ],
  [
    'last one 5 min ago: cool-down until 10 min after it',
    { now: NOW, issuedAt: [NOW - 5 * MIN], containerBusy: 0, settings: limits },
    `cooldown ${NOW + 5 * MIN}`,
  ],
  [
    'exactly the cool-down ago: go',
    { now: NOW, issuedAt: [NOW - 10 * MIN], containerBusy: 0, settings: limits },
    null,
  ],
  [
    'yesterday does not count',
    {
      now: NOW,
      issuedAt: [25, 26, 27, 28, 29].map((h) => NOW - h * HOUR),
      containerBusy: 0,
      settings: limits,
    },
    null,
  ],
  [
    'container at its cap: held',
    { now: NOW, issuedAt: [], containerBusy: 5, settings: limits },
    'container_cap null',
  ],
  [
    'a cap of zero: never',
    { now: NOW, issuedAt: [], containerBusy: 0, settings: { ...limits, maxActionsPerDay: 0 } },
    'daily_cap null',
  ],
];

describe('throttles (pure)', () => {
  it.each(throttleCases)('%s', (_name, given, expected) => {
    const r = throttle(given);
    expect(r ? `${r.code} ${r.until}` : null).toBe(expected);
  });
});

const reach = (over: Partial<MinerReach>): MinerReach => ({
  profile: 'whatsminer-v3',
  agentId: 'agent-c1',
  minerKey: '10.0.0.1',
  outlet: { pduId: 'pdu-1', outlet: 3, agentId: 'agent-c1' },
  ...over,
});
const blockedCases: [string, MinerReach, string[]][] = [
  ['Whatsminer v3 on an outlet: everything possible', reach({}), []],
  [
    'Antminer stock firmware: no restart operation',
    reach({ profile: 'antminer-stock' }),
    ['restart no_capability'],
  ],
  [
    'plain cgminer: restart only',
    reach({ profile: 'cgminer' }),
    ['reboot no_capability', 'sleep no_capability'],
  ],
  ['no outlet on its slot', reach({ outlet: null }), ['power_cycle no_outlet']],
  [
    'no agent polls it: no miner command, the outlet still works',
    reach({ agentId: null, minerKey: null }),
    ['restart no_agent', 'reboot no_agent', 'sleep no_agent'],
  ],
  [
    'unknown profile',
    reach({ profile: 'mystery-fw' }),
    ['restart no_profile', 'reboot no_profile', 'sleep no_profile'],
  ],
  [
    'outlet on a PDU no agent drives',
    reach({ outlet: { pduId: 'p', outlet: 1, agentId: null } }),
    ['power_cycle no_agent'],
  ],
];

describe('rungs a miner cannot take, from its firmware capabilities and slot', () => {
  it.each(blockedCases)('%s', (_name, given, expected) => {
    const b = blockedRungs(given);
    expect(Object.entries(b).map(([rung, v]) => `${rung} ${v!.code}`)).toEqual(expected);
  });

  it('says how the agent will reboot: RPC or SSH as the profile lists them', () => {
    expect(transportsFor('antminer-stock', 'reboot')).toBe('http, ssh');
    expect(transportsFor('braiins-os', 'reboot')).toBe('ssh');
    expect(transportsFor('avalon', 'reboot')).toBe('rpc');
    expect(transportsFor('cgminer', 'reboot')).toBeNull();
  });
});

describe('ticket workflow (pure)', () => {
  it.each([
    ['open', 'in_progress', null],
    ['open', 'done', null],
    ['in_progress', 'open', null],
    ['in_progress', 'done', null],
    ['done', 'open', 'is done; open a new ticket for new work'],
    ['done', 'in_progress', 'is done; open a new ticket for new work'],
    ['open', 'open', null],
  ] as const)('%s -> %s', (from, to, expected) => {
    expect(refuseMove(from, to)).toBe(expected);
  });
});
