import { findModel } from '@hashfleet/firmware-profiles';
import { describe, expect, it } from 'vitest';
import { evaluateAlerts, type Observation, trackingKey, workerPattern } from '../src/alerts/evaluate.js';
import { type AlertKind, KIND_SPECS } from '../src/alerts/kinds.js';
import { MESSAGE_VARIANTS, messageKeyOf, messageOf } from '../src/alerts/message-key.js';
import { defaultRules, indexRules, type Rule } from '../src/alerts/rules.js';
import type {
  AgentSnapshot,
  FleetSnapshot,
  LatestSample,
  MinerSnapshot,
  PduSnapshot,
} from '../src/alerts/snapshot.js';
import { alertMessage } from '../ui/app/alert-message.js';
import { CATALOGUES, LOCALES, missingKeys, setLocale } from '../ui/app/i18n.js';

const NOW = 1_800_000_000_000;
const OFFLINE_MS = 180_000;
const s19 = findModel('Antminer S19 Pro')!;
const hydro = findModel('Antminer S21 Hyd.')!;

const sample = (over: Partial<LatestSample> = {}): LatestSample => ({
  at: NOW - 5_000,
  receivedAt: NOW - 4_000,
  online: true,
  error: null,
  state: 'hashing',
  agentId: 'sc-c1',
  hashrateThs: 110,
  expectedThs: 110,
  chipTempMaxC: 70,
  boardTempMaxC: 60,
  fansRpm: [5400, 5400, 5400, 5400],
  boards: [1, 2, 3].map((index) => ({ index, hashrateThs: 36.7, chips: 114 })),
  powerW: 3250,
  powerProvenance: 'reported',
  hardwareErrors: 10,
  uptimeS: 86_400,
  pool: { url: 'stratum+tcp://pool.example:3333', user: 'hashshare.sc1' },
  ...over,
});

const miner = (over: Partial<MinerSnapshot> = {}, latest: Partial<LatestSample> = {}): MinerSnapshot => ({
  id: 'm1',
  siteId: 'sichuan',
  containerId: 'sc-c1',
  slotId: 'sc-c1/R1/S1',
  rack: 'R1',
  slot: 'S1',
  model: s19.model,
  modelInfo: s19,
  status: 'in_service',
  latest: sample(latest),
  recentThs: null,
  outlet: { pduId: 'sc-c1-pdu1', outlet: 1, powerW: 3250, at: NOW - 5_000 },
  lastControl: null,
  knownWorker: { poolUrl: 'stratum+tcp://pool.example:3333', worker: 'hashshare.sc1', source: 'first_seen' },
  ...over,
});

const agent = (over: Partial<AgentSnapshot> = {}): AgentSnapshot => ({
  id: 'sc-c1',
  siteId: 'sichuan',
  containerId: 'sc-c1',
  state: 'online',
  lastSeenAt: NOW - 5_000,
  spoolMessages: 0,
  spoolDropped: 0,
  ...over,
});

const pdu = (over: Partial<PduSnapshot> = {}): PduSnapshot => ({
  id: 'sc-c1-pdu1',
  containerId: 'sc-c1',
  siteId: 'sichuan',
  at: NOW - 5_000,
  totalPowerW: 16_000,
  outlets: [{ outlet: 1, powerW: 3250, currentA: 14.1, state: 'on' }],
  inletTempsC: [28],
  phases: null,
  ...over,
});

const snapshot = (over: Partial<FleetSnapshot> = {}): FleetSnapshot => ({
  miners: [miner()],
  pdus: [pdu()],
  agents: [agent()],
  containerSites: new Map([['sc-c1', 'sichuan']]),
  ...over,
});

function run(snap: FleetSnapshot, opts: { rules?: Rule[]; tracked?: string[] } = {}): Observation[] {
  return evaluateAlerts(snap, indexRules(opts.rules ?? defaultRules(0)), {
    now: NOW,
    offlineAfterMs: OFFLINE_MS,
    tracked: new Set(opts.tracked ?? []),
  });
}
const breaches = (snap: FleetSnapshot, rules?: Rule[]) =>
  run(snap, { rules })
    .filter((o) => o.status === 'breach')
    .map((o) => `${o.kind} ${o.subject}: ${o.message}`);

