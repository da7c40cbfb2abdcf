import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  commandSigningBytes,
  decodeMessage,
  exampleBirth,
  exampleCommand,
  exampleEvents,
  examplePower,
  exampleResult,
  exampleStatus,
  exampleTelemetry,
  LIMITS,
  parseAgentTopic,
  type schemaByKind,
  topics,
} from '../src/index.js';

type Kind = keyof typeof schemaByKind;

/** A firmware upgrade (issue 20 item 4): an image the controller serves, its hash, size and version. */
const firmwareUpgrade = {
  op: 'firmware.upgrade',
  target: { kind: 'miner', minerKey: 'SN-1' },
  family: 'antminer-stock',
  image: {
    url: '/api/v1/firmware/images/fw-1/content',
    sha256: 'a'.repeat(64),
    sizeBytes: 4096,
    version: '49.0.1.4',
  },
};

/** For each schema: a valid example, and broken copies with the field the error must name. */
const cases: Array<{
  kind: Kind;
  valid: unknown;
  invalid: Array<{ why: string; payload: unknown; names: string }>;
}> = [
  {
    kind: 'birth',
    valid: exampleBirth,
    invalid: [
      {
        why: 'port out of range',
        payload: { ...exampleBirth, miners: [{ ...exampleBirth.miners[0], port: 70000 }] },
        names: 'birth.miners[0].port',
      },
      {
        // Vendor ids are open (an agent's registry decides what it speaks), but bounded in form.
        why: 'malformed PDU vendor id',
        payload: { ...exampleBirth, pdus: [{ ...exampleBirth.pdus[0], vendor: 'Acme PDU' }] },
        names: 'birth.pdus[0].vendor',
      },
      {
        why: 'agent id with a topic wildcard',
        payload: { ...exampleBirth, agentId: 'a/+' },
        names: 'birth.agentId',
      },
    ],
  },
  {
    kind: 'status',
    valid: exampleStatus,
    invalid: [{ why: 'unknown state', payload: { ...exampleStatus, state: 'maybe' }, names: 'status.state' }],
  },
  {
    kind: 'telemetry',
    valid: exampleTelemetry,
    invalid: [
      {
        why: 'hashrate as string',
        payload: { ...exampleTelemetry, samples: [{ ...exampleTelemetry.samples[0], hashrate5sThs: '110' }] },
        names: 'telemetry.samples[0].hashrate5sThs',
      },
      {
        why: 'negative work',
        payload: {
          ...exampleTelemetry,
          samples: [
            { ...exampleTelemetry.samples[0], work: { diff1Shares: -1, sinceAt: null, counterReset: false } },
          ],
        },
        names: 'telemetry.samples[0].work.diff1Shares',
      },
      { why: 'missing seq', payload: { ...exampleTelemetry, seq: undefined }, names: 'telemetry.seq' },
      {
        why: 'too many samples',
        payload: {
          ...exampleTelemetry,
          samples: Array(LIMITS.maxSamplesPerBatch + 1).fill(exampleTelemetry.samples[0]),
        },
        names: 'telemetry.samples',
      },
      { why: 'wrong schema version', payload: { ...exampleTelemetry, v: 2 }, names: 'telemetry.v' },
    ],
  },
  {
    kind: 'power',
    valid: examplePower,
    invalid: [
      {
        why: 'outlet 0',
        payload: {
          ...examplePower,
          pdus: [{ ...examplePower.pdus[0], outlets: [{ ...examplePower.pdus[0]!.outlets[0], outlet: 0 }] }],
        },
        names: 'power.pdus[0].outlets[0].outlet',
      },
      {
        why: 'negative energy',
        payload: { ...examplePower, pdus: [{ ...examplePower.pdus[0], totalEnergyWh: -5 }] },
        names: 'power.pdus[0].totalEnergyWh',
      },
      {
        why: 'phase 0 (phases count from 1)',
        payload: {
          ...examplePower,
          pdus: [{ ...examplePower.pdus[0], phases: [{ ...examplePower.pdus[0]!.phases![0], phase: 0 }] }],
        },
        names: 'power.pdus[0].phases[0].phase',
      },
      {
        why: 'negative phase current',
        payload: {
          ...examplePower,
          pdus: [
            { ...examplePower.pdus[0], phases: [{ ...examplePower.pdus[0]!.phases![0], currentA: -1 }] },
          ],
        },
        names: 'power.pdus[0].phases[0].currentA',
      },
      {
        why: 'more phases than LIMITS.maxPhasesPerPdu',
        payload: {
          ...examplePower,
          pdus: [
            {
              ...examplePower.pdus[0],
              phases: Array.from({ length: LIMITS.maxPhasesPerPdu + 1 }, (_, i) => ({
                ...examplePower.pdus[0]!.phases![0],
                phase: (i % LIMITS.maxPhasesPerPdu) + 1,
              })),
            },
          ],
        },
        names: 'power.pdus[0].phases',
      },
      {
        why: 'unknown phase load state',
        payload: {
          ...examplePower,
          pdus: [
            { ...examplePower.pdus[0], phases: [{ ...examplePower.pdus[0]!.phases![0], loadState: 'hot' }] },
          ],
        },
        names: 'power.pdus[0].phases[0].loadState',
      },
    ],
  },
  {
    kind: 'events',
    valid: exampleEvents,
    invalid: [
      {
        why: 'unknown event type',
        payload: { ...exampleEvents, events: [{ ...exampleEvents.events[0], type: 'miner.exploded' }] },
        names: 'events.events[0].type',
      },
      { why: 'empty event list', payload: { ...exampleEvents, events: [] }, names: 'events.events' },
    ],
  },
  {
    kind: 'commands',
    valid: exampleCommand,
    invalid: [
      {
        why: 'no signature',
        payload: { ...exampleCommand, signature: undefined },
        names: 'commands.signature',
      },
      {
        why: 'power target in kW',
        payload: {
          ...exampleCommand,
          action: { op: 'power.target', target: { kind: 'miner', minerKey: 'x' }, watts: 3.2 },
        },
        names: 'commands.action.watts',
      },
      { why: 'id not a uuid', payload: { ...exampleCommand, id: 'nope' }, names: 'commands.id' },
      {
        why: 'poll.stop aimed at an outlet (it takes a miner)',
        payload: {
          ...exampleCommand,
          action: { op: 'poll.stop', target: { kind: 'outlet', pduId: 'pdu-1', outlet: 3 } },
        },
        names: 'commands.action.target.kind',
      },
      {
        why: 'firmware.upgrade whose image hash is not a SHA-256',
        payload: {
          ...exampleCommand,
          action: { ...firmwareUpgrade, image: { ...firmwareUpgrade.image, sha256: 'abc' } },
        },
        names: 'commands.action.image.sha256',
      },
      {
        why: 'firmware.upgrade whose image URL is neither a controller path nor http(s)',
        payload: {
          ...exampleCommand,
          action: { ...firmwareUpgrade, image: { ...firmwareUpgrade.image, url: 'ftp://x/fw.tar' } },
        },
        names: 'commands.action.image.url',
      },
    ],
  },
  {
    kind: 'results',
    valid: exampleResult,
    invalid: [
      { why: 'unknown status', payload: { ...exampleResult, status: 'done' }, names: 'results.status' },
    ],
  },
];

