import { simFirmware } from '../firmware/registry.js';
import { createRng } from '../rng.js';
import { mac, ouiFor, type Profile, serial, tariffTable } from './build.js';
import type { MinerSpec, PduSpec, ScenarioInput, Site } from './schema.js';

/**
 * The demo fleet: Sichuan (hydro, cheap in the wet season May-October) and Pavlodar,
 * Kazakhstan (flat ~USD 0.03/kWh, cold), two containers each, 100 miners per container in
 * 5 racks of 20, every rack on one 20-outlet PDU (APC in Sichuan, Raritan in Kazakhstan).
 */
const SITES: Site[] = [
  {
    id: 'sichuan',
    name: "Sichuan (Ya'an)",
    utcOffsetH: 8,
    timezone: 'Asia/Shanghai',
    capacityMw: 20,
    // Wet season hydro is several times cheaper than the dry season; evening peak costs more.
    tariffUsdPerKwh: tariffTable(
      (m, h) => (m >= 4 && m <= 9 ? 0.025 : 0.075) + (h >= 18 && h <= 22 ? 0.01 : 0),
    ),
    ambient: {
      meanC: 16,
      annualAmplitudeC: 10,
      warmestDayOfYear: 205,
      dailyAmplitudeC: 4,
      warmestHourLocal: 15,
    },
  },
  {
    id: 'kazakhstan',
    name: 'Pavlodar, Kazakhstan',
    utcOffsetH: 5,
    // Pavlodar keeps Almaty's time (UTC+5 since 2024).
    timezone: 'Asia/Almaty',
    capacityMw: 300,
    tariffUsdPerKwh: tariffTable((_m, h) => (h >= 23 || h < 7 ? 0.027 : 0.032)),
    ambient: {
      meanC: 3,
      annualAmplitudeC: 20,
      warmestDayOfYear: 200,
      dailyAmplitudeC: 6,
      warmestHourLocal: 15,
    },
  },
];

/** [container id, site, name, mix of (profile, model, share of the 100 slots)] */
const CONTAINERS: [string, string, string, [Profile, string, number][]][] = [
  [
    'sc-c1',
    'sichuan',
    'Sichuan container 1',
    [
      ['antminer-stock', 'Antminer S19 Pro', 50],
      ['antminer-stock', 'Antminer S19j Pro', 30],
      ['braiins-os', 'Antminer S9', 20],
    ],
  ],
  [
    'sc-c2',
    'sichuan',
    'Sichuan container 2',
    [
      ['whatsminer-v2', 'Whatsminer M30S+', 40],
      ['whatsminer-v3', 'Whatsminer M60S', 30],
      ['avalon', 'Avalon A1366', 30],
    ],
  ],
  [
    'kz-c1',
    'kazakhstan',
    'Pavlodar container 1',
    [
      ['antminer-stock', 'Antminer S21', 40],
      ['luxos', 'Antminer S19k Pro', 30],
      ['vnish', 'Antminer S19', 30],
    ],
  ],
  [
    'kz-c2',
    'kazakhstan',
    'Pavlodar container 2',
    [
      ['whatsminer-v2', 'Whatsminer M50S', 40],
      ['antminer-stock', 'Antminer S9', 30],
      ['cgminer', 'AvalonMiner 1066', 10],
      ['braiins-os', 'Antminer S19j Pro', 20],
    ],
  ],
];

export type DemoParams = { seed?: number; pduPort?: number };

export function demoScenario(params: DemoParams = {}): ScenarioInput {
  const seed = params.seed ?? 42;
  const rng = createRng(seed);
  const miners: MinerSpec[] = [];
  const pdus: PduSpec[] = [];
  CONTAINERS.forEach(([cid, siteId, , mix], c) => {
    for (let rack = 1; rack <= 5; rack++) {
      pdus.push({
        id: `${cid}-pdu${rack}`,
        vendor: siteId === 'sichuan' ? 'apc-rpdu2' : 'raritan-pdu2',
        containerId: cid,
        host: `127.20.${c + 1}.${240 + rack}`,
        port: params.pduPort ?? 1161,
        outlets: 20,
        community: 'public',
        writeCommunity: 'private',
        phases: 3,
        phaseRatingA: 125,
        v3: { user: 'hashfleet', authKey: 'hashfleet-auth', privKey: 'hashfleet-priv' },
      });
    }
    const slots = mix.flatMap(([profile, model, n]) =>
      Array.from({ length: n }, () => [profile, model] as const),
    );
    slots.forEach(([profile, model], i) => {
      const rack = Math.floor(i / 20) + 1;
      const slot = (i % 20) + 1;
      miners.push({
        id: `${cid}-r${rack}-s${String(slot).padStart(2, '0')}`,
        serial: serial(rng, model),
        mac: mac(rng, ouiFor(model)),
        model,
        profile,
        firmwareVersion: simFirmware(profile).firmwareVersion,
        containerId: cid,
        rack: `R${rack}`,
        slot: `S${slot}`,
        ip: `127.20.${c + 1}.${10 + i}`,
        pdu: { pduId: `${cid}-pdu${rack}`, outlet: slot },
        worker: `hashshare.${cid.replace('-', '')}r${rack}s${slot}`,
        apiAllow: null,
        password: null,
      });
    });
  });
  const id = (c: string, r: number, s: number) => `${c}-r${r}-s${String(s).padStart(2, '0')}`;
  return {
    name: 'demo',
    seed,
    addressing: 'fixed',
    ports: { rpc: 4028, wmV3: 4433, ssh: 2222, http: 8080 },
    timing: { bootS: 90, restartS: 10, outletCycleS: 5 },
    sites: SITES,
    containers: CONTAINERS.map(([cid, siteId, name], c) => ({
      id: cid,
      siteId,
      name,
      ipBlock: `127.20.${c + 1}.0/24`,
      racks: 5,
      slotsPerRack: 20,
      inletOffsetC: siteId === 'sichuan' ? 4 : 2,
    })),
    miners,
    pdus,
    faults: [
      { minerId: id('sc-c1', 2, 7), fault: { kind: 'failed-fan', fan: 0 } },
      { minerId: id('sc-c1', 4, 3), fault: { kind: 'dead-board', board: 1 } },
      { minerId: id('sc-c2', 1, 12), fault: { kind: 'dead' } },
      { minerId: id('sc-c2', 3, 5), fault: { kind: 'low-hashrate', factor: 0.55 } },
      { minerId: id('kz-c1', 2, 9), fault: { kind: 'hung' } },
      {
        minerId: id('kz-c1', 5, 1),
        fault: {
          kind: 'pool-changed',
          url: 'stratum+tcp://btc.unknown-pool.example:3333',
          user: 'someone.else',
        },
      },
      { minerId: id('kz-c2', 1, 4), fault: { kind: 'slow', seconds: 8 } },
      { minerId: id('kz-c2', 3, 18), fault: { kind: 'garbage' } },
    ],
  };
}
