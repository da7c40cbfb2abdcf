import { useEffect, useState } from 'preact/hooks';
import { Loading, Problem } from '../components/bits.js';
import { Time } from '../components/time.js';
import { k, t } from '../i18n.js';
import { label } from '../labels.js';
import { get, post } from '../session.js';
import type { ContainerSummary, MinerPage, MinerSummary } from '../shapes.js';

/** One entry of `GET /audit` (controller/src/fleet/routes/events.ts). */
interface AuditEntry {
  id: string;
  at: number;
  actor: { tokenId: string | null; name: string | null; role: string | null };
  action: string;
  subject: string | null;
  details: unknown;
}

/** `POST /names` (controller/src/approvals/names.ts): what a person reads for an id. */
type Names = Record<string, { kind: string; name: string; minerId: string | null }>;

const UUIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** The kinds of change the filter offers, as action prefixes `GET /audit` understands. */
const KINDS: { prefix: string; label: string }[] = [
  { prefix: 'command.', label: k('audit.kindCommand') },
  { prefix: 'bulk.', label: k('audit.kindBulk') },
  { prefix: 'relocation.', label: k('audit.kindRelocation') },
  { prefix: 'ticket.', label: k('audit.kindTicket') },
  { prefix: 'alert', label: k('audit.kindAlert') },
  { prefix: 'safety.', label: k('audit.kindSafety') },
  { prefix: 'token.', label: k('audit.kindToken') },
  { prefix: 'accounting.', label: k('audit.kindAccounting') },
  { prefix: 'profile.', label: k('audit.kindProfile') },
  { prefix: 'curtailment.', label: k('audit.kindCurtailment') },
];

/** Internal ids in a text replaced by their names; an id nobody names shows its first 8 characters. */
function named(text: string, names: Names): string {
  return text.replace(UUIDS, (id) => names[id]?.name ?? `#${id.slice(0, 8)}`);
}

/** The entry's details as `key: value` pairs, ids named, nested values flattened one level. */
function detailText(details: unknown, names: Names): string {
  if (details === null || typeof details !== 'object') return details == null ? '' : String(details);
  return Object.entries(details as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))
    .map(([key, v]) => `${key}: ${named(typeof v === 'object' ? JSON.stringify(v) : String(v), names)}`)
    .join(' · ');
}

const localInput = (ms: number | null) => {
  if (ms === null) return '';
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
};

interface Filters {
  actor: string;
  kind: string;
  place: string;
  since: string;
  until: string;
}

/** The query `GET /audit` takes for the filters; a miner named by serial, asset code or slot is looked up first. */
async function queryOf(f: Filters): Promise<{ query: string; unknown: string | null }> {
  const q = new URLSearchParams({ limit: '200' });
  if (f.actor) q.set('actor', f.actor);
  if (f.kind) q.set('action', f.kind.endsWith('.') ? f.kind : `${f.kind}*`);
  if (f.since) q.set('since', String(new Date(f.since).getTime()));
  if (f.until) q.set('until', String(new Date(f.until).getTime()));
  const place = f.place.trim();
  if (place) {
    const containers = await get<ContainerSummary[]>('/containers');
    if (containers.some((c) => c.id.toLowerCase() === place.toLowerCase())) q.set('subject', place);
    else {
      const page = await get<MinerPage<MinerSummary>>(`/miners?q=${encodeURIComponent(place)}&limit=1`);
      const hit = page.miners[0];
      if (!hit) return { query: '', unknown: place };
      q.set('miner', hit.id);
    }
  }
  return { query: q.toString(), unknown: null };
}

