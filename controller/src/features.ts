import { uiFeature } from '../ui/feature.js';
import { accountingFeature } from './accounting/index.js';
import { alertsFeature } from './alerts/index.js';
import { approvalsFeature } from './approvals/index.js';
import type { Feature } from './core/feature.js';
import { desiredFeature } from './desired/index.js';
import { firmwareFeature } from './firmware/index.js';
import { expectedInventoryFeature } from './fleet/expected-feature.js';
import { operationsFeature } from './operations/index.js';
import { profitFeature } from './profit/index.js';
import { relocationFeature } from './relocation/index.js';
import { remediationFeature } from './remediation/index.js';
import { safetyFeature } from './safety/index.js';
import { ticketsFeature } from './tickets/index.js';

/** One line per feature. */
export const features: Feature[] = [
  uiFeature,
  accountingFeature,
  relocationFeature,
  safetyFeature,
  alertsFeature,
  remediationFeature,
  ticketsFeature,
  operationsFeature,
  expectedInventoryFeature,
  approvalsFeature,
  desiredFeature,
  firmwareFeature,
  profitFeature,
];
