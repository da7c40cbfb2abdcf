import type { Command, CommandResult } from './commands.js';
import type { Birth, Events, Power, Status, Telemetry } from './messages.js';
import type { MinerSample } from './miner-sample.js';

/** Valid example messages: documentation by example, and the base of tests that break them. */
const env = {
  v: 1 as const,
  agentId: 'sc-c01',
  bootId: 'b7e1c0de-0001',
  seq: 42,
  sentAt: 1_763_900_000_000,
  historical: false,
};

export const exampleSample: MinerSample = {
  minerKey: 'SN-HTM3X1234',
  ip: '10.0.4.17',
  at: 1_763_899_999_500,
  pollMs: 180,
  slot: { rack: 'R03', slot: '12' },
  profile: 'antminer-stock',
  model: 'Antminer S19 Pro',
  firmwareVersion: 'Mon Dec 26 17:11:51 CST 2022',
  serial: 'HTM3X1234',
  mac: '02:00:00:aa:bb:cc',
  state: 'hashing',
  hashrate5sThs: 110.2,
  hashrateAvgThs: 109.8,
  expectedHashrateThs: 110,
  boards: [
    { index: 1, hashrateThs: 36.7, expectedHashrateThs: 36.6, chips: 114, chipTempC: 72, boardTempC: 58 },
  ],
  chipTempMaxC: 72,
  boardTempMaxC: 58,
  inletTempC: null,
  outletTempC: null,
  fansRpm: [5400, 5460, 5380, 5420],
  powerW: 3250,
  powerProvenance: 'estimated',
  powerLimitW: null,
  sharesAccepted: 1200,
  sharesRejected: 3,
  difficultyAccepted: 1_228_800_000,
  difficultyRejected: 3_072_000,
  hardwareErrors: 12,
  uptimeS: 86_400,
  pool: { url: 'stratum+tcp://pool.example:3333', user: 'hashshare.sc01' },
  missing: ['inletTempC', 'outletTempC'],
  repairs: [],
  work: { diff1Shares: 5_120_000, sinceAt: 1_763_899_969_500, counterReset: false },
};

export const exampleTelemetry: Telemetry = {
  ...env,
  kind: 'telemetry',
  siteId: 'sichuan',
  containerId: 'sc-c01',
  samples: [exampleSample],
  unreachable: [
    {
      minerKey: '10.0.4.18',
      ip: '10.0.4.18',
      at: 1_763_899_999_000,
      error: 'connect ECONNREFUSED',
      since: 1_763_899_000_000,
    },
  ],
  agent: {
    pollCycleMs: 2100,
    polls: 300,
    pollErrors: { timeout: 1 },
    spoolMessages: 0,
    spoolBytes: 0,
    spoolDropped: 0,
    publishLatencyMs: 4,
  },
};

export const exampleBirth: Birth = {
  ...env,
  seq: 0,
  kind: 'birth',
  siteId: 'sichuan',
  containerId: 'sc-c01',
  agentVersion: '0.1.0',
  startedAt: 1_763_899_000_000,
  pollIntervalMs: 30_000,
  miners: [
    {
      minerKey: 'SN-HTM3X1234',
      ip: '10.0.4.17',
      port: 4028,
      profile: 'antminer-stock',
      model: 'Antminer S19 Pro',
      firmwareVersion: null,
      slot: { rack: 'R03', slot: '12' },
      identity: [
        { kind: 'serial', value: 'HTM3X1234', firstSeenAt: 1_763_000_000_000, lastSeenAt: 1_763_899_000_000 },
      ],
    },
  ],
  pdus: [
    {
      pduId: 'pdu-r03',
      vendor: 'apc-rpdu2',
      host: '10.0.9.3',
      outlets: [{ outlet: 12, slot: { rack: 'R03', slot: '12' } }],
    },
  ],
};

export const exampleStatus: Status = { ...env, kind: 'status', state: 'online', reason: 'connect' };

export const examplePower: Power = {
  ...env,
  kind: 'power',
  siteId: 'sichuan',
  containerId: 'sc-c01',
  pdus: [
    {
      pduId: 'pdu-r03',
      vendor: 'apc-rpdu2',
      at: 1_763_899_999_000,
      totalPowerW: 39_000,
      totalEnergyWh: 1_200_000,
      totalEnergySinceWh: 325,
      outlets: [
        {
          outlet: 12,
          name: 'R03-12',
          state: 'on',
          powerW: 3250,
          currentA: 14.1,
          energyWh: 100_000,
          energySinceWh: 27,
          counterReset: false,
          slot: { rack: 'R03', slot: '12' },
        },
      ],
      sensors: [{ sensorId: 'inlet-1', kind: 'temperature', value: 24.5, location: 'inlet' }],
      phases: [
        { phase: 1, currentA: 56.4, voltageV: 231, powerW: 13_000, ratedCurrentA: 63, loadState: 'normal' },
        { phase: 2, currentA: 57.1, voltageV: 230, powerW: 13_100, ratedCurrentA: 63, loadState: 'normal' },
        { phase: 3, currentA: 56.0, voltageV: 229, powerW: 12_900, ratedCurrentA: 63, loadState: 'normal' },
      ],
    },
  ],
  unreachable: [],
};

export const exampleEvents: Events = {
  ...env,
  kind: 'events',
  siteId: 'sichuan',
  containerId: 'sc-c01',
  events: [
    {
      type: 'miner.identity_changed',
      at: 1_763_899_999_000,
      minerKey: 'SN-HTM3X1234',
      ip: '10.0.4.99',
      kind: 'ip',
      previous: '10.0.4.17',
      current: '10.0.4.99',
    },
  ],
};

export const exampleCommand: Command = {
  v: 1,
  kind: 'command',
  id: '7d1f3c52-8a7b-4c1e-9f7e-2a3b4c5d6e7f',
  agentId: 'sc-c01',
  issuer: 'user:ops-anna',
  issuedAt: 1_763_900_000_000,
  expiresAt: 1_763_900_300_000,
  seq: 7,
  action: { op: 'reboot', target: { kind: 'miner', minerKey: 'SN-HTM3X1234' } },
  signature: { alg: 'ed25519', keyId: 'controller-2026', sig: 'c2lnbmF0dXJl' },
};

export const exampleResult: CommandResult = {
  ...env,
  kind: 'result',
  commandId: exampleCommand.id,
  commandSeq: 7,
  status: 'succeeded',
  refusal: null,
  transport: 'ssh',
  startedAt: 1_763_900_000_100,
  finishedAt: 1_763_900_001_300,
  message: 'reboot issued',
};