describe('contracts: every message schema accepts its example and names the bad field', () => {
  for (const c of cases) {
    it(`${c.kind}: the documented example is valid`, () => {
      const r = decodeMessage(c.kind, JSON.stringify(c.valid));
      expect(r.ok, r.ok ? '' : r.error).toBe(true);
    });
    for (const bad of c.invalid) {
      it(`${c.kind}: rejects ${bad.why}, naming ${bad.names}`, () => {
        const r = decodeMessage(c.kind, JSON.stringify(bad.payload));
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.error).toContain(bad.names);
      });
    }
  }

  it('rejects non-JSON and oversize payloads with the kind in the message', () => {
    const notJson = decodeMessage('telemetry', '{"v":1,');
    expect(notJson.ok).toBe(false);
    if (!notJson.ok) expect(notJson.error).toMatch(/^telemetry: not JSON/);
    const big = decodeMessage('telemetry', 'x'.repeat(LIMITS.maxPayloadBytes + 1));
    expect(big.ok).toBe(false);
    if (!big.ok) expect(big.error).toContain('exceeds');
  });

  it('power: a PDU sample without phases (an older agent) or with phases null (no phase table) is valid', () => {
    const { phases: _omit, ...older } = examplePower.pdus[0]!;
    for (const pdu of [older, { ...older, phases: null }]) {
      const r = decodeMessage('power', JSON.stringify({ ...examplePower, pdus: [pdu] }));
      expect(r.ok, r.ok ? '' : r.error).toBe(true);
      if (r.ok) expect(r.value.pdus[0]!.phases ?? null).toBeNull();
    }
  });

  it('rejects a payload whose agentId differs from the topic agent (an agent cannot speak for another)', () => {
    const r = decodeMessage('telemetry', JSON.stringify(exampleTelemetry), 'kz-c09');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('telemetry.agentId');
  });
});

describe('poll management commands', () => {
  it('accept poll.stop and poll.resume on a miner by key', () => {
    for (const op of ['poll.stop', 'poll.resume'] as const) {
      const r = decodeMessage(
        'commands',
        JSON.stringify({ ...exampleCommand, action: { op, target: { kind: 'miner', minerKey: 'SN-1' } } }),
      );
      expect(r.ok, r.ok ? '' : r.error).toBe(true);
    }
  });
});

describe('firmware.upgrade', () => {
  it('is a command the agent can decode, signed like the others', () => {
    const r = decodeMessage('commands', JSON.stringify({ ...exampleCommand, action: firmwareUpgrade }));
    expect(r.ok, r.ok ? '' : r.error).toBe(true);
  });
});

describe('topics', () => {
  it('are versioned and round-trip through parseAgentTopic', () => {
    expect(topics.telemetry('sc-c01')).toBe('hashfleet/v1/agents/sc-c01/telemetry');
    expect(parseAgentTopic(topics.telemetry('sc-c01'))).toEqual({ agentId: 'sc-c01', kind: 'telemetry' });
    expect(parseAgentTopic(topics.commands('sc-c01'))).toEqual({ agentId: 'sc-c01', kind: 'commands' });
    expect(parseAgentTopic('hashfleet/v2/agents/sc-c01/telemetry')).toBeNull();
    expect(parseAgentTopic('hashfleet/v1/agents/sc-c01/bogus')).toBeNull();
    expect(topics.shared('controllers', 'telemetry')).toBe(
      '$share/controllers/hashfleet/v1/agents/+/telemetry',
    );
  });
});

describe('command signing bytes', () => {
  it('do not depend on key order or on the signature, and change with any field', () => {
    const reordered = JSON.parse(canonicalJson(exampleCommand));
    const a = commandSigningBytes(exampleCommand);
    const b = commandSigningBytes({ ...reordered, signature: { alg: 'ed25519', keyId: 'k', sig: 'other' } });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const c = commandSigningBytes({ ...exampleCommand, seq: exampleCommand.seq + 1 });
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });
});
