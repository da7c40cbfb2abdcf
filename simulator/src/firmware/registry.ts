import type { MinerSpec } from '../scenario/schema.js';
import { antminerStock } from './antminer-stock.js';
import { avalon } from './avalon.js';
import { braiinsOs } from './braiins-os.js';
import { cgminer } from './cgminer.js';
import { luxos } from './luxos.js';
import type { RpcFirmware } from './types.js';
import { vnish } from './vnish.js';
import { whatsminerV2 } from './whatsminer-v2.js';

/** Simulated RPC personality per firmware profile id. */
export const RPC_FIRMWARES: Record<MinerSpec['profile'], RpcFirmware> = {
  'antminer-stock': antminerStock,
  'braiins-os': braiinsOs,
  avalon,
  luxos,
  vnish,
  cgminer,
  'whatsminer-v2': whatsminerV2,
  // Whatsminer >= 2024-11 still answers btminer reads on 4028; control moved to 4433 (v3).
  'whatsminer-v3': { ...whatsminerV2, profile: 'whatsminer-v3' },
};

/** Default API/admin password per profile (miner-apis.md §1.3-1.5, pyasic settings). */
export const DEFAULT_PASSWORD: Record<MinerSpec['profile'], string> = {
  'antminer-stock': 'root',
  'braiins-os': 'root',
  'whatsminer-v2': 'admin',
  'whatsminer-v3': 'super',
  avalon: 'root',
  luxos: 'root',
  vnish: 'admin',
  cgminer: '',
};

export function rpcFirmware(profile: MinerSpec['profile']): RpcFirmware {
  return RPC_FIRMWARES[profile];
}

/** root's SSH password per firmware as shipped (pyasic settings; miner-apis.md §4). */
export const DEFAULT_SSH_PASSWORD: Record<MinerSpec['profile'], string> = {
  'antminer-stock': 'miner',
  'braiins-os': 'root',
  'whatsminer-v2': 'admin',
  'whatsminer-v3': 'admin',
  avalon: 'root',
  luxos: 'root',
  vnish: 'admin',
  cgminer: 'root',
};
