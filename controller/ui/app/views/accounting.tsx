import { useState } from 'preact/hooks';
import { Loading, Problem, Section } from '../components/bits.js';
import { Table } from '../components/table.js';
import { Time } from '../components/time.js';
import { btc } from '../format.js';
import { t } from '../i18n.js';
import { post } from '../session.js';
import { type PeriodClose, UUID_RE } from '../shapes.js';
import { usePoll } from '../use-poll.js';
import { CostForm, CreditForm, StakeForm } from './editors/accounting-forms.js';
import { useKept } from './kept.js';

interface Credit {
  periodId: string;
  pool: string;
  reference: string;
  amountSats: string;
  enteredBy: string;
  enteredAt: string;
}
interface Cost {
  periodId: string;
  description: string;
  currency: string;
  amount: string | null;
  amountSats: string | null;
  enteredBy: string;
  enteredAt: string;
}
interface StakeEntry {
  seq: number;
  stakerId: string;
  stakerName: string;
  nodeId: string;
  nodeName: string;
  amountHss: string;
  effectiveAt: string;
  enteredBy: string;
  enteredAt: string;
}

interface Recompute {
  identical: boolean;
  storedOutputsSha256: string;
  recomputedOutputsSha256: string;
}

/** Yesterday's daily period id (UTC), the one usually closed next. */
function yesterday(): string {
  return new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
}

type NodeRow = { id: string; name: string; kind: string; collateralHss: string; eligible: boolean };
type Named = { id: string; name: string };

/**
 * Closed periods with their hashes, a recompute check per period, the stake register, and the close
 * inputs a person enters (pool credits, other costs, stake entries: forms with a preview, and what
 * was entered, newest first; issue 19 item 6).
 */
export function AccountingView() {
  const [version, setVersion] = useState(0);
  const v = version ? `?v=${version}` : '';
  const periods = usePoll<PeriodClose[]>('/periods', 30_000);
  const stakers = usePoll<Named[]>('/stakers');
  const nodes = usePoll<NodeRow[]>(`/nodes${v}`);
  // Entered lists stay on screen while they reload after an entry.
  const credits = { ...usePoll<Credit[]>(`/credits${v}`) };
  credits.data = useKept(credits.data);
  const costs = { ...usePoll<Cost[]>(`/costs${v}`) };
  costs.data = useKept(costs.data);
  const stakes = { ...usePoll<StakeEntry[]>(`/stakes${v}`) };
  stakes.data = useKept(stakes.data);
  const refresh = () => setVersion((n) => n + 1);
  // The stake form's choices stay while the lists reload after an entry, so the form is not remade.
  const stakerList = useKept(stakers.data);
  const nodeList = useKept(nodes.data);
  // The last entry of a staker in a node (entries are newest first), for the stake form's preview.
  const holding = (stakerId: string, nodeId: string) =>
    stakes.data?.find((e) => e.stakerId === stakerId && e.nodeId === nodeId)?.amountHss ?? null;
  const [checks, setChecks] = useState<Record<string, string>>({});
  const recompute = async (periodId: string) => {
    setChecks((c) => ({ ...c, [periodId]: t('accounting.recomputing') }));
    try {
      const r = await post<Recompute>(`/periods/${encodeURIComponent(periodId)}/recompute`, {});
      setChecks((c) => ({
        ...c,
        [periodId]: r.identical
          ? t('accounting.identical')
          : t('accounting.differs', { hash: `${r.recomputedOutputsSha256.slice(0, 12)}…` }),
      }));
    } catch (err) {
      setChecks((c) => ({ ...c, [periodId]: err instanceof Error ? err.message : String(err) }));
    }
  };
  const [periodId, setPeriodId] = useState(yesterday);
  const close = async () => {
    setChecks((c) => ({ ...c, [periodId]: t('accounting.closing') }));
    try {
      const r = await post<{ alreadyClosed?: boolean }>(`/periods/${encodeURIComponent(periodId)}/close`, {});
      setChecks((c) => ({
        ...c,
        [periodId]: r.alreadyClosed ? t('accounting.alreadyClosed') : t('accounting.closed'),
      }));
    } catch (err) {
      setChecks((c) => ({ ...c, [periodId]: err instanceof Error ? err.message : String(err) }));
    }
  };
  const ready = periods.data && stakers.data && nodes.data && credits.data && costs.data && stakes.data;
  return (
    <div class="page" data-testid={ready ? 'accounting-ready' : undefined}>
      <h1>{t('nav.accounting')}</h1>
      <Problem
        error={periods.error ?? stakers.error ?? nodes.error ?? credits.error ?? costs.error ?? stakes.error}
      />
      <Section
        title={t('accounting.periods')}
        aside={
          <span>
            <input
              name="period"
              value={periodId}
              size={12}
              onInput={(e) => setPeriodId((e.target as HTMLInputElement).value)}
            />{' '}
            <button type="button" onClick={close}>
              {t('accounting.close')}
            </button>{' '}
            {checks[periodId]}
          </span>
        }
      >
        {periods.data ? (
          <Table<PeriodClose>
            rows={periods.data}
            testid="periods"
            empty={t('accounting.noPeriods')}
            columns={[
              { label: t('accounting.period'), cell: (p) => p.periodId },
              { label: t('accounting.net'), cell: (p) => btc(p.netSats), num: true },
              { label: t('accounting.stakerPool'), cell: (p) => btc(p.stakerPoolSats), num: true },
              { label: t('accounting.lossCarried'), cell: (p) => btc(p.lossCarriedOutSats), num: true },
              { label: t('accounting.rule'), cell: (p) => `v${p.ruleVersion}` },
              {
                label: t('accounting.inputsHash'),
                cell: (p) => <code title={p.inputsSha256}>{p.inputsSha256.slice(0, 12)}…</code>,
              },
              {
                label: t('accounting.closedAt'),
                cell: (p) => (
                  <>
                    <Time at={p.closedAt} /> {t('common.byWho', { who: p.closedBy })}
                  </>
                ),
              },
              {
                label: t('accounting.check'),
                cell: (p) => (
                  <>
                    <button type="button" onClick={() => recompute(p.periodId)}>
                      {t('accounting.recompute')}
                    </button>{' '}
                    {checks[p.periodId]}
                  </>
                ),
              },
            ]}
          />
        ) : (
          <Loading what={t('what.periods')} />
        )}
      </Section>
      <RegisterSections nodes={nodes.data} stakers={stakers.data} />
      <Section title={t('acctForm.credits')}>
        <CreditForm periodId={periodId} onDone={refresh} />
        {credits.data ? <CreditsTable rows={credits.data} /> : <Loading what={t('acctForm.credits')} />}
      </Section>
      <Section title={t('acctForm.costs')}>
        <CostForm periodId={periodId} onDone={refresh} />
        {costs.data ? <CostsTable rows={costs.data} /> : <Loading what={t('acctForm.costs')} />}
      </Section>
      <Section title={t('acctForm.stakes')}>
        {stakerList && nodeList && (
          <StakeForm stakers={stakerList} nodes={nodeList} holding={holding} onDone={refresh} />
        )}
        {stakes.data ? <StakesTable rows={stakes.data} /> : <Loading what={t('acctForm.stakes')} />}
      </Section>
    </div>
  );
}

