import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getProfile } from '@hashfleet/firmware-profiles/registry';
import { probeAddress } from './discovery.js';
import { type RequestContext, sendRequest } from './transport/request.js';

/**
 * Captures a miner's raw replies for a new testcase folder: the detection replies and every poll
 * step of the detected profile, byte for byte (NUL terminators kept), plus what was detected.
 */
export async function recordMiner(
  ctx: RequestContext,
  ip: string,
  outDir: string,
  timeoutMs: number,
): Promise<{ files: string[]; profile: string }> {
  const probe = await probeAddress(ctx, ip, timeoutMs);
  if (probe.status !== 'found') {
    throw new Error(
      `miner ${ip}: ${probe.status === 'none' ? 'nothing answers on the API ports' : probe.error}`,
    );
  }
  const profile = getProfile(probe.detection.profile);
  if (!profile)
    throw new Error(`miner ${ip}: detected profile ${probe.detection.profile} is not in the registry`);
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  for (const step of profile.poll) {
    try {
      const body = await sendRequest(ctx, { ip, profileId: profile.id }, step.request, timeoutMs);
      const file = join(outDir, `${step.key}.txt`);
      writeFileSync(file, body);
      files.push(file);
    } catch (err) {
      process.stderr.write(
        `miner ${ip}: ${step.key}: ${(err as Error).message}${step.optional ? ' (optional)' : ''}\n`,
      );
    }
  }
  const meta = join(outDir, 'detected.json');
  writeFileSync(
    meta,
    `${JSON.stringify({ ip, recordedAt: new Date().toISOString(), ...probe.detection }, null, 2)}\n`,
  );
  files.push(meta);
  return { files, profile: profile.id };
}
