import { useState } from 'preact/hooks';
import { Loading, Problem, Section } from '../components/bits.js';
import { Table } from '../components/table.js';
import { Time } from '../components/time.js';
import { ago } from '../format.js';
import { k, t } from '../i18n.js';
import { label } from '../labels.js';
import type { Me } from '../roles.js';
import { href } from '../router.js';
import { get, post } from '../session.js';
import { type MinerPage, type MinerSummary, minerName } from '../shapes.js';
import { usePoll } from '../use-poll.js';

export interface Ticket {
  id: string;
  state: 'open' | 'in_progress' | 'done';
  title: string;
  minerId: string | null;
  slotId: string | null;
  containerId: string | null;
  siteId: string | null;
  source: 'remediation' | 'person';
  createdBy: string;
  assignee: string | null;
  createdAt: number;
  updatedAt: number;
  doneAt: number | null;
  /** The miner's names (controller/src/fleet/names.ts), so no one reads its id. */
  serial?: string | null;
  assetCode?: string | null;
  model?: string | null;
  rack?: string | null;
  slot?: string | null;
}

const FILTERS = [
  { label: k('tickets.toDo'), query: '' },
  { label: k('ticketState.open'), query: 'state=open' },
  { label: k('ticketState.in_progress'), query: 'state=in_progress' },
  { label: k('ticketState.done'), query: 'state=done' },
];

