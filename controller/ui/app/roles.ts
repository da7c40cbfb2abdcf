/** Which views each role sees, as a table. The API enforces access; this only hides dead ends. */

export type Role = 'admin' | 'operator' | 'technician' | 'staker' | 'agent';
export type ViewId = 'overview' | 'container' | 'alerts' | 'relocation' | 'accounting' | 'staker';

export interface Me {
  role: Role;
  name: string;
  stakerId?: string | null;
}

export const NAV: { view: ViewId; label: string; hash: string }[] = [
  { view: 'overview', label: 'Overview', hash: '#/overview' },
  { view: 'container', label: 'Containers', hash: '#/containers' },
  { view: 'alerts', label: 'Alerts', hash: '#/alerts' },
  { view: 'relocation', label: 'Relocation', hash: '#/relocation' },
  { view: 'accounting', label: 'Accounting', hash: '#/accounting' },
  { view: 'staker', label: 'Staker portal', hash: '#/staker' },
];

export const VIEWS_BY_ROLE: Record<Role, ViewId[]> = {
  admin: ['overview', 'container', 'alerts', 'relocation', 'accounting', 'staker'],
  operator: ['overview', 'container', 'alerts', 'relocation', 'accounting', 'staker'],
  technician: ['overview', 'container', 'alerts'],
  staker: ['staker'],
  agent: [],
};

/** Miner actions a role may request from the UI (the API decides; this hides buttons it would refuse). */
export const ACTIONS_BY_ROLE: Record<Role, string[]> = {
  admin: ['restart', 'reboot', 'sleep', 'wake', 'blink'],
  operator: ['restart', 'reboot', 'sleep', 'wake', 'blink'],
  technician: ['restart', 'reboot', 'blink'],
  staker: [],
  agent: [],
};

export function homeHash(role: Role): string {
  const first = VIEWS_BY_ROLE[role][0];
  return NAV.find((n) => n.view === first)?.hash ?? '#/';
}