/** Who did what when: the audit log with filters, every id shown by its name. */
export function AuditView() {
  const [filters, setFilters] = useState<Filters>({ actor: '', kind: '', place: '', since: '', until: '' });
  const [applied, setApplied] = useState<Filters>(filters);
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [names, setNames] = useState<Names>({});
  const [people, setPeople] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    get<{ name: string }[]>('/tokens')
      .then((ts) => setPeople([...new Set(ts.map((x) => x.name))].sort()))
      .catch(() => setPeople([]));
  }, []);
  useEffect(() => {
    let alive = true;
    setEntries(null);
    (async () => {
      const { query, unknown } = await queryOf(applied);
      if (unknown !== null) {
        if (alive) {
          setError(t('audit.noSuchPlace', { what: unknown }));
          setEntries([]);
        }
        return;
      }
      const rows = await get<AuditEntry[]>(`/audit?${query}`);
      const ids = [
        ...new Set(rows.flatMap((r) => `${r.subject ?? ''} ${JSON.stringify(r.details)}`.match(UUIDS) ?? [])),
      ];
      const found = ids.length ? await post<Names>('/names', { ids }) : {};
      if (alive) {
        setNames(found);
        setEntries(rows);
        setError(null);
      }
    })().catch((err) => alive && setError(err instanceof Error ? err.message : String(err)));
    return () => {
      alive = false;
    };
  }, [applied]);
  const set = (key: keyof Filters) => (e: Event) =>
    setFilters({ ...filters, [key]: (e.target as HTMLInputElement | HTMLSelectElement).value });
  return (
    <div class="page" data-testid={entries ? 'audit-ready' : undefined}>
      <h1>{t('nav.audit')}</h1>
      <form
        class="actions-box filters"
        data-testid="audit-filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(filters);
        }}
      >
        <label>
          {t('audit.person')}{' '}
          <select name="actor" value={filters.actor} onChange={set('actor')}>
            <option value="">{t('common.all')}</option>
            {people.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          {t('audit.kind')}{' '}
          <select name="kind" value={filters.kind} onChange={set('kind')}>
            <option value="">{t('common.all')}</option>
            {KINDS.map((x) => (
              <option key={x.prefix} value={x.prefix}>
                {t(x.label)}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          {t('audit.place')}{' '}
          <input
            name="place"
            value={filters.place}
            placeholder={t('audit.placeHint')}
            onInput={set('place')}
          />
        </label>{' '}
        <label>
          {t('audit.since')}{' '}
          <input name="since" type="datetime-local" value={filters.since} onInput={set('since')} />
        </label>{' '}
        <label>
          {t('audit.until')}{' '}
          <input name="until" type="datetime-local" value={filters.until} onInput={set('until')} />
        </label>{' '}
        <button type="submit">{t('audit.show')}</button>{' '}
        <button
          type="button"
          onClick={() => {
            const day = {
              actor: '',
              kind: '',
              place: '',
              since: localInput(Date.now() - 86_400_000),
              until: '',
            };
            setFilters(day);
            setApplied(day);
          }}
        >
          {t('audit.lastDay')}
        </button>
      </form>
      <Problem error={error} />
      {!entries ? (
        <Loading what={t('what.audit')} />
      ) : entries.length === 0 ? (
        <p class="muted empty" data-testid="audit">
          {t('audit.none')}
        </p>
      ) : (
        <table class="cards" data-testid="audit">
          <thead>
            <tr>
              <th>{t('common.when')}</th>
              <th>{t('audit.who')}</th>
              <th>{t('audit.did')}</th>
              <th>{t('audit.onWhat')}</th>
              <th>{t('audit.details')}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id} data-action={e.action} data-actor={e.actor.name ?? ''}>
                <td data-label={t('common.when')}>
                  <Time at={e.at} />
                </td>
                <td data-label={t('audit.who')}>
                  {e.actor.name ?? '–'}
                  {e.actor.role ? ` · ${label('role', e.actor.role)}` : ''}
                </td>
                <td data-label={t('audit.did')}>{label('auditAction', e.action)}</td>
                <td data-label={t('audit.onWhat')}>{named(e.subject ?? '', names)}</td>
                <td data-label={t('audit.details')} class="details">
                  {detailText(e.details, names)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
