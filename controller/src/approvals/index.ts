import type { Feature } from '../core/feature.js';
import { approvalRoutes } from './routes.js';

/** The approvals inbox: what waits for a second person, across features, and turning it down. */
export const approvalsFeature: Feature = {
  name: 'approvals',
  migrations: [],
  routes: approvalRoutes,
};