/** Work orders for technicians: take one, note what was done, close it. Opened by the ladder or a person. */
export function TicketsView({ me }: { me: Me }) {
  const [filter, setFilter] = useState(0);
  const [bump, setBump] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [shown, setShown] = useState<string | null>(null);
  const q = FILTERS[filter]!.query;
  // `r` changes after each action, so the list is fetched again at once (the API ignores it).
  const list = usePoll<Ticket[]>(`/tickets?${q}${q ? '&' : ''}limit=500&r=${bump}`, 15_000);
  const rows = list.data ? (q ? list.data : list.data.filter((r) => r.state !== 'done')) : null;
  const act = async (path: string, body: unknown) => {
    try {
      setError(null);
      await post(path, body);
      setBump((b) => b + 1);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  const withNote = (label: string, path: string, required: boolean) => {
    const note = prompt(label);
    if (note === null || (required && !note.trim())) return;
    void act(path, note.trim() ? { note: note.trim() } : {});
  };
  return (
    <div class="page">
      <h1>{t('nav.tickets')}</h1>
      <div class="actions">
        {FILTERS.map((f, i) => (
          <button
            type="button"
            key={f.label}
            class={i === filter ? 'active' : ''}
            onClick={() => setFilter(i)}
          >
            {t(f.label)}
          </button>
        ))}
      </div>
      <Problem error={error ?? list.error} />
      <Section title={rows ? t('tickets.count', { count: rows.length }) : t('nav.tickets')}>
        {!rows && !list.error && <Loading what={t('what.tickets')} />}
        {rows && (
          <Table
            rows={rows}
            testid="tickets"
            empty={t('tickets.none')}
            columns={[
              {
                label: t('common.state'),
                cell: (r) => <span class={`ticket-${r.state}`}>{label('ticketState', r.state)}</span>,
              },
              {
                label: t('tickets.what'),
                cell: (r) => (
                  <button
                    type="button"
                    class="linkish"
                    onClick={() => setShown(shown === r.id ? null : r.id)}
                  >
                    {r.title}
                  </button>
                ),
              },
              {
                label: t('common.miner'),
                cell: (r) =>
                  r.minerId ? (
                    <a
                      href={
                        r.containerId
                          ? href('containers', r.containerId, 'miners', r.minerId)
                          : href('miners', r.minerId)
                      }
                    >
                      {minerName(r)}
                    </a>
                  ) : (
                    '–'
                  ),
              },
              { label: t('common.where'), cell: (r) => r.slotId ?? r.containerId ?? '–' },
              {
                label: t('tickets.from'),
                cell: (r) => (r.source === 'remediation' ? t('tickets.ladder') : r.createdBy),
              },
              { label: t('tickets.assignee'), cell: (r) => r.assignee ?? '–' },
              { label: t('tickets.opened'), cell: (r) => ago(r.createdAt) },
              {
                label: '',
                cell: (r) =>
                  r.state === 'done' ? (
                    t('tickets.doneAgo', { ago: ago(r.doneAt) })
                  ) : (
                    <span class="actions">
                      {r.assignee !== me.name && (
                        <button type="button" onClick={() => act(`/tickets/${r.id}/take`, {})}>
                          {t('tickets.take')}
                        </button>
                      )}
                      <button
                        type="button"
                        onClick={() => withNote(t('tickets.notePrompt'), `/tickets/${r.id}/notes`, true)}
                      >
                        {t('tickets.note')}
                      </button>
                      <button
                        type="button"
                        onClick={() => withNote(t('tickets.closePrompt'), `/tickets/${r.id}/close`, false)}
                      >
                        {t('tickets.close')}
                      </button>
                    </span>
                  ),
              },
            ]}
          />
        )}
      </Section>
      {shown && <Notes ticketId={shown} bump={bump} />}
      <NewTicket onOpened={() => setBump((b) => b + 1)} />
    </div>
  );
}

function NewTicket({ onOpened }: { onOpened: () => void }) {
  const [title, setTitle] = useState('');
  const [minerId, setMinerId] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      setError(null);
      await post('/tickets', { title, minerId: await resolveMiner(minerId) });
      setTitle('');
      setMinerId('');
      onOpened();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <Section title={t('tickets.openTitle')}>
      <form onSubmit={submit} class="actions">
        <input
          placeholder={t('tickets.minerPlaceholder')}
          value={minerId}
          onInput={(e) => setMinerId(e.currentTarget.value)}
          required
        />
        <input
          placeholder={t('tickets.titlePlaceholder')}
          value={title}
          onInput={(e) => setTitle(e.currentTarget.value)}
          required
        />
        <button type="submit">{t('tickets.open')}</button>
      </form>
      <Problem error={error} />
    </Section>
  );
}

interface TicketDetail extends Ticket {
  notes: { at: number; author: string; text: string }[];
}

/** One ticket's notes: what the ladder tried and what people did, oldest first. */
function Notes({ ticketId, bump }: { ticketId: string; bump: number }) {
  const detail = usePoll<TicketDetail>(`/tickets/${encodeURIComponent(ticketId)}?r=${bump}`, 15_000);
  const d = detail.data;
  return (
    <Section title={d ? d.title : t('tickets.ticket')}>
      <Problem error={detail.error} />
      {!d && !detail.error && <Loading what={t('what.ticket')} />}
      {d && (
        <ul class="events" data-testid="ticket-notes">
          {d.notes.length === 0 && <li class="muted">{t('tickets.noNotes')}</li>}
          {d.notes.map((n, i) => (
            <li key={i}>
              <span class="muted">
                <Time at={n.at} />
              </span>{' '}
              <strong>{n.author}</strong> {n.text}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

/**
 * The miner a person typed, by serial, IP, MAC or id (what `GET /miners?q=` matches): the one
 * match, or the one whose serial is exactly the text; otherwise a clear error.
 */
async function resolveMiner(text: string): Promise<string> {
  const q = text.trim();
  const page = await get<MinerPage<MinerSummary>>(`/miners?q=${encodeURIComponent(q)}&limit=20`);
  const exact = page.miners.filter((m) => m.serial?.toLowerCase() === q.toLowerCase() || m.id === q);
  const only = page.total === 1 ? page.miners[0] : exact.length === 1 ? exact[0] : undefined;
  if (only) return only.id;
  throw new Error(
    page.total === 0 ? t('tickets.noMatch', { q }) : t('tickets.manyMatch', { q, count: page.total }),
  );
}
