import { useState } from 'preact/hooks';
import { Loading, Problem, Section } from '../components/bits.js';
import { Table } from '../components/table.js';
import { when } from '../format.js';
import { type Me, PLANNER_ROLES } from '../roles.js';
import { post } from '../session.js';
import { usePoll } from '../use-poll.js';

/** Relocation replies (controller/src/relocation/routes.ts). Money in USD, planning figures. */
interface PlanSummary {
  id: string;
  name: string;
  state: string;
  proposedBy: string;
  proposedAt: number | string;
  approvedBy: string | null;
  profitBeforeUsd: number;
  profitAfterUsd: number;
  gainUsd: number;
  moveCount: number;
}

interface PlannedMove {
  minerId: string;
  serial: string | null;
  month: number;
  departDate: string;
  arriveDate: string;
  fromSite: string;
  toSite: string;
  fromContainer: string;
  mode: string;
  costUsd: number;
  gainUsd: number;
}

interface PlanDetail extends PlanSummary {
  plan: { moves: PlannedMove[]; solver: { status: string; seconds: number; mipGap: number } };
}

interface Move {
  id: string;
  planId: string;
  minerId: string;
  serialExpected: string | null;
  mode: string;
  departDate: string;
  fromSite: string;
  fromContainer: string;
  toSite: string;
  toContainer: string | null;
  toSlot: string | null;
  state: string;
  flag: string | null;
}

/** The next physical step of a move (controller/src/relocation/workflow.ts), for the advance button. */
const NEXT: Record<string, string> = {
  planned: 'decommissioned',
  decommissioned: 'packed',
  packed: 'in_transit',
  in_transit: 'arrived',
};

const usd = (v: number) => `$${v.toLocaleString('en-US', { maximumFractionDigits: 0 })}`;

/** Plans proposed by the planner (with the default assumptions, editable), their approval, and the moves. */
const DEFAULT_ASSUMPTIONS = () => {
  const d = new Date();
  const start = `${d.getUTCFullYear() + (d.getUTCMonth() === 11 ? 1 : 0)}-${String(((d.getUTCMonth() + 1) % 12) + 1).padStart(2, '0')}`;
  return JSON.stringify(
    {
      start,
      horizonMonths: 12,
      market: { btcPriceUsd: 90000, hashpriceBtcPerPhDay: 0.0006 },
      routes: [
        {
          from: 'sichuan',
          to: 'kazakhstan',
          transitDays: 10,
          costPerMinerUsd: 20,
          costPerContainerUsd: 4000,
          customsPerMinerUsd: 15,
        },
      ],
    },
    null,
    2,
  );
};