const withParams = (kind: AlertKind, params: Record<string, unknown>) =>
  defaultRules(0).map((r) => (r.kind === kind ? { ...r, params: { ...r.params, ...params } } : r));

describe('evaluateAlerts: one case per kind, from a healthy fleet that raises nothing', () => {
  it('a healthy fleet raises nothing', () => {
    expect(run(snapshot())).toEqual([]);
  });

  const cases: [string, FleetSnapshot, string[], Rule[]?][] = [
    [
      'offline: the agent reports the miner unreachable',
      snapshot({ miners: [miner({}, { online: false, error: 'connect ECONNREFUSED' })] }),
      ['offline miner:m1: no answer: connect ECONNREFUSED'],
    ],
    [
      'offline: no sample for longer than ingest.offlineAfterS',
      snapshot({ miners: [miner({}, { receivedAt: NOW - 200_000 })] }),
      ['offline miner:m1: no sample for 200 s'],
    ],
    [
      'hashrate_low: the median of the window under 80 % of expected',
      snapshot({ miners: [miner({ recentThs: [60, 61, 59, 62] }, { hashrateThs: 62 })] }),
      ['hashrate_low miner:m1: hashrate median 60.5 TH/s is 55 % of expected 110 TH/s (< 80 %)'],
    ],
    [
      'hashrate_low: one low sample among normal ones does not breach',
      snapshot({ miners: [miner({ recentThs: [110, 109, 20, 111] }, { hashrateThs: 20 })] }),
      [],
    ],
    [
      'chip_overtemp: air-cooled limit 90 °C',
      snapshot({ miners: [miner({}, { chipTempMaxC: 91 })] }),
      ['chip_overtemp miner:m1: chip 91 °C ≥ 90 °C'],
    ],
    [
      'chip_overtemp: hydro limit 85 °C',
      snapshot({
        miners: [miner({ model: hydro.model, modelInfo: hydro }, { chipTempMaxC: 86, fansRpm: [] })],
      }),
      ['chip_overtemp miner:m1: chip 86 °C ≥ 85 °C'],
    ],
    [
      'board_overtemp: air-cooled board limit 80 °C',
      snapshot({ miners: [miner({}, { boardTempMaxC: 82 })] }),
      ['board_overtemp miner:m1: board 82 °C ≥ 80 °C'],
    ],
    [
      'fan_failed: a stopped fan left out of the list (bmminer)',
      snapshot({ miners: [miner({}, { fansRpm: [5400, 5400, 5400] })] }),
      ['fan_failed miner:m1: 1 of 4 fans stopped or under 500 RPM'],
    ],
    [
      'fan_failed: a fan reading 0 RPM',
      snapshot({ miners: [miner({}, { fansRpm: [5400, 0, 5400, 5400] })] }),
      ['fan_failed miner:m1: 1 of 4 fans stopped or under 500 RPM'],
    ],
    [
      'fan_failed: hydro units have no fans to fail',
      snapshot({ miners: [miner({ model: hydro.model, modelInfo: hydro }, { fansRpm: [] })] }),
      [],
    ],
    [
      'board_missing: a board with no chips',
      snapshot({
        miners: [
          miner(
            {},
            {
              boards: [
                { index: 1, hashrateThs: 36, chips: 114 },
                { index: 2, hashrateThs: 0, chips: 0 },
                { index: 3, hashrateThs: 36, chips: 114 },
              ],
            },
          ),
        ],
      }),
      ['board_missing miner:m1: 1 of 3 hash boards not hashing'],
    ],
    [
      'board_missing: a board not reported at all',
      snapshot({
        miners: [
          miner(
            {},
            {
              boards: [
                { index: 1, hashrateThs: 36, chips: 114 },
                { index: 2, hashrateThs: 36, chips: 114 },
              ],
            },
          ),
        ],
      }),
      ['board_missing miner:m1: 1 of 3 hash boards not hashing'],
    ],
    [
      'board_missing: boards whose firmware gives no chip count (Avalon, Braiins OS) are not missing',
      snapshot({
        miners: [
          miner(
            {},
            {
              boards: [
                { index: 0, hashrateThs: 36, chips: null },
                { index: 1, hashrateThs: 36, chips: null },
                { index: 2, hashrateThs: null, chips: null },
              ],
            },
          ),
        ],
      }),
      [],
    ],
    [
      'hw_errors: 600 per hour',
      snapshot({ miners: [miner({}, { hardwareErrors: 1200, uptimeS: 7200 })] }),
      ['hw_errors miner:m1: 600 hardware errors/h ≥ 500/h'],
    ],
    [
      'hw_errors: not judged in the first minutes after a restart',
      snapshot({ miners: [miner({}, { hardwareErrors: 100, uptimeS: 60 })] }),
      [],
    ],
    [
      'pool_not_allowed: no allowed list configured checks nothing',
      snapshot({ miners: [miner({}, { pool: { url: 'stratum+tcp://evil:1', user: 'hashshare.sc1' } })] }),
      [],
    ],
    [
      'pool_not_allowed: a pool outside the list',
      snapshot({
        miners: [miner({}, { pool: { url: 'stratum+tcp://evil.example:1', user: 'hashshare.sc1' } })],
      }),
      ["pool_not_allowed miner:m1: pool stratum+tcp://evil.example:1 is not in the site's allowed pools"],
      withParams('pool_not_allowed', { allowedPools: ['pool.example:3333'] }),
    ],
    [
      'pool_not_allowed: the allowed pool written another way',
      snapshot(),
      [],
      withParams('pool_not_allowed', { allowedPools: ['STRATUM+TCP://pool.example:3333/'] }),
    ],
    [
      'worker_changed: another worker on our pool',
      snapshot({
        miners: [miner({}, { pool: { url: 'stratum+tcp://pool.example:3333', user: 'thief.1' } })],
      }),
      [
        'worker_changed miner:m1: worker thief.1 on stratum+tcp://pool.example:3333; last known-good worker hashshare.sc1',
      ],
    ],
    [
      'implausible_reading: the fields outside the envelope are named with their raw values',
      snapshot({
        miners: [miner({}, { implausible: [{ field: 'chipTempMaxC', value: 900, min: -40, max: 150 }] })],
      }),
      ['implausible_reading miner:m1: implausible reading: chipTempMaxC 900 outside -40..150'],
    ],
    [
      'worker_changed: a site with worker patterns and no known-good worker but a first sighting: a worker matching none',
      snapshot({
        workerPatterns: new Map([['sichuan', [workerPattern('hashshare.*')]]]),
        miners: [miner({}, { pool: { url: 'stratum+tcp://pool.example:3333', user: 'thief.1' } })],
      }),
      [
        "worker_changed miner:m1: worker thief.1 on stratum+tcp://pool.example:3333 matches none of the site's worker patterns",
      ],
    ],
    ['implausible_reading: a plausible sample', snapshot({ miners: [miner({}, { implausible: [] })] }), []],
    [
      'drift: each field out of its desired state past the grace period (600 s) is named',
      snapshot({
        miners: (
          [
            ['pool', 'stratum+tcp://pool.example:3333', 'btc.hijack.example:3333'],
            ['worker', 'hashshare.sc1', 'intruder.1'],
            ['power', '3000 W', '2500 W'],
            ['firmware', '2024.2', '2024.1'],
            ['sleep', 'asleep', 'hashing'],
            ['sleep', 'awake', 'sleeping'],
          ] as const
        ).map(([field, desired, actual], i) =>
          miner({ id: `m${i + 1}`, drift: { field, desired, actual, since: NOW - 600_000 } }),
        ),
      }),
      [
        'drift miner:m1: pool out of its desired state for 600 s: wants stratum+tcp://pool.example:3333, has btc.hijack.example:3333',
        'drift miner:m2: worker out of its desired state for 600 s: wants hashshare.sc1, has intruder.1',
        'drift miner:m3: power out of its desired state for 600 s: wants 3000 W, has 2500 W',
        'drift miner:m4: firmware out of its desired state for 600 s: wants 2024.2, has 2024.1',
        'drift miner:m5: sleep out of its desired state for 600 s: wants asleep, has hashing',
        'drift miner:m6: sleep out of its desired state for 600 s: wants awake, has sleeping',
      ],
    ],
    [
      'drift: within the grace period',
      snapshot({
        miners: [
          miner({ drift: { field: 'power', desired: '3000 W', actual: '2500 W', since: NOW - 599_000 } }),
        ],
      }),
      [],
    ],
    [
      'power_mismatch: reported 20 % off the meter (at the threshold)',
      snapshot({ miners: [miner({}, { powerW: 2600 })] }),
      ['power_mismatch miner:m1: reports 2600 W, outlet sc-c1-pdu1/1 meters 3250 W (20 % apart)'],
    ],
    [
      'power_mismatch: an estimated power figure is not compared',
      snapshot({ miners: [miner({}, { powerW: 2000, powerProvenance: 'estimated' })] }),
      [],
    ],
    [
      'inlet_hot: the hottest inlet of the container',
      snapshot({ pdus: [pdu({ inletTempsC: [31, 41.5] })] }),
      ['inlet_hot container:sc-c1: inlet 41.5 °C ≥ 40 °C'],
    ],
    [
      'outlet_overload: current over 16 A',
      snapshot({ pdus: [pdu({ outlets: [{ outlet: 1, powerW: 3250, currentA: 17, state: 'on' }] })] }),
      ['outlet_overload outlet:sc-c1-pdu1/1: outlet sc-c1-pdu1/1 carries 17 A ≥ 16 A'],
    ],
    [
      'outlet_overload: power over 16 A at 230 V when the PDU gives no current',
      snapshot({ pdus: [pdu({ outlets: [{ outlet: 1, powerW: 3900, currentA: null, state: 'on' }] })] }),
      ['outlet_overload outlet:sc-c1-pdu1/1: outlet sc-c1-pdu1/1 carries 17 A ≥ 16 A'],
    ],
    [
      'phase_overload: a PDU that reports no phases falls back to its total over the feed',
      snapshot({ pdus: [pdu({ totalPowerW: 23_000 })] }),
      ['phase_overload pdu:sc-c1-pdu1: PDU sc-c1-pdu1 draws 23000 W ≥ 22080 W'],
    ],
    [
      'phase_overload: a phase over the rating the PDU reports (its total is well under the feed)',
      snapshot({
        pdus: [
          pdu({
            phases: [
              { phase: 1, currentA: 60, ratedCurrentA: 63 },
              { phase: 2, currentA: 64.5, ratedCurrentA: 63 },
              { phase: 3, currentA: 20, ratedCurrentA: 63 },
            ],
          }),
        ],
      }),
      ['phase_overload pdu:sc-c1-pdu1: PDU sc-c1-pdu1 phase L2 carries 64.5 A ≥ 63 A'],
    ],
    [
      'phase_overload: per-phase current wins over the total-power check (23 kW total, phases under 63 A)',
      snapshot({
        pdus: [
          pdu({
            totalPowerW: 23_000,
            phases: [1, 2, 3].map((phase) => ({ phase, currentA: 33, ratedCurrentA: 63 })),
          }),
        ],
      }),
      [],
    ],
    [
      'phase_overload: no rating from the PDU takes the documented 32 A default',
      snapshot({ pdus: [pdu({ phases: [{ phase: 1, currentA: 32.5, ratedCurrentA: null }] })] }),
      ['phase_overload pdu:sc-c1-pdu1: PDU sc-c1-pdu1 phase L1 carries 32.5 A ≥ 32 A'],
    ],
    [
      "phase_overload: the rule's params.phaseRatingA overrides the PDU's rating",
      snapshot({ pdus: [pdu({ phases: [{ phase: 1, currentA: 45, ratedCurrentA: 63 }] })] }),
      ['phase_overload pdu:sc-c1-pdu1: PDU sc-c1-pdu1 phase L1 carries 45 A ≥ 40 A'],
      withParams('phase_overload', { phaseRatingA: 40 }),
    ],
    [
      'phase_overload: the most loaded phase relative to its own rating decides, not the largest current',
      snapshot({
        pdus: [
          pdu({
            phases: [
              { phase: 1, currentA: 70, ratedCurrentA: 80 },
              { phase: 2, currentA: 33, ratedCurrentA: null },
            ],
          }),
        ],
      }),
      ['phase_overload pdu:sc-c1-pdu1: PDU sc-c1-pdu1 phase L2 carries 33 A ≥ 32 A'],
    ],
    [
      'phase_overload: phases without a current reading judge nothing (and fall back to nothing)',
      snapshot({
        pdus: [pdu({ totalPowerW: 23_000, phases: [{ phase: 1, currentA: null, ratedCurrentA: 63 }] })],
      }),
      [],
    ],
    [
      'agent_offline: the last will',
      snapshot({ agents: [agent({ state: 'offline' })] }),
      ['agent_offline agent:sc-c1: agent offline (last heard 5 s ago)'],
    ],
    [
      'agent_offline: silent too long; its miners are not called offline each',
      snapshot({
        agents: [agent({ lastSeenAt: NOW - 300_000 })],
        miners: [miner({}, { receivedAt: NOW - 300_000 })],
      }),
      ['agent_offline agent:sc-c1: agent silent for 300 s'],
    ],
    [
      'spool_filling: backlog over 10,000 messages',
      snapshot({ agents: [agent({ spoolMessages: 12_000 })] }),
      ['spool_filling agent:sc-c1: 12000 messages waiting in the spool'],
    ],
    [
      'spool_filling: any dropped message',
      snapshot({ agents: [agent({ spoolMessages: 5, spoolDropped: 3 })] }),
      ['spool_filling agent:sc-c1: spool full: 3 messages dropped'],
    ],
  ];
  it.each(cases)('%s', (_name, snap, expected, rules) => {
    expect(breaches(snap, rules)).toEqual(expected);
  });

  it('every kind has a case above', () => {
    const covered = new Set(cases.flatMap(([, , e]) => e.map((line) => line.split(' ')[0])));
    expect([...covered].sort()).toEqual(Object.keys(KIND_SPECS).sort());
  });

  /** Every breach of the cases above, as the API gives it: the English line, the key and its parameters. */
  const worded = () =>
    cases.flatMap(([, snap, , rules]) =>
      run(snap, { rules })
        .filter((o) => o.status === 'breach')
        .map((o) => ({
          o,
          message: o.message,
          ...messageOf({ ...o, details: { ...o.details, rack: o.rack } }),
        })),
    );
  const placeholders = (s: string) => [...s.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!);

  it("every kind's message, in each of its variants, has a key in every UI catalogue and a parameter for each placeholder", () => {
    const seen = new Set<string>();
    const wrong: string[] = [];
    for (const { o, messageKey, messageParams } of worded()) {
      if (!messageKey) {
        wrong.push(`${o.kind}: no key for "${o.message}"`);
        continue;
      }
      seen.add(messageKey);
      for (const { id } of LOCALES) {
        const text = CATALOGUES[id][messageKey];
        if (text === undefined) wrong.push(`${id}: ${messageKey} missing`);
        else
          for (const p of placeholders(text))
            if (!(p in (messageParams ?? {}))) wrong.push(`${id}: ${messageKey} {{${p}}} has no parameter`);
      }
    }
    expect(wrong).toEqual([]);
    const all = Object.entries(MESSAGE_VARIANTS).flatMap(([kind, vs]) =>
      vs.map((v) => messageKeyOf(kind, v)),
    );
    expect([...seen].sort()).toEqual(all.sort());
  });

  it('a rendered alert message in Russian, Chinese and Kazakh holds no English: only names, figures and units', () => {
    // What stays as written in every language: the alert's names (pools, workers, PDUs, reading
    // fields) and the units miners use.
    const KEPT = ['PDU', 'TH/s', 'PH/s', 'kW', 'MW'];
    const english: string[] = [];
    try {
      for (const { o, message, messageKey, messageParams } of worded()) {
        for (const id of ['ru', 'zh-CN', 'kk'] as const) {
          setLocale(id);
          const text = alertMessage({ message, messageKey, messageParams });
          let rest = text;
          for (const v of Object.values(messageParams ?? {}))
            if (typeof v === 'string') rest = rest.split(v).join(' ');
          for (const w of KEPT) rest = rest.split(w).join(' ');
          if (/[A-Za-z]{2,}/.test(rest) || text === message) english.push(`${id} ${o.kind}: ${text}`);
        }
      }
      expect(missingKeys().filter((k) => k.includes('alertMessage'))).toEqual([]);
    } finally {
      setLocale('en');
    }
    expect(english).toEqual([]);
    expect(
      alertMessage({
        message: 'x',
        messageKey: 'alertMessage.chip_overtemp',
        messageParams: { chipC: 91, thresholdC: 90 },
      }),
    ).toBe('chip 91 °C ≥ 90 °C');
  });
});

