import { type CommandRow, shownState, shownWords } from '../command-row.js';
import { Problem, Section } from '../components/bits.js';
import { Table } from '../components/table.js';
import { Time } from '../components/time.js';
import { ago } from '../format.js';
import { t } from '../i18n.js';
import { label } from '../labels.js';
import { usePoll } from '../use-poll.js';
import type { Ticket } from './tickets.js';

interface StepRow {
  id: string;
  alertKind: string;
  rung: string;
  outcome: string;
  reason: string;
  result: string | null;
  commandState: string | null;
  transport: string | null;
  ticketId: string | null;
  at: number;
}

/** The miner's words and what was seen after (issue 16), else the result's message. */
function Words({ c }: { c: CommandRow }) {
  const w = shownWords(c);
  if (w.reply === null && w.observed === null) return <>{w.message ?? '–'}</>;
  return (
    <>
      {w.reply !== null && <div>{t('history.minerReply', { text: w.reply })}</div>}
      {w.observed !== null && <div>{t('history.observed', { text: w.observed })}</div>}
    </>
  );
}

/**
 * What was done about this miner, from the server (any browser, any person, and the controller's
 * own remediation): its commands with results, the ladder's steps with outcomes, its tickets.
 */
export function History({ minerId, bump }: { minerId: string; bump: number }) {
  const id = encodeURIComponent(minerId);
  // `r` changes when this browser sends a command, so the lists are fetched again at once.
  const commands = usePoll<CommandRow[]>(`/commands?miner=${id}&limit=20&r=${bump}`, 10_000);
  const steps = usePoll<StepRow[]>(`/remediation/steps?minerId=${id}&limit=30&r=${bump}`, 15_000);
  const tickets = usePoll<Ticket[]>(`/tickets?minerId=${id}&limit=20`, 30_000);
  return (
    <>
      <Section title={t('history.actions')}>
        <Problem error={commands.error} />
        {commands.data && (
          <Table
            rows={commands.data}
            testid="miner-commands"
            empty={t('history.noCommands')}
            columns={[
              { label: t('common.when'), cell: (c) => <Time at={c.createdAt} /> },
              { label: t('history.command'), cell: (c) => c.op },
              { label: t('history.by'), cell: (c) => c.issuer },
              { label: t('common.state'), cell: (c) => label('commandState', shownState(c)) },
              { label: t('history.result'), cell: (c) => <Words c={c} /> },
            ]}
          />
        )}
      </Section>
      <Section title={t('history.ladder')}>
        <Problem error={steps.error} />
        {steps.data && (
          <Table
            rows={steps.data}
            testid="miner-remediation"
            empty={t('history.noLadder')}
            columns={[
              { label: t('common.when'), cell: (s) => <Time at={s.at} /> },
              { label: t('alerts.alert'), cell: (s) => label('alertKind', s.alertKind) },
              {
                label: t('history.step'),
                cell: (s) => (s.transport ? `${s.rung} (${s.transport})` : s.rung),
              },
              {
                label: t('history.outcome'),
                cell: (s) => <span class={`outcome-${s.outcome}`}>{label('outcome', s.outcome)}</span>,
              },
              { label: t('history.why'), cell: (s) => s.result ?? s.reason },
            ]}
          />
        )}
      </Section>
      <Section title={t('nav.tickets')}>
        <Problem error={tickets.error} />
        {tickets.data && (
          <Table
            rows={tickets.data}
            testid="miner-tickets"
            empty={t('history.noTickets')}
            columns={[
              { label: t('common.state'), cell: (r) => label('ticketState', r.state) },
              { label: t('tickets.what'), cell: (r) => <a href="#/tickets">{r.title}</a> },
              { label: t('tickets.assignee'), cell: (r) => r.assignee ?? '–' },
              { label: t('tickets.opened'), cell: (r) => ago(r.createdAt) },
            ]}
          />
        )}
      </Section>
    </>
  );
}
