import {
  type Birth,
  exampleBirth,
  exampleSample,
  exampleTelemetry,
  type MinerSample,
  topics,
} from '@hashfleet/contracts';
import { testApp } from './helpers.js';

export type FleetMiner = {
  key: string;
  profile: string;
  model: string;
  powerLimitW?: number | null;
  /** Slot name in rack R01; default the miner's position, zero-padded. */
  slot?: string;
};

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

/**
 * A controller on in-memory SQLite with one agent (`sc-c01`) polling the given miners: a birth
 * naming each miner's firmware, then one telemetry sample each, ingested like an agent's messages.
 * Publishing is recorded (what the broker link would send).
 */
export async function fleetApp(miners: FleetMiner[], now: () => number) {
  const t = await testApp({}, now);
  const birth: Birth = {
    ...exampleBirth,
    miners: miners.map((m, i) => ({
      ...exampleBirth.miners[0]!,
      minerKey: m.key,
      ip: `10.0.4.${10 + i}`,
      profile: m.profile,
      model: m.model,
      slot: { rack: 'R01', slot: m.slot ?? String(i + 1).padStart(2, '0') },
      identity: [{ kind: 'serial', value: m.key, firstSeenAt: 1, lastSeenAt: 2 }],
    })),
    pdus: [],
  };
  await t.app.hashfleet.ingest.handle(topics.birth('sc-c01'), enc(birth));
  const samples: MinerSample[] = miners.map((m, i) => ({
    ...exampleSample,
    minerKey: m.key,
    serial: m.key,
    mac: `02:00:00:00:00:${String(10 + i).padStart(2, '0')}`,
    ip: `10.0.4.${10 + i}`,
    profile: m.profile,
    model: m.model,
    powerLimitW: m.powerLimitW ?? null,
    slot: { rack: 'R01', slot: m.slot ?? String(i + 1).padStart(2, '0') },
  }));
  await t.app.hashfleet.ingest.handle(
    topics.telemetry('sc-c01'),
    enc({ ...exampleTelemetry, seq: 2, samples, unreachable: [] }),
  );
  const published: { topic: string; payload: string }[] = [];
  t.app.hashfleet.commands.attach(async (topic, payload) => {
    published.push({ topic, payload });
  });
  const ids = new Map<string, string>();
  for (const r of await t.app.hashfleet.db.all<{ miner_id: string; miner_key: string }>(
    'SELECT miner_id, miner_key FROM agent_miners',
  ))
    ids.set(r.miner_key, r.miner_id);
  return { ...t, published, minerIdOf: (key: string) => ids.get(key)! };
}