export function RelocationView({ me }: { me: Me }) {
  const planner = PLANNER_ROLES.includes(me.role);
  const plans = usePoll<PlanSummary[]>('/relocation/plans', 30_000);
  const moves = usePoll<Move[]>('/relocation/moves', 15_000);
  const [open, setOpen] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [assumptions, setAssumptions] = useState(DEFAULT_ASSUMPTIONS);
  const act = async (what: string, f: () => Promise<unknown>) => {
    setMessage(`${what}…`);
    try {
      await f();
      setMessage(`${what}: done (refreshes shortly)`);
    } catch (err) {
      setMessage(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const propose = () =>
    act('propose plan', () =>
      post('/relocation/plans', {
        name: `Plan from inventory ${new Date().toISOString().slice(0, 16)}Z`,
        assumptions: JSON.parse(assumptions),
      }),
    );
  const ready = plans.data && moves.data;
  return (
    <div class="page" data-testid={ready ? 'relocation-ready' : undefined}>
      <h1>Relocation</h1>
      <Problem error={plans.error ?? moves.error} />
      {message && <p class="muted">{message}</p>}
      <Section title="Plans">
        {plans.data ? (
          <Table<PlanSummary>
            rows={plans.data}
            testid="plans"
            empty="No plan proposed yet."
            columns={[
              {
                label: 'Plan',
                cell: (p) => (
                  <button type="button" class="linkish" onClick={() => setOpen(open === p.id ? null : p.id)}>
                    {p.name}
                  </button>
                ),
              },
              { label: 'State', cell: (p) => p.state },
              { label: 'Moves', cell: (p) => String(p.moveCount), num: true },
              { label: 'Profit before', cell: (p) => usd(p.profitBeforeUsd), num: true },
              { label: 'Profit after', cell: (p) => usd(p.profitAfterUsd), num: true },
              { label: 'Gain', cell: (p) => usd(p.gainUsd), num: true },
              { label: 'Proposed', cell: (p) => `${when(p.proposedAt)} by ${p.proposedBy}` },
              {
                label: '',
                cell: (p) =>
                  planner && p.state === 'proposed' ? (
                    <button
                      type="button"
                      onClick={() =>
                        act(`approve ${p.name}`, () => post(`/relocation/plans/${p.id}/approve`, {}))
                      }
                    >
                      Approve
                    </button>
                  ) : (
                    (p.approvedBy ?? '')
                  ),
              },
            ]}
          />
        ) : (
          <Loading what="plans" />
        )}
      </Section>
      {open && <PlanMoves planId={open} />}
      <Section title="Moves">
        {moves.data ? (
          <Table<Move>
            rows={moves.data}
            testid="moves"
            empty="No moves: approving a plan creates them."
            columns={[
              {
                label: 'Miner',
                cell: (m) => (
                  <a href={`#/miners/${encodeURIComponent(m.minerId)}`}>{m.serialExpected ?? m.minerId}</a>
                ),
              },
              { label: 'From', cell: (m) => `${m.fromSite} / ${m.fromContainer}` },
              { label: 'To', cell: (m) => [m.toSite, m.toContainer, m.toSlot].filter(Boolean).join(' / ') },
              { label: 'Departs', cell: (m) => m.departDate },
              { label: 'Mode', cell: (m) => m.mode },
              { label: 'State', cell: (m) => (m.flag ? `${m.state}: ${m.flag}` : m.state) },
              {
                label: '',
                cell: (m) =>
                  NEXT[m.state] ? (
                    <button
                      type="button"
                      onClick={() =>
                        act(`move ${m.id} → ${NEXT[m.state]}`, () =>
                          post(`/relocation/moves/${m.id}/advance`, { to: NEXT[m.state] }),
                        )
                      }
                    >
                      → {NEXT[m.state]}
                    </button>
                  ) : null,
              },
            ]}
          />
        ) : (
          <Loading what="moves" />
        )}
      </Section>
      {planner && (
        <Section title="Propose a plan from the current inventory">
          <p class="muted">
            The planner takes miners, sites and slots from inventory; these are the assumptions it cannot know
            (market, routes, horizon). Approval needs a second person.
          </p>
          <textarea
            class="assumptions"
            rows={14}
            value={assumptions}
            onInput={(e) => setAssumptions((e.target as HTMLTextAreaElement).value)}
          />
          <div>
            <button type="button" onClick={propose}>
              Propose plan
            </button>
          </div>
        </Section>
      )}
    </div>
  );
}

function PlanMoves({ planId }: { planId: string }) {
  const plan = usePoll<PlanDetail>(`/relocation/plans/${encodeURIComponent(planId)}`);
  if (plan.error) return <Problem error={plan.error} />;
  if (!plan.data) return <Loading what="plan" />;
  const p = plan.data;
  return (
    <Section title={`${p.name}: planned moves`}>
      <p class="muted">
        Solver {p.plan.solver.status}, gap {p.plan.solver.mipGap}, {p.plan.solver.seconds.toFixed(2)} s.
      </p>
      <Table<PlannedMove>
        rows={p.plan.moves}
        empty="The plan keeps every miner where it is."
        columns={[
          { label: 'Miner', cell: (m) => m.serial ?? m.minerId },
          { label: 'Route', cell: (m) => `${m.fromSite} → ${m.toSite}` },
          { label: 'Departs', cell: (m) => m.departDate },
          { label: 'Arrives', cell: (m) => m.arriveDate },
          { label: 'Mode', cell: (m) => m.mode },
          { label: 'Cost', cell: (m) => usd(m.costUsd), num: true },
          { label: 'Gain', cell: (m) => usd(m.gainUsd), num: true },
        ]}
      />
    </Section>
  );
}
