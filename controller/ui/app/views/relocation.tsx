import { useState } from 'preact/hooks';
import { Loading, Problem, Section } from '../components/bits.js';
import { Table } from '../components/table.js';
import { Time } from '../components/time.js';
import { fixed, usd } from '../format.js';
import { t } from '../i18n.js';
import { label } from '../labels.js';
import { type Me, PLANNER_ROLES } from '../roles.js';
import { post } from '../session.js';
import { minerName } from '../shapes.js';
import { usePoll } from '../use-poll.js';
import { RelocationProposalForm } from './editors/relocation-proposal.js';
import { SiteFactsForm } from './editors/relocation-site-facts.js';
import { ContainerGroups } from './move-sheet.js';

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

/** A batch of moves with its case; `makesRoom` when it loses money on its own (controller/src/relocation/room.ts). */
interface MoveBatch {
  id: string;
  departDate: string;
  fromSite: string;
  toSite: string;
  minerIds: string[];
  costUsd: number;
  downtimeUsd: number;
  gainUsd: number;
  makesRoom?: {
    siteSlots: number;
    minersThere: number;
    arrivingMiners: number;
    togetherGainUsd: number;
  } | null;
}

/** A miner the plan sells or scraps instead of running or idling it (controller/src/relocation/types.ts). */
interface Retirement {
  minerId: string;
  serial: string | null;
  model: string;
  date: string;
  site: string;
  salvageUsd: number;
  forgoneMarginUsd: number;
  gainUsd: number;
}

/** What the plan was made on (the planner's input without its miners). */
interface PlanAssumptions {
  market: {
    btcPriceUsd: number | number[];
    hashpriceBtcPerPhDay: number | number[];
    difficultyGrowthPctPerMonth?: number;
  };
  sites: {
    id: string;
    repairSite: boolean;
    ambientC: number[];
    tariffUsdPerKwh: number[];
    salvageUsd?: Record<string, number>;
  }[];
}

interface PlanDetail extends PlanSummary {
  plan: {
    moves: PlannedMove[];
    /** Absent on plans stored before batches were kept. */
    batches?: MoveBatch[];
    /** Absent on plans stored before the retire decision. */
    retirements?: Retirement[];
    solver: { status: string; seconds: number; mipGap: number };
  };
  assumptions: PlanAssumptions;
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
  containerId?: string | null;
  /** The miner's names (controller/src/fleet/names.ts), so no one reads its id. */
  serial?: string | null;
  assetCode?: string | null;
  model?: string | null;
  rack?: string | null;
  slot?: string | null;
}

/** The next physical step of a move (controller/src/relocation/workflow.ts), for the advance button. */
const NEXT: Record<string, string> = {
  planned: 'decommissioned',
  decommissioned: 'packed',
  packed: 'in_transit',
  in_transit: 'arrived',
};

