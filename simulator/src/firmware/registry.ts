import { antminerCgi } from '../http/antminer-cgi.js';
import { vnishWeb } from '../http/vnish-web.js';
import { antminerStock } from './antminer-stock.js';
import { auradine } from './auradine.js';
import { avalon } from './avalon.js';
import { bfgminer } from './bfgminer.js';
import { braiinsOs } from './braiins-os.js';
import { cgminer } from './cgminer.js';
import { luxos } from './luxos.js';
import type { RpcFirmware } from './types.js';
import { vnish } from './vnish.js';
import { whatsminerV2 } from './whatsminer-v2.js';

/** A simulated web API: answers one HTTP request for a miner (Antminer CGI, VNish). */
export type WebApi = typeof antminerCgi;

/**
 * One simulated firmware: the twin of the firmware profile with the same id. Every list the
 * simulator, its scenarios and the demo's agent configs keep per firmware derives from this record
 * (`test/firmware-registry.test.ts` fails when a registered profile has none).
 */
export type SimFirmware = {
  /** The firmware profile id (firmware-profiles registry). */
  profile: string;
  /** Its RPC personality on port 4028. */
  rpc: RpcFirmware;
  /** Models it runs on in our fleet (model table names); the first is the default. */
  models: readonly [string, ...string[]];
  /** Firmware version string as the recorded replies report it. */
  firmwareVersion: string;
  /** API/admin password as shipped (pyasic's settings: btminer admin, v3 super, root). */
  password: string;
  /** root's SSH password as shipped. */
  sshPassword: string;
  /** Its web API, when the simulator serves one. */
  web?: WebApi;
  /** Whether it also answers Whatsminer API v3 (framed JSON on 4433). */
  wmV3?: boolean;
};

export const SIM_FIRMWARES: readonly SimFirmware[] = [
  {
    profile: 'antminer-stock',
    rpc: antminerStock,
    models: ['Antminer S19 Pro', 'Antminer S9', 'Antminer S19j Pro', 'Antminer S21', 'Antminer S19'],
    firmwareVersion: '49.0.1.3',
    password: 'root',
    sshPassword: 'miner',
    web: antminerCgi,
  },
  {
    profile: 'braiins-os',
    rpc: braiinsOs,
    models: ['Antminer S9', 'Antminer S19j Pro'],
    firmwareVersion: '0.2.0-36c56a9363',
    password: 'root',
    sshPassword: 'root',
  },
  {
    profile: 'whatsminer-v2',
    rpc: whatsminerV2,
    models: ['Whatsminer M30S+', 'Whatsminer M31S', 'Whatsminer M50S'],
    firmwareVersion: '20230911.12.Rel',
    password: 'admin',
    sshPassword: 'admin',
  },
  {
    profile: 'whatsminer-v3',
    // Whatsminer >= 2024-11 still answers btminer reads on 4028; control moved to 4433 (v3).
    rpc: { ...whatsminerV2, profile: 'whatsminer-v3' },
    models: ['Whatsminer M60S', 'Whatsminer M60'],
    firmwareVersion: '20251209.16.Rel2',
    password: 'super',
    sshPassword: 'admin',
    wmV3: true,
  },
  {
    profile: 'avalon',
    rpc: avalon,
    models: ['Avalon A1366', 'Avalon A1566', 'AvalonMiner 1246'],
    firmwareVersion: '24102401_25462b2_9ddf522',
    password: 'root',
    sshPassword: 'root',
  },
  {
    profile: 'luxos',
    rpc: luxos,
    models: ['Antminer S19k Pro', 'Antminer S19 XP'],
    firmwareVersion: '2025.4.8.220305',
    password: 'root',
    sshPassword: 'root',
  },
  {
    profile: 'vnish',
    rpc: vnish,
    models: ['Antminer S19', 'Antminer S17+'],
    firmwareVersion: '2.0.3',
    password: 'admin',
    sshPassword: 'admin',
    web: vnishWeb,
  },
  {
    profile: 'cgminer',
    rpc: cgminer,
    models: ['AvalonMiner 1066'],
    firmwareVersion: '4.11.1',
    password: '',
    sshPassword: 'root',
  },
  {
    profile: 'bfgminer',
    rpc: bfgminer,
    // BFGMiner drives Avalon units among others (its avalon driver); the model is the inventory's.
    models: ['AvalonMiner 1066'],
    firmwareVersion: '5.5.0',
    password: '',
    sshPassword: 'root',
  },
  {
    profile: 'auradine',
    rpc: auradine,
    models: ['Auradine Teraflux AT2880'],
    firmwareVersion: '0.5',
    password: 'admin',
    sshPassword: 'root',
  },
];

/** Every simulated profile id, in registry order. */
export const SIM_PROFILES: readonly string[] = SIM_FIRMWARES.map((f) => f.profile);

const byProfile = new Map(SIM_FIRMWARES.map((f) => [f.profile, f]));

/** The simulated firmware of a profile; throws naming the profile when none is registered. */
export function simFirmware(profile: string): SimFirmware {
  const f = byProfile.get(profile);
  if (!f) throw new Error(`simulator: no simulated firmware for profile ${profile} (firmware/registry.ts)`);
  return f;
}

export const rpcFirmware = (profile: string): RpcFirmware => simFirmware(profile).rpc;

const perProfile = <T>(pick: (f: SimFirmware) => T): Readonly<Record<string, T>> =>
  Object.fromEntries(SIM_FIRMWARES.map((f) => [f.profile, pick(f)]));

/** Default API/admin password per profile. */
export const DEFAULT_PASSWORD = perProfile((f) => f.password);
/** root's SSH password per firmware as shipped. */
export const DEFAULT_SSH_PASSWORD = perProfile((f) => f.sshPassword);
