/**
 * Names of the API's enum values in the user's language: each family is a key prefix in the
 * catalogues (`minerState.hashing`), and these lists are the values the unit test requires in every
 * catalogue. A value the API adds later shows as it is sent until its catalogues have it.
 */
import { CATALOGUES, t } from './i18n.js';

export const LABELLED = {
  minerState: [
    'hashing',
    'idle',
    'sleeping',
    'starting',
    'error',
    'offline',
    'unreachable',
    'notAnswering',
    'expected',
  ],
  minerStatus: ['in_service', 'sleeping', 'in_repair', 'in_storage', 'in_transit', 'decommissioned'],
  role: ['admin', 'operator', 'technician', 'staker', 'agent'],
  alertKind: [
    'offline',
    'hashrate_low',
    'chip_overtemp',
    'board_overtemp',
    'fan_failed',
    'board_missing',
    'hw_errors',
    'pool_not_allowed',
    'worker_changed',
    'inlet_hot',
    'outlet_overload',
    'phase_overload',
    'power_mismatch',
    'agent_offline',
    'spool_filling',
    'implausible_reading',
    'drift',
  ],
  severity: ['critical', 'warning'],
  provenance: ['metered', 'reported', 'estimated'],
  alertState: ['open', 'resolved'],
  ticketState: ['open', 'in_progress', 'done'],
  moveState: [
    'planned',
    'decommissioned',
    'packed',
    'in_transit',
    'arrived',
    'installed',
    'verified',
    'flagged',
    'cancelled',
  ],
  planState: ['proposed', 'approved', 'rejected', 'superseded'],
  jobState: ['pending_approval', 'running', 'done', 'cancelled', 'failed', 'rejected'],
  itemState: ['queued', 'sent', 'succeeded', 'verified', 'refused', 'failed', 'cancelled', 'skipped'],
  commandState: [
    'pending_approval',
    'signing',
    'queued',
    'sent',
    'acknowledged',
    'verified',
    'unverified',
    'succeeded',
    'failed',
    'timeout',
    'expired',
    'refused',
    'rejected',
  ],
  outcome: ['pending', 'verified', 'failed', 'skipped', 'throttled', 'ticket'],
  /** Audit log actions (controller/src/*: audit.record), as the audit screen names them. */
  auditAction: [
    'command.issue',
    'command.request',
    'command.approve',
    'command.reject',
    'command.expired',
    'bulk.create',
    'bulk.request',
    'bulk.approve',
    'bulk.reject',
    'bulk.cancel',
    'bulk.done',
    'relocation.plan.propose',
    'relocation.plan.approve',
    'relocation.plan.reject',
    'relocation.move.advance',
    'ticket.open',
    'ticket.note',
    'alert.ack',
    'alert.silence',
    'alert_rule.create',
    'alert_rule.update',
    'alert_rule.delete',
    'token.create',
    'token.revoke',
    'safety.rules.update',
    'profile.save',
    'curtailment.create',
    'inventory.import',
  ],
  /** Alert rule scopes (controller/src/alerts/kinds.ts SCOPES). */
  ruleScope: ['global', 'site', 'container', 'model'],
} as const;

export type LabelFamily = keyof typeof LABELLED;

/** The value's name in the chosen language, or the value itself when no catalogue names it. */
export function label(family: LabelFamily, value: string | null | undefined): string {
  if (value === null || value === undefined) return '–';
  const key = `${family}.${value}`;
  return key in CATALOGUES.en ? t(key) : value;
}
