/** Which views each role sees, as a table. The API enforces access; this only hides dead ends. */
import { k } from './i18n.js';

export type Role = 'admin' | 'operator' | 'technician' | 'staker' | 'agent';
export type ViewId =
  | 'overview'
  | 'container'
  | 'alerts'
  | 'tickets'
  | 'relocation'
  | 'accounting'
  | 'operations'
  | 'staker'
  | 'approvals'
  | 'audit'
  | 'alertRules'
  | 'pools'
  | 'tokens';

export interface Me {
  role: Role;
  name: string;
  stakerId?: string | null;
}

export const NAV: { view: ViewId; label: string; hash: string }[] = [
  { view: 'overview', label: k('nav.overview'), hash: '#/overview' },
  { view: 'container', label: k('nav.container'), hash: '#/containers' },
  { view: 'alerts', label: k('nav.alerts'), hash: '#/alerts' },
  { view: 'tickets', label: k('nav.tickets'), hash: '#/tickets' },
  { view: 'relocation', label: k('nav.relocation'), hash: '#/relocation' },
  { view: 'accounting', label: k('nav.accounting'), hash: '#/accounting' },
  { view: 'operations', label: k('nav.operations'), hash: '#/operations' },
  { view: 'staker', label: k('nav.staker'), hash: '#/staker' },
  { view: 'approvals', label: k('nav.approvals'), hash: '#/approvals' },
  { view: 'alertRules', label: k('nav.alertRules'), hash: '#/alert-rules' },
  { view: 'pools', label: k('nav.pools'), hash: '#/pools' },
  { view: 'tokens', label: k('nav.tokens'), hash: '#/tokens' },
  { view: 'audit', label: k('nav.audit'), hash: '#/audit' },
];

export const VIEWS_BY_ROLE: Record<Role, ViewId[]> = {
  // The audit log and the tokens are the admin's (GET /audit and /tokens are admin-only); approvals are for who may approve.
  admin: [
    'overview',
    'container',
    'alerts',
    'tickets',
    'relocation',
    'accounting',
    'operations',
    'staker',
    'approvals',
    'alertRules',
    'pools',
    'tokens',
    'audit',
  ],
  operator: [
    'overview',
    'container',
    'alerts',
    'tickets',
    'relocation',
    'accounting',
    'operations',
    'staker',
    'approvals',
    'alertRules',
    'pools',
  ],
  // Technicians do the physical steps of relocation moves, so they see and advance them.
  technician: ['overview', 'container', 'alerts', 'tickets', 'relocation'],
  staker: ['staker'],
  agent: [],
};

/** A miner command as the UI offers it: the button (a catalogue key), the body of `POST /miners/:id/commands`. */
export interface MinerAction {
  label: string;
  body: { op: string; on?: boolean };
}

const TECHNICIAN_ACTIONS: MinerAction[] = [
  { label: k('action.restart'), body: { op: 'restart' } },
  { label: k('action.reboot'), body: { op: 'reboot' } },
  { label: k('action.blinkLed'), body: { op: 'led', on: true } },
];
const OPERATOR_ACTIONS: MinerAction[] = [
  ...TECHNICIAN_ACTIONS,
  { label: k('action.sleep'), body: { op: 'sleep' } },
  { label: k('action.wake'), body: { op: 'wake' } },
];

/**
 * Miner actions a role may request (mirrors the controller's command policy, which decides; this
 * only hides buttons it would refuse). Pool changes need a second approver and are not offered here.
 */
export const ACTIONS_BY_ROLE: Record<Role, MinerAction[]> = {
  admin: OPERATOR_ACTIONS,
  operator: OPERATOR_ACTIONS,
  technician: TECHNICIAN_ACTIONS,
  staker: [],
  agent: [],
};

/** Roles that may propose and approve relocation plans (four-eyes: not one's own). */
export const PLANNER_ROLES: Role[] = ['admin', 'operator'];

/** Roles that may power-cycle a slot's PDU outlet. */
export const OUTLET_CYCLE_ROLES: Role[] = ['admin', 'operator', 'technician'];

export function homeHash(role: Role): string {
  const first = VIEWS_BY_ROLE[role][0];
  return NAV.find((n) => n.view === first)?.hash ?? '#/';
}
