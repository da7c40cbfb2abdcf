import { MODELS } from '@hashfleet/firmware-profiles';
import { SIM_FIRMWARES, SIM_PROFILES, simFirmware } from '../firmware/registry.js';
import { createRng, type Rng } from '../rng.js';
import type { MinerSpec, PduSpec, ScenarioInput, Site } from './schema.js';

export type Profile = MinerSpec['profile'];
/** Every simulated firmware profile (firmware/registry.ts). */
export const ALL_PROFILES: Profile[] = [...SIM_PROFILES];

/** Which models each firmware runs on in our fleet (first is the default). */
export const PROFILE_MODELS: Readonly<Record<Profile, readonly string[]>> = Object.fromEntries(
  SIM_FIRMWARES.map((f) => [f.profile, f.models]),
);

const SERIAL_PREFIX: Record<string, string> = {
  Bitmain: 'JYZZB',
  MicroBT: 'HKM3C',
  Canaan: 'AVA15',
  Other: 'GEN00',
};
const HEX = '0123456789ABCDEF';

export function mac(rng: Rng, oui: string): string {
  return `${oui}:${[0, 1, 2].map(() => HEX[rng.int(16)]! + HEX[rng.int(16)]!).join(':')}`;
}

export function serial(rng: Rng, model: string): string {
  const make = MODELS.find((m) => m.model === model)?.make ?? 'Other';
  const chars = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';
  return SERIAL_PREFIX[make] + Array.from({ length: 12 }, () => chars[rng.int(chars.length)]).join('');
}

const OUI: Record<string, string> = {
  Bitmain: 'A0:B0:45',
  MicroBT: 'C6:06:12',
  Canaan: 'B4:A2:EB',
  Other: '02:00:00',
};
export const ouiFor = (model: string): string => OUI[MODELS.find((m) => m.model === model)?.make ?? 'Other']!;

/** A 12x24 tariff table from a function of (month 0-11, local hour 0-23). */
export const tariffTable = (f: (month: number, hour: number) => number): number[][] =>
  Array.from({ length: 12 }, (_, m) =>
    Array.from({ length: 24 }, (_, h) => Math.round(f(m, h) * 10000) / 10000),
  );

export type SmallScenarioParams = {
  /** Number of miners (default 8). */
  miners?: number;
  /** Firmware profiles to cycle through (default all eight). */
  profiles?: Profile[];
  /** Models to use instead of each profile's default. */
  models?: Partial<Record<Profile, string>>;
  seed?: number;
  /** Add PDUs (APC and Raritan alternately, 24 outlets each) feeding the miners (default true). */
  pdus?: boolean;
  pduPort?: number;
  /** Per-miner overrides (apiAllow, password) for every miner. */
  apiAllow?: string | null;
  bootS?: number;
  restartS?: number;
};

const SITE: Site = {
  id: 'lab',
  name: 'Test lab',
  utcOffsetH: 0,
  capacityMw: 1,
  tariffUsdPerKwh: tariffTable(() => 0.05),
  ambient: {
    meanC: 20,
    annualAmplitudeC: 0,
    warmestDayOfYear: 200,
    dailyAmplitudeC: 0,
    warmestHourLocal: 15,
  },
};

/**
 * A small fleet for tests: one container in a random free 127.N.0.0/16 block, miners cycling
 * through `profiles`, each on a PDU outlet. Deterministic in everything but the block.
 */
export function smallScenario(params: SmallScenarioParams = {}): ScenarioInput {
  const count = params.miners ?? 8;
  const profiles = params.profiles ?? ALL_PROFILES;
  const seed = params.seed ?? 1;
  const rng = createRng(seed);
  const withPdus = params.pdus ?? true;
  const perPdu = 24;
  const pdus: PduSpec[] = [];
  if (withPdus) {
    for (let p = 0; p < Math.ceil(count / perPdu); p++) {
      pdus.push({
        id: `pdu-${p + 1}`,
        vendor: p % 2 === 0 ? 'apc-rpdu2' : 'raritan-pdu2',
        containerId: 'c1',
        host: `127.99.0.${200 + p}`,
        port: params.pduPort ?? 1161,
        outlets: perPdu,
        community: 'public',
        writeCommunity: 'private',
        phases: 3,
        phaseRatingA: 125,
        v3: { user: 'hashfleet', authKey: 'hashfleet-auth', privKey: 'hashfleet-priv' },
      });
    }
  }
  const miners: MinerSpec[] = Array.from({ length: count }, (_, i) => {
    const profile = profiles[i % profiles.length]!;
    const model = params.models?.[profile] ?? simFirmware(profile).models[0];
    return {
      id: `m${String(i + 1).padStart(4, '0')}`,
      serial: serial(rng, model),
      mac: mac(rng, ouiFor(model)),
      model,
      profile,
      firmwareVersion: simFirmware(profile).firmwareVersion,
      containerId: 'c1',
      rack: `R${Math.floor(i / 20) + 1}`,
      slot: `S${(i % 20) + 1}`,
      ip: `127.99.${1 + Math.floor(i / 200)}.${10 + (i % 200)}`,
      pdu: withPdus ? { pduId: `pdu-${Math.floor(i / perPdu) + 1}`, outlet: (i % perPdu) + 1 } : null,
      worker: `hashshare.m${i + 1}`,
      apiAllow: params.apiAllow ?? null,
      password: null,
    };
  });
  return {
    name: 'small',
    seed,
    addressing: 'free-block',
    timing: { bootS: params.bootS ?? 60, restartS: params.restartS ?? 10, outletCycleS: 5 },
    sites: [SITE],
    containers: [
      {
        id: 'c1',
        siteId: 'lab',
        name: 'Lab container',
        ipBlock: '127.99.0.0/16',
        racks: Math.ceil(count / 20),
        slotsPerRack: 20,
        inletOffsetC: 3,
      },
    ],
    miners,
    pdus,
    faults: [],
  };
}
