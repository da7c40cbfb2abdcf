import type { CoreContext } from '../core/context.js';
import type { Feature, FeatureContext } from '../core/feature.js';
import { migration } from './migration.js';
import { firmwareRoutes } from './routes.js';
import { type FirmwareStore, firmwareStore } from './store.js';

const stores = new WeakMap<object, FirmwareStore>();

/** One image store per controller context. */
export function firmwareStoreOf(ctx: FeatureContext): FirmwareStore {
  let s = stores.get(ctx);
  if (!s) {
    s = firmwareStore({ db: ctx.db, audit: ctx.audit, dataDir: ctx.config.dataDir });
    stores.set(ctx, s);
  }
  return s;
}

/**
 * Firmware upgrades (issue 20 item 4): images kept by the controller with their SHA-256, served to
 * agents (checked before every send), and firmware.upgrade sent to selected miners as a bulk job,
 * each miner without an upgrade path for the image refused up front with the reason.
 */
export const firmwareFeature: Feature = {
  name: 'firmware',
  migrations: [migration],
  routes: async (app, ctx) => {
    if (!(ctx as Partial<CoreContext>).commands)
      throw new Error('firmware: the core command service is missing from the context');
    await firmwareRoutes(firmwareStoreOf(ctx))(app, ctx as CoreContext);
  },
};

export { imageUrl, type UpgradeAction, upgradeAction, upgradeRefusal } from './plan.js';
export type { FirmwareImage, FirmwareStore } from './store.js';
