import type { MinerModel } from './miner.js';

/**
 * Simulated firmware images (issue 20 item 4). A real image is a vendor's signed tarball; a
 * simulated miner only needs to know which firmware and version it holds, so the image starts
 * with one line naming both, and the rest is filler bytes to the size asked. A miner refuses an
 * image it cannot read or that is for another firmware, as a real one refuses a wrong tarball.
 */
const MAGIC = 'HASHFLEET-SIM-FIRMWARE';

export type SimImage = { family: string; version: string };

/** An image of `family` at `version`, `sizeBytes` long (at least its header line). */
export function simulatedImage(family: string, version: string, sizeBytes = 64 * 1024): Buffer {
  const head = Buffer.from(`${MAGIC} family=${family} version=${version}\n`);
  const out = Buffer.alloc(Math.max(sizeBytes, head.length));
  head.copy(out);
  // Filler that is not all zeros, so a flipped byte anywhere changes the hash.
  for (let i = head.length; i < out.length; i++) out[i] = (i * 31 + 7) & 0xff;
  return out;
}

/** The family and version an image names, or null when it is not a simulated image. */
export function readSimulatedImage(bytes: Buffer): SimImage | null {
  const end = bytes.indexOf(0x0a);
  const line = bytes.subarray(0, end < 0 ? Math.min(bytes.length, 256) : end).toString('latin1');
  const m = new RegExp(`^${MAGIC} family=(\\S+) version=(.+)$`).exec(line);
  return m ? { family: m[1]!, version: m[2]! } : null;
}

/**
 * Whether miner `m` takes `bytes` as its new firmware: the reason it refuses, or the version it
 * will run. The caller answers the upload first and flashes (`m.flash`) after, as a real miner
 * replies and then reboots.
 */
export function checkImage(
  m: MinerModel,
  bytes: Buffer,
): { ok: true; version: string } | { ok: false; why: string } {
  const image = readSimulatedImage(bytes);
  if (!image) return { ok: false, why: 'not a firmware image' };
  if (image.family !== m.profile)
    return { ok: false, why: `image for ${image.family}, this miner runs ${m.profile}` };
  return { ok: true, version: image.version };
}
