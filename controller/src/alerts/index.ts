import type { Feature, FeatureContext } from '../core/feature.js';
import { alertMetrics } from './metrics.js';
import {
  migration,
  migrationChangeCursor,
  migrationChangeStamps,
  migrationSecretsAndWorkers,
} from './migration.js';
import { deliverDue } from './notify.js';
import { alertRoutes } from './routes.js';
import { createAlertService } from './service.js';
import { type AlertSettings, DEFAULT_ALERT_SETTINGS } from './settings.js';

/** The alert service of a controller (evaluation `tick(now)` and outbox `deliver(now)`). */
export function alertsFor(ctx: FeatureContext, settings: AlertSettings = DEFAULT_ALERT_SETTINGS) {
  const metrics = ctx.metrics ? alertMetrics(ctx.metrics.registry) : undefined;
  const service = createAlertService({
    db: ctx.db,
    offlineAfterMs: ctx.config.ingest.offlineAfterS * 1000,
    linkBase: (
      ctx.config.alerts.publicUrl ?? `http://${ctx.config.http.host}:${ctx.config.http.port}`
    ).replace(/\/+$/, ''),
    settings,
    metrics,
    // A leader's copy older than three of its ticks (it was not the leader meanwhile) is rebuilt.
    cache: { rebuildAfterMs: Math.max(300_000, 3 * ctx.config.alerts.evaluateEveryS * 1000) },
  });
  return {
    tick: service.tick,
    async deliver(now: number) {
      const r = await deliverDue(ctx.db, now, settings);
      metrics?.notifications.inc({ result: 'delivered' }, r.delivered);
      metrics?.notifications.inc({ result: 'retry' }, r.failed);
      metrics?.notifications.inc({ result: 'dead' }, r.dead);
      return r;
    },
  };
}

/**
 * Alerts: rules as data (`alert_rules`), evaluation of the fleet's latest state on a timer (a
 * singleton job), alerts with hysteresis (`alerts`, read by remediation), webhook notifications
 * from a durable outbox.
 */
export const alertsFeature: Feature = {
  name: 'alerts',
  migrations: [migration, migrationSecretsAndWorkers, migrationChangeCursor, migrationChangeStamps],
  routes: alertRoutes,
  jobs: (ctx) => {
    const alerts = alertsFor(ctx);
    return [
      {
        name: 'alerts',
        everyMs: ctx.config.alerts.evaluateEveryS * 1000,
        singleton: true,
        run: async (now) => {
          await alerts.tick(now);
        },
      },
      {
        name: 'alerts-notify',
        everyMs: DEFAULT_ALERT_SETTINGS.notifyEveryMs,
        singleton: true,
        run: async (now) => {
          const r = await alerts.deliver(now);
          if (r.dead) ctx.logger.warn(`alerts: ${r.dead} webhook notifications gave up after retries`);
        },
      },
    ];
  },
};

export { evaluateAlerts, type Observation } from './evaluate.js';
export { ALERT_KINDS, type AlertKind, KIND_SPECS } from './kinds.js';
export { step } from './machine.js';
export { indexRules, type Rule } from './rules.js';
export { createAlertService, planTick } from './service.js';
export { type AlertSettings, DEFAULT_ALERT_SETTINGS } from './settings.js';