describe('evaluateAlerts: paused miners and tracked pairs', () => {
  const hot = { chipTempMaxC: 97, fansRpm: [5400, 5400, 5400] };
  const idle = { ...hot, state: 'idle', hashrateThs: 0 };
  const idleCool = { state: 'idle', hashrateThs: 0 };
  it.each([
    ['sleeping', miner({}, { ...hot, state: 'sleeping' })],
    ['idle after our sleep command', miner({ lastControl: { op: 'sleep', at: NOW - 60_000 } }, idle)],
    [
      'idle after its agent slept it (local safety)',
      miner({ lastSafety: { action: 'sleep', at: NOW - 60_000 } }, idle),
    ],
    [
      'idle after its agent slept it, a wake sent before that',
      miner(
        {
          lastControl: { op: 'wake', at: NOW - 120_000 },
          lastSafety: { action: 'sleep', at: NOW - 60_000 },
        },
        idle,
      ),
    ],
    ['after a sleep command', miner({ lastControl: { op: 'sleep', at: NOW - 1 } }, hot)],
    [
      'poll stopped',
      miner({ lastControl: { op: 'poll.stop', at: NOW - 1 } }, { ...hot, receivedAt: NOW - 900_000 }),
    ],
    ['decommissioned', miner({ status: 'decommissioned' }, { ...hot, online: false })],
    ['in repair', miner({ status: 'in_repair' }, hot)],
  ])('a %s miner raises nothing', (_n, m) => {
    expect(breaches(snapshot({ miners: [m] }))).toEqual([]);
  });

  // A paused Braiins OS or plain cgminer reports `idle` (no sleep flag): without a known reason
  // it is a miner that should be hashing, and its rate of 0 is judged.
  it.each([
    ['idle for no known reason', miner({ recentThs: [0, 0, 0] }, idleCool)],
    [
      'idle after a wake we sent (the wake did not take)',
      miner({ recentThs: [0, 0, 0], lastControl: { op: 'wake', at: NOW - 600_000 } }, idleCool),
    ],
    [
      'idle after a wake we sent after its agent slept it',
      miner(
        {
          recentThs: [0, 0, 0],
          lastControl: { op: 'wake', at: NOW - 60_000 },
          lastSafety: { action: 'sleep', at: NOW - 120_000 },
        },
        idleCool,
      ),
    ],
  ])('a miner %s alerts hashrate_low (its rate of 0 is judged)', (_n, m) => {
    expect(breaches(snapshot({ miners: [m] }))).toEqual([
      'hashrate_low miner:m1: hashrate median 0 TH/s is 0 % of expected 110 TH/s (< 80 %)',
    ]);
  });

  it('a paused miner with an open alert is reported suppressed, with why', () => {
    const key = trackingKey('default:chip_overtemp', 'miner:m1');
    const [o] = run(snapshot({ miners: [miner({}, { ...hot, state: 'sleeping' })] }), { tracked: [key] });
    expect(o).toMatchObject({
      kind: 'chip_overtemp',
      status: 'suppressed',
      message: 'miner reports sleeping',
    });
  });

  it('a tracked pair in the hysteresis band is reported as hold, a stale sample as unknown', () => {
    const key = trackingKey('default:chip_overtemp', 'miner:m1');
    expect(run(snapshot({ miners: [miner({}, { chipTempMaxC: 87 })] }), { tracked: [key] })).toMatchObject([
      { status: 'hold', value: 87 },
    ]);
    const stale = miner({}, { chipTempMaxC: 97, receivedAt: NOW - 200_000 });
    expect(
      run(snapshot({ miners: [stale] }), { tracked: [key] }).find((o) => o.kind === 'chip_overtemp'),
    ).toMatchObject({
      status: 'unknown',
    });
  });

  it('untracked subjects that are fine produce no observation at all', () => {
    const many = Array.from({ length: 50 }, (_, i) => miner({ id: `m${i}` }));
    expect(run(snapshot({ miners: many }))).toEqual([]);
  });
});
