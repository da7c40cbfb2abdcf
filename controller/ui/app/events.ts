/**
 * Fleet events (`GET /events`, `GET /miners/:id/events`) as sentences in the user's language,
 * with times in local time. The details per kind are those the controller stores
 * (contracts AgentEventSchema, inventory reconcile and moveMiner).
 */
import { when } from './format.js';
import { CATALOGUES, t } from './i18n.js';
import { label } from './labels.js';

type Details = Record<string, unknown>;

const text = (v: unknown): string => {
  if (v === null || v === undefined || v === '') return '–';
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
};

const place = (v: unknown): string => {
  if (!v || typeof v !== 'object') return '–';
  const p = v as { siteId?: string | null; containerId?: string | null; slotId?: string | null };
  // Slot ids already name their container (`kz-c2/R1/S20`).
  if (p.slotId && p.containerId && p.slotId.startsWith(`${p.containerId}/`)) return p.slotId;
  return [p.containerId ?? p.siteId, p.slotId].filter(Boolean).join(' / ') || t('event.nowhere');
};

/** Per event kind, the values its sentence interpolates. */
const FIELDS: Record<string, (d: Details) => Record<string, string>> = {
  'miner.moved': (d) => ({ from: place(d['from']), to: place(d['to']) }),
  'miner.status_changed': (d) => ({
    from: label('minerStatus', (d['from'] as { status?: string } | undefined)?.status),
    to: label('minerStatus', (d['to'] as { status?: string } | undefined)?.status),
  }),
  'miner.recovered': (d) => ({ ip: text(d['ip']), downSince: when(d['downSince'] as number) }),
  'safety.action': (d) => ({
    metric: text(d['metric']),
    value: text(d['value']),
    limit: text(d['limit']),
    polls: text(d['polls']),
    action: text((d['action'] as { kind?: string } | undefined)?.kind ?? d['action']),
    status: text(d['status']),
    message: text(d['message']),
  }),
};

export function describeEvent(kind: string, details: unknown): string {
  const d: Details = details && typeof details === 'object' ? (details as Details) : {};
  const key = `event.${kind}`;
  if (key in CATALOGUES.en) {
    const values = FIELDS[kind]?.(d) ?? Object.fromEntries(Object.entries(d).map(([k, v]) => [k, text(v)]));
    return t(key, { ...values, defaultValue: kind });
  }
  const rest = Object.entries(d)
    .filter(([k]) => k !== 'at')
    .map(([k, v]) => `${k}: ${text(v)}`)
    .join(', ');
  return rest ? `${kind} (${rest})` : kind;
}