/** Plans proposed by the planner (from the proposal form), their approval, and the moves. */
export function RelocationView({ me }: { me: Me }) {
  const planner = PLANNER_ROLES.includes(me.role);
  const plans = usePoll<PlanSummary[]>('/relocation/plans', 30_000);
  const moves = usePoll<Move[]>('/relocation/moves', 15_000);
  const [open, setOpen] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  // A save of a site's facts reloads the proposal form, which starts from them.
  const [factsSaved, setFactsSaved] = useState(0);
  const act = async (what: string, f: () => Promise<unknown>) => {
    setMessage(`${what}…`);
    try {
      await f();
      setMessage(t('common.doneRefresh', { what }));
    } catch (err) {
      setMessage(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const ready = plans.data && moves.data;
  return (
    <div class="page" data-testid={ready ? 'relocation-ready' : undefined}>
      <h1>{t('nav.relocation')}</h1>
      <Problem error={plans.error ?? moves.error} />
      {message && <p class="muted">{message}</p>}
      <Section title={t('relocation.plans')}>
        {plans.data ? (
          <Table<PlanSummary>
            rows={plans.data}
            testid="plans"
            empty={t('relocation.noPlans')}
            columns={[
              {
                label: t('relocation.plan'),
                cell: (p) => (
                  <button type="button" class="linkish" onClick={() => setOpen(open === p.id ? null : p.id)}>
                    {p.name}
                  </button>
                ),
              },
              { label: t('common.state'), cell: (p) => label('planState', p.state) },
              { label: t('relocation.moves'), cell: (p) => String(p.moveCount), num: true },
              { label: t('relocation.profitBefore'), cell: (p) => usd(p.profitBeforeUsd), num: true },
              { label: t('relocation.profitAfter'), cell: (p) => usd(p.profitAfterUsd), num: true },
              { label: t('relocation.gain'), cell: (p) => usd(p.gainUsd), num: true },
              {
                label: t('relocation.proposed'),
                cell: (p) => (
                  <>
                    <Time at={p.proposedAt} /> {t('common.byWho', { who: p.proposedBy })}
                  </>
                ),
              },
              {
                label: '',
                cell: (p) =>
                  planner && p.state === 'proposed' ? (
                    <button
                      type="button"
                      onClick={() =>
                        act(t('relocation.approveWhat', { name: p.name }), () =>
                          post(`/relocation/plans/${p.id}/approve`, {}),
                        )
                      }
                    >
                      {t('common.approve')}
                    </button>
                  ) : (
                    (p.approvedBy ?? '')
                  ),
              },
            ]}
          />
        ) : (
          <Loading what={t('what.plans')} />
        )}
      </Section>
      {open && <PlanMoves planId={open} />}
      <Section title={t('relocation.moves')}>
        {moves.data ? (
          <Table<Move>
            rows={moves.data}
            testid="moves"
            empty={t('relocation.noMoves')}
            columns={[
              {
                label: t('common.miner'),
                cell: (m) => (
                  <a href={`#/miners/${encodeURIComponent(m.minerId)}`}>
                    {m.serialExpected ?? m.serial ?? minerName(m)}
                  </a>
                ),
              },
              { label: t('relocation.from'), cell: (m) => `${m.fromSite} / ${m.fromContainer}` },
              {
                label: t('relocation.to'),
                cell: (m) => [m.toSite, m.toContainer, m.toSlot].filter(Boolean).join(' / '),
              },
              { label: t('relocation.departs'), cell: (m) => m.departDate },
              { label: t('relocation.mode'), cell: (m) => m.mode },
              {
                label: t('common.state'),
                cell: (m) =>
                  m.flag ? `${label('moveState', m.state)}: ${m.flag}` : label('moveState', m.state),
              },
              {
                label: '',
                cell: (m) =>
                  NEXT[m.state] ? (
                    <button
                      type="button"
                      onClick={() =>
                        act(
                          `${m.serialExpected ?? m.serial ?? minerName(m)} → ${label('moveState', NEXT[m.state])}`,
                          () => post(`/relocation/moves/${m.id}/advance`, { to: NEXT[m.state] }),
                        )
                      }
                    >
                      → {label('moveState', NEXT[m.state])}
                    </button>
                  ) : null,
              },
            ]}
          />
        ) : (
          <Loading what={t('what.moves')} />
        )}
      </Section>
      {planner && (
        <Section title={t('relocation.factsTitle')}>
          <SiteFactsForm
            onSaved={(m) => {
              setMessage(m);
              setFactsSaved(factsSaved + 1);
            }}
          />
        </Section>
      )}
      {planner && (
        <Section title={t('relocation.proposeTitle')}>
          <RelocationProposalForm key={factsSaved} onProposed={setMessage} />
        </Section>
      )}
    </div>
  );
}

function PlanMoves({ planId }: { planId: string }) {
  const plan = usePoll<PlanDetail>(`/relocation/plans/${encodeURIComponent(planId)}`);
  if (plan.error) return <Problem error={plan.error} />;
  if (!plan.data) return <Loading what={t('what.plan')} />;
  const p = plan.data;
  return (
    <Section title={t('relocation.plannedMoves', { name: p.name })}>
      <p class="muted">
        {t('relocation.solver', {
          status: p.plan.solver.status,
          gap: p.plan.solver.mipGap,
          seconds: fixed(p.plan.solver.seconds, 2),
        })}
      </p>
      {p.state === 'approved' && <ContainerGroups planId={p.id} />}
      {p.plan.batches && p.plan.batches.length > 0 && (
        <Table<MoveBatch>
          rows={p.plan.batches}
          testid="plan-batches"
          empty={t('relocation.keepsAll')}
          columns={[
            { label: t('relocation.route'), cell: (b) => `${b.fromSite} → ${b.toSite}` },
            { label: t('relocation.departs'), cell: (b) => b.departDate },
            { label: t('relocation.miners'), cell: (b) => String(b.minerIds.length), num: true },
            { label: t('relocation.cost'), cell: (b) => usd(b.costUsd), num: true },
            { label: t('relocation.downtime'), cell: (b) => usd(b.downtimeUsd), num: true },
            { label: t('relocation.gain'), cell: (b) => usd(b.gainUsd), num: true },
            {
              label: t('relocation.why'),
              cell: (b) =>
                b.makesRoom
                  ? t('relocation.makesRoom', {
                      site: b.fromSite,
                      slots: b.makesRoom.siteSlots,
                      there: b.makesRoom.minersThere,
                      arriving: b.makesRoom.arrivingMiners,
                      together: usd(b.makesRoom.togetherGainUsd),
                    })
                  : '',
            },
          ]}
        />
      )}
      {p.plan.retirements && p.plan.retirements.length > 0 && (
        <Table<Retirement>
          rows={p.plan.retirements}
          testid="plan-retirements"
          empty=""
          columns={[
            { label: t('common.miner'), cell: (r) => r.serial ?? r.model },
            { label: t('common.model'), cell: (r) => r.model },
            { label: t('common.site'), cell: (r) => r.site },
            { label: t('relocation.retireOn'), cell: (r) => r.date },
            { label: t('form.salvageUsd'), cell: (r) => usd(r.salvageUsd), num: true },
            { label: t('relocation.forgone'), cell: (r) => usd(r.forgoneMarginUsd), num: true },
            { label: t('relocation.gain'), cell: (r) => usd(r.gainUsd), num: true },
          ]}
        />
      )}
      <PlanInputs a={p.assumptions} />
      <Table<PlannedMove>
        rows={p.plan.moves}
        empty={t('relocation.keepsAll')}
        columns={[
          { label: t('common.miner'), cell: (m) => m.serial ?? m.fromContainer },
          { label: t('relocation.route'), cell: (m) => `${m.fromSite} → ${m.toSite}` },
          { label: t('relocation.departs'), cell: (m) => m.departDate },
          { label: t('relocation.arrives'), cell: (m) => m.arriveDate },
          { label: t('relocation.mode'), cell: (m) => m.mode },
          { label: t('relocation.cost'), cell: (m) => usd(m.costUsd), num: true },
          { label: t('relocation.gain'), cell: (m) => usd(m.gainUsd), num: true },
        ]}
      />
    </Section>
  );
}

const series = (v: number | number[]) => (Array.isArray(v) ? v.join(' ') : String(v));

/** The inputs the plan was made on: the market with its difficulty growth, and each site's facts. */
function PlanInputs({ a }: { a: PlanAssumptions }) {
  return (
    <div data-testid="plan-inputs">
      <p class="muted" data-testid="plan-market">
        {t('relocation.marketLine', {
          btc: series(a.market.btcPriceUsd),
          hashprice: series(a.market.hashpriceBtcPerPhDay),
          growth: a.market.difficultyGrowthPctPerMonth ?? 0,
        })}
      </p>
      <Table<PlanAssumptions['sites'][number]>
        rows={a.sites}
        testid="plan-sites"
        empty=""
        columns={[
          { label: t('common.site'), cell: (s) => s.id },
          { label: t('form.repairSite'), cell: (s) => (s.repairSite ? t('common.yes') : t('form.no')) },
          { label: t('form.meanTempC'), cell: (s) => series(s.ambientC) },
          {
            label: t('form.tariffUsdPerKwh'),
            cell: (s) => s.tariffUsdPerKwh.map((x) => fixed(x, 4)).join(' '),
          },
          {
            label: t('form.salvage'),
            cell: (s) =>
              Object.entries(s.salvageUsd ?? {})
                .map(([model, v]) => `${model} ${usd(v)}`)
                .join(', '),
          },
        ]}
      />
    </div>
  );
}