/** The staking nodes with their collateral and eligibility, and the stakers by name. */
function RegisterSections({
  nodes,
  stakers,
}: {
  nodes: NodeRow[] | null | undefined;
  stakers: Named[] | null | undefined;
}) {
  return (
    <>
      <Section title={t('accounting.nodes')}>
        {nodes ? (
          <Table
            rows={nodes}
            empty={t('accounting.noNodes')}
            columns={[
              {
                label: t('accounting.node'),
                cell: (n) => (UUID_RE.test(n.id) ? n.name : `${n.name} (${n.id})`),
              },
              { label: t('accounting.kind'), cell: (n) => n.kind },
              { label: t('accounting.collateral'), cell: (n) => n.collateralHss, num: true },
              {
                label: t('accounting.eligible'),
                cell: (n) => (n.eligible ? t('common.yes') : t('accounting.underMinimum')),
              },
            ]}
          />
        ) : (
          <Loading what={t('what.nodes')} />
        )}
      </Section>
      <Section title={t('accounting.stakers')}>
        {stakers ? (
          <Table
            rows={stakers}
            empty={t('accounting.noStakers')}
            columns={[
              {
                label: t('accounting.staker'),
                cell: (s) => <a href={`#/stakers/${encodeURIComponent(s.id)}`}>{s.name}</a>,
              },
            ]}
          />
        ) : (
          <Loading what={t('what.stakers')} />
        )}
      </Section>
    </>
  );
}

/** Pool credits as entered, newest first. */
function CreditsTable({ rows }: { rows: Credit[] }) {
  return (
    <Table<Credit>
      rows={rows}
      testid="credits"
      empty={t('acctForm.noCredits')}
      columns={[
        { label: t('accounting.period'), cell: (c) => c.periodId },
        { label: t('acctForm.pool'), cell: (c) => c.pool },
        { label: t('acctForm.reference'), cell: (c) => c.reference },
        { label: t('acctForm.amountBtc'), cell: (c) => btc(c.amountSats), num: true },
        { label: t('acctForm.entered'), cell: (c) => <Entered at={c.enteredAt} by={c.enteredBy} /> },
      ]}
    />
  );
}

/** Other costs as entered, newest first. */
function CostsTable({ rows }: { rows: Cost[] }) {
  return (
    <Table<Cost>
      rows={rows}
      testid="costs"
      empty={t('acctForm.noCosts')}
      columns={[
        { label: t('accounting.period'), cell: (c) => c.periodId },
        { label: t('acctForm.description'), cell: (c) => c.description },
        {
          label: t('acctForm.amount'),
          cell: (c) => (c.amountSats !== null ? btc(c.amountSats) : `${c.amount} ${c.currency}`),
          num: true,
        },
        { label: t('acctForm.entered'), cell: (c) => <Entered at={c.enteredAt} by={c.enteredBy} /> },
      ]}
    />
  );
}

/** Stake entries as entered, newest first. */
function StakesTable({ rows }: { rows: StakeEntry[] }) {
  return (
    <Table<StakeEntry>
      rows={rows}
      testid="stakes"
      empty={t('acctForm.noStakes')}
      columns={[
        { label: t('accounting.staker'), cell: (e) => e.stakerName },
        { label: t('accounting.node'), cell: (e) => e.nodeName },
        { label: t('acctForm.holdsHss'), cell: (e) => e.amountHss, num: true },
        { label: t('acctForm.effectiveAt'), cell: (e) => <Time at={e.effectiveAt} /> },
        { label: t('acctForm.entered'), cell: (e) => <Entered at={e.enteredAt} by={e.enteredBy} /> },
      ]}
    />
  );
}

/** When and by whom an entry was made. */
function Entered({ at, by }: { at: string; by: string }) {
  return (
    <>
      <Time at={at} /> {t('common.byWho', { who: by })}
    </>
  );
}
