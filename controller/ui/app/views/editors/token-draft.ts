import { k } from '../../i18n.js';
import type { FieldErrors } from './rules.js';

/**
 * The new-token form (issue 19 item 6): name, role, the staker a staker token reads as, the
 * containers an agent token may speak for; its checks are those of `POST /tokens`
 * (controller/src/core/routes/tokens.ts). Pure; tested in controller/test/ui-accounting-draft.test.ts.
 */
export const TOKEN_ROLES = ['operator', 'technician', 'admin', 'staker', 'agent'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

export interface TokenDraft {
  name: string;
  role: TokenRole;
  stakerId: string;
  /** `siteId/containerId` of each container ticked (agent tokens). */
  places: string[];
}

export const emptyToken = (): TokenDraft => ({ name: '', role: 'operator', stakerId: '', places: [] });

export function validateToken(d: TokenDraft): FieldErrors {
  const e: FieldErrors = {};
  if (!d.name.trim()) e['name'] = { key: k('form.required') };
  else if (d.name.trim().length > 100) e['name'] = { key: k('form.tooLong'), values: { max: 100 } };
  if (d.role === 'staker' && !d.stakerId) e['stakerId'] = { key: k('form.required') };
  if (d.role === 'agent' && d.places.length === 0) e['places'] = { key: k('tokens.onePlace') };
  return e;
}

export function tokenBody(d: TokenDraft) {
  return {
    name: d.name.trim(),
    role: d.role,
    ...(d.role === 'staker' ? { stakerId: d.stakerId } : {}),
    ...(d.role === 'agent'
      ? {
          places: d.places.map((p) => {
            const [siteId, containerId] = p.split('/') as [string, string];
            return { siteId, containerId };
          }),
        }
      : {}),
  };
}
