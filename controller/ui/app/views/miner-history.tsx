import { Problem, Section } from '../components/bits.js';
import { Table } from '../components/table.js';
import { ago, when } from '../format.js';
import { usePoll } from '../use-poll.js';
import type { Ticket } from './tickets.js';

interface CommandRow {
  id: string;
  op: string;
  issuer: string;
  state: string;
  createdAt: number;
  result: { status?: string; message?: string } | null;
}

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
      <Section title="Actions taken">
        <Problem error={commands.error} />
        {commands.data && (
          <Table
            rows={commands.data}
            testid="miner-commands"
            empty="No commands sent to this miner."
            columns={[
              { label: 'When', cell: (c) => when(c.createdAt) },
              { label: 'Command', cell: (c) => c.op },
              { label: 'By', cell: (c) => c.issuer },
              { label: 'State', cell: (c) => c.result?.status ?? c.state },
              { label: 'Result', cell: (c) => c.result?.message ?? '–' },
            ]}
          />
        )}
      </Section>
      <Section title="Remediation ladder">
        <Problem error={steps.error} />
        {steps.data && (
          <Table
            rows={steps.data}
            testid="miner-remediation"
            empty="The ladder has not acted on this miner."
            columns={[
              { label: 'When', cell: (s) => when(s.at) },
              { label: 'Alert', cell: (s) => s.alertKind },
              { label: 'Step', cell: (s) => (s.transport ? `${s.rung} (${s.transport})` : s.rung) },
              { label: 'Outcome', cell: (s) => <span class={`outcome-${s.outcome}`}>{s.outcome}</span> },
              { label: 'Why', cell: (s) => s.result ?? s.reason },
            ]}
          />
        )}
      </Section>
      <Section title="Tickets">
        <Problem error={tickets.error} />
        {tickets.data && (
          <Table
            rows={tickets.data}
            testid="miner-tickets"
            empty="No tickets for this miner."
            columns={[
              { label: 'State', cell: (t) => t.state.replace('_', ' ') },
              { label: 'What', cell: (t) => <a href="#/tickets">{t.title}</a> },
              { label: 'Assignee', cell: (t) => t.assignee ?? '–' },
              { label: 'Opened', cell: (t) => ago(t.createdAt) },
            ]}
          />
        )}
      </Section>
    </>
  );
}
