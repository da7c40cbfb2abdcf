import type { Feature } from '../core/feature.js';
import { migration } from './migrations/0400_remediation.js';
import { remediationRoutes } from './routes.js';
import { createRemediation } from './service.js';

/** Remediation: the per-miner escalation ladder with throttles, run after the alert evaluation. */
export const remediationFeature: Feature = {
  name: 'remediation',
  migrations: [migration],
  routes: remediationRoutes,
  jobs: (ctx) => {
    const remediation = createRemediation(ctx);
    return [
      {
        name: 'remediation',
        // Right after each alert evaluation, on the replica that ran it: the ladder acts on
        // this tick's alerts, not the previous one's (its own 30 s timer only without alerts).
        after: 'alerts',
        everyMs: 30_000,
        singleton: true,
        run: (now) => remediation.tick(now),
      },
    ];
  },
};

export { decide, settle } from './ladder.js';
export { createRemediation, type Remediation } from './service.js';
export { DEFAULT_SETTINGS } from './settings.js';
