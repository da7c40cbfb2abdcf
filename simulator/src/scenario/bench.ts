import { simFirmware } from '../firmware/registry.js';
import { createRng } from '../rng.js';
import { ALL_PROFILES, mac, ouiFor, type Profile, serial, tariffTable } from './build.js';
import type { MinerSpec, ScenarioInput } from './schema.js';

export type BenchParams = {
  /** Fleet size, 1..10,000 (default 1,000). */
  miners?: number;
  seed?: number;
  /** Firmware mix (default all eight, round-robin). */
  profiles?: Profile[];
  /** Second octet of the 127.N.0.0/16 block (default 21). */
  block?: number;
  /** Move to a random free block instead (tests, parallel runs). */
  freeBlock?: boolean;
};

export const BENCH_MAX_MINERS = 10_000;
const PER_CONTAINER = 250;

/** A bench fleet: containers of 250 miners, each container a /24 in 127.N.0.0/16; no PDUs. */
export function benchScenario(params: BenchParams = {}): ScenarioInput {
  const n = params.miners ?? 1000;
  if (!Number.isInteger(n) || n < 1 || n > BENCH_MAX_MINERS) {
    throw new Error(`scenario bench: miners must be 1..${BENCH_MAX_MINERS}, got ${n}`);
  }
  const seed = params.seed ?? 7;
  const block = params.block ?? 21;
  const profiles = params.profiles ?? ALL_PROFILES;
  const rng = createRng(seed);
  const containers = Math.ceil(n / PER_CONTAINER);
  const miners: MinerSpec[] = Array.from({ length: n }, (_, i) => {
    const c = Math.floor(i / PER_CONTAINER);
    const k = i % PER_CONTAINER;
    const profile = profiles[i % profiles.length]!;
    const models = simFirmware(profile).models;
    const model = models[Math.floor(i / profiles.length) % models.length]!;
    return {
      id: `b${String(i + 1).padStart(5, '0')}`,
      serial: serial(rng, model),
      mac: mac(rng, ouiFor(model)),
      model,
      profile,
      firmwareVersion: simFirmware(profile).firmwareVersion,
      containerId: `bc${c + 1}`,
      rack: `R${Math.floor(k / 25) + 1}`,
      slot: `S${(k % 25) + 1}`,
      ip: `127.${block}.${c + 1}.${2 + k}`,
      pdu: null,
      worker: `bench.w${i + 1}`,
      apiAllow: null,
      password: null,
    };
  });
  return {
    name: 'bench',
    seed,
    addressing: params.freeBlock ? 'free-block' : 'fixed',
    sites: [
      {
        id: 'bench-site',
        name: 'Bench site',
        utcOffsetH: 5,
        capacityMw: 40,
        tariffUsdPerKwh: tariffTable(() => 0.03),
        ambient: {
          meanC: 10,
          annualAmplitudeC: 15,
          warmestDayOfYear: 200,
          dailyAmplitudeC: 5,
          warmestHourLocal: 15,
        },
      },
    ],
    containers: Array.from({ length: containers }, (_, c) => ({
      id: `bc${c + 1}`,
      siteId: 'bench-site',
      name: `Bench container ${c + 1}`,
      ipBlock: `127.${block}.${c + 1}.0/24`,
      racks: 10,
      slotsPerRack: 25,
      inletOffsetC: 3,
    })),
    miners,
    pdus: [],
    faults: [],
  };
}
