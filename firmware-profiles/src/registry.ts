import { antminerStock } from './profiles/antminer-stock.js';
import { auradine } from './profiles/auradine.js';
import { avalon } from './profiles/avalon.js';
import { bfgminer } from './profiles/bfgminer.js';
import { braiinsOs } from './profiles/braiins-os.js';
import { cgminer } from './profiles/cgminer.js';
import { luxos } from './profiles/luxos.js';
import { vnish } from './profiles/vnish.js';
import { whatsminerV2 } from './profiles/whatsminer-v2.js';
import { whatsminerV3 } from './profiles/whatsminer-v3.js';
import type { Detection, DetectReplies, FirmwareProfile } from './types.js';

/**
 * Every firmware profile, in detection order (docs/reference.md §6): the most specific markers
 * first, because aftermarket firmwares reuse Bitmain's `Antminer` Type and the cgminer strings.
 * Adding a firmware: one line here.
 */
export const PROFILES: readonly FirmwareProfile[] = [
  braiinsOs, // BOSMINER / BOSER / braiins: also runs on Antminers, so before antminer-stock
  whatsminerV3, // answers get.device.info on 4433: newer than v2, so before it
  whatsminerV2, // BTMINER / BITMICRO
  luxos, // LUXMINER, Type "Antminer ..."
  vnish, // VNISH in Type, "Antminer ... (vnish x.y.z)"
  antminerStock, // Type "Antminer ..." without any aftermarket marker
  avalon, // AVALON in PROD / Driver
  auradine, // GCMiner in VERSION / Description: a cgminer fork, so before cgminer
  bfgminer, // `Miner: bfgminer x.y.z` / Description `bfgminer ...`: a cgminer fork, so before cgminer
  cgminer, // any other cgminer-family VERSION reply: last, it claims everything the others leave
];

const byId = new Map(PROFILES.map((p) => [p.id, p]));

export function getProfile(id: string): FirmwareProfile | null {
  return byId.get(id) ?? null;
}

/** The first profile that recognises the detection replies; null when none does. Never throws. */
export function detectFirmware(replies: DetectReplies): Detection | null {
  for (const p of PROFILES) {
    try {
      const d = p.detect(replies);
      if (d) return d;
    } catch {
      // A profile's detect must not throw; if one does, the next profile still gets its turn.
    }
  }
  return null;
}
