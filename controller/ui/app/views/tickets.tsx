import { useState } from 'preact/hooks';
import { Loading, Problem, Section } from '../components/bits.js';
import { Table } from '../components/table.js';
import { ago, when } from '../format.js';
import type { Me } from '../roles.js';
import { href } from '../router.js';
import { post } from '../session.js';
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
}

const FILTERS = [
  { label: 'To do', query: '' },
  { label: 'Open', query: 'state=open' },
  { label: 'In progress', query: 'state=in_progress' },
  { label: 'Done', query: 'state=done' },
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
  const rows = list.data ? (q ? list.data : list.data.filter((t) => t.state !== 'done')) : null;
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
      <h1>Tickets</h1>
      <div class="actions">
        {FILTERS.map((f, i) => (
          <button
            type="button"
            key={f.label}
            class={i === filter ? 'active' : ''}
            onClick={() => setFilter(i)}
          >
            {f.label}
          </button>
        ))}
      </div>
      <Problem error={error ?? list.error} />
      <Section title={rows ? `${rows.length} ticket${rows.length === 1 ? '' : 's'}` : 'Tickets'}>
        {!rows && !list.error && <Loading what="tickets" />}
        {rows && (
          <Table
            rows={rows}
            testid="tickets"
            empty="No tickets here."
            columns={[
              {
                label: 'State',
                cell: (t) => <span class={`ticket-${t.state}`}>{t.state.replace('_', ' ')}</span>,
              },
              {
                label: 'What',
                cell: (t) => (
                  <button
                    type="button"
                    class="linkish"
                    onClick={() => setShown(shown === t.id ? null : t.id)}
                  >
                    {t.title}
                  </button>
                ),
              },
              {
                label: 'Miner',
                cell: (t) =>
                  t.minerId ? (
                    <a
                      href={
                        t.containerId
                          ? href('containers', t.containerId, 'miners', t.minerId)
                          : href('miners', t.minerId)
                      }
                    >
                      {t.minerId}
                    </a>
                  ) : (
                    '–'
                  ),
              },
              { label: 'Where', cell: (t) => t.slotId ?? t.containerId ?? '–' },
              { label: 'From', cell: (t) => (t.source === 'remediation' ? 'ladder' : t.createdBy) },
              { label: 'Assignee', cell: (t) => t.assignee ?? '–' },
              { label: 'Opened', cell: (t) => ago(t.createdAt) },
              {
                label: '',
                cell: (t) =>
                  t.state === 'done' ? (
                    `done ${ago(t.doneAt)}`
                  ) : (
                    <span class="actions">
                      {t.assignee !== me.name && (
                        <button type="button" onClick={() => act(`/tickets/${t.id}/take`, {})}>
                          take
                        </button>
                      )}
                      <button
                        type="button"
                        onClick={() => withNote('Note for this ticket', `/tickets/${t.id}/notes`, true)}
                      >
                        note
                      </button>
                      <button
                        type="button"
                        onClick={() => withNote('What was done? (optional)', `/tickets/${t.id}/close`, false)}
                      >
                        close
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
      await post('/tickets', { title, minerId });
      setTitle('');
      setMinerId('');
      onOpened();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <Section title="Open a ticket">
      <form onSubmit={submit} class="actions">
        <input
          placeholder="miner id"
          value={minerId}
          onInput={(e) => setMinerId(e.currentTarget.value)}
          required
        />
        <input
          placeholder="what needs doing"
          value={title}
          onInput={(e) => setTitle(e.currentTarget.value)}
          required
        />
        <button type="submit">open</button>
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
    <Section title={d ? d.title : 'Ticket'}>
      <Problem error={detail.error} />
      {!d && !detail.error && <Loading what="ticket" />}
      {d && (
        <ul class="events" data-testid="ticket-notes">
          {d.notes.length === 0 && <li class="muted">No notes.</li>}
          {d.notes.map((n, i) => (
            <li key={i}>
              <span class="muted">{when(n.at)}</span> <strong>{n.author}</strong> {n.text}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
