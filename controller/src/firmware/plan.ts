import type { CommandAction } from '@hashfleet/contracts';
import { getProfile, upgradePath } from '@hashfleet/firmware-profiles';
import type { SelectedMiner } from '../operations/index.js';
import type { FirmwareImage } from './store.js';

/** The firmware.upgrade action without its target, as a bulk job item carries it. */
export type UpgradeAction = Omit<Extract<CommandAction, { op: 'firmware.upgrade' }>, 'target'>;

/** Where agents fetch an image: the controller's base URL and the image's content route. */
export const imageUrl = (baseUrl: string, id: string): string =>
  `${baseUrl.replace(/\/+$/, '')}/api/v1/firmware/images/${encodeURIComponent(id)}/content`;

export const upgradeAction = (image: FirmwareImage, baseUrl: string): UpgradeAction => ({
  op: 'firmware.upgrade',
  family: image.family,
  image: {
    url: imageUrl(baseUrl, image.id),
    sha256: image.sha256,
    sizeBytes: image.sizeBytes,
    version: image.version,
  },
});

/**
 * Why a miner is not sent an image, or null when it is (issue 20 item 4), decided before anything
 * is sent: no agent polls it, its firmware is unknown, or its profile has no upgrade path for the
 * image's family (the profile's reason). `label` names the miner as a person finds it.
 */
export function upgradeRefusal(miner: SelectedMiner, image: FirmwareImage, label: string): string | null {
  if (!miner.agentId || !miner.minerKey) return `${label}: no agent polls it`;
  const profile = miner.profile ? getProfile(miner.profile) : undefined;
  if (!profile)
    return `${label}: its firmware ${miner.profile ?? '(not detected)'} is unknown to this controller`;
  const path = upgradePath(profile, image.family);
  return path.ok ? null : `${label}: ${path.why}`;
}
