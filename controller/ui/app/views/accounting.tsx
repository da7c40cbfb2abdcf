import { useState } from 'preact/hooks';
import { Loading, Problem, Section } from '../components/bits.js';
import { Table } from '../components/table.js';
import { btc, when } from '../format.js';
import { post } from '../session.js';
import type { PeriodClose } from '../shapes.js';
import { usePoll } from '../use-poll.js';

interface Recompute {
  identical: boolean;
  storedOutputsSha256: string;
  recomputedOutputsSha256: string;
}

/** Yesterday's daily period id (UTC), the one usually closed next. */
function yesterday(): string {
  return new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
}

/** Closed periods with their hashes, a recompute check per period, and the stake register. */
export function AccountingView() {
  const periods = usePoll<PeriodClose[]>('/periods', 30_000);
  const stakers = usePoll<{ id: string; name: string }[]>('/stakers');
  const nodes =
    usePoll<{ id: string; name: string; kind: string; collateralHss: string; eligible: boolean }[]>('/nodes');
  const [checks, setChecks] = useState<Record<string, string>>({});
  const recompute = async (periodId: string) => {
    setChecks((c) => ({ ...c, [periodId]: 'recomputing…' }));
    try {
      const r = await post<Recompute>(`/periods/${encodeURIComponent(periodId)}/recompute`, {});
      setChecks((c) => ({
        ...c,
        [periodId]: r.identical ? '✓ identical' : `✗ ${r.recomputedOutputsSha256.slice(0, 12)}…`,
      }));
    } catch (err) {
      setChecks((c) => ({ ...c, [periodId]: err instanceof Error ? err.message : String(err) }));
    }
  };
  const [periodId, setPeriodId] = useState(yesterday);
  const close = async () => {
    setChecks((c) => ({ ...c, [periodId]: 'closing…' }));
    try {
      const r = await post<{ alreadyClosed?: boolean }>(`/periods/${encodeURIComponent(periodId)}/close`, {});
      setChecks((c) => ({ ...c, [periodId]: r.alreadyClosed ? 'was already closed' : 'closed' }));
    } catch (err) {
      setChecks((c) => ({ ...c, [periodId]: err instanceof Error ? err.message : String(err) }));
    }
  };
  const ready = periods.data && stakers.data && nodes.data;
  return (
    <div class="page" data-testid={ready ? 'accounting-ready' : undefined}>
      <h1>Accounting</h1>
      <Problem error={periods.error ?? stakers.error ?? nodes.error} />
      <Section
        title="Closed periods"
        aside={
          <span>
            <input
              name="period"
              value={periodId}
              size={12}
              onInput={(e) => setPeriodId((e.target as HTMLInputElement).value)}
            />{' '}
            <button type="button" onClick={close}>
              Close period
            </button>{' '}
            {checks[periodId]}
          </span>
        }
      >
        {periods.data ? (
          <Table<PeriodClose>
            rows={periods.data}
            testid="periods"
            empty="No period closed yet."
            columns={[
              { label: 'Period', cell: (p) => p.periodId },
              { label: 'Net', cell: (p) => btc(p.netSats), num: true },
              { label: 'Staker pool', cell: (p) => btc(p.stakerPoolSats), num: true },
              { label: 'Loss carried', cell: (p) => btc(p.lossCarriedOutSats), num: true },
              { label: 'Rule', cell: (p) => `v${p.ruleVersion}` },
              {
                label: 'Inputs hash',
                cell: (p) => <code title={p.inputsSha256}>{p.inputsSha256.slice(0, 12)}…</code>,
              },
              { label: 'Closed', cell: (p) => `${when(p.closedAt)} by ${p.closedBy}` },
              {
                label: 'Check',
                cell: (p) => (
                  <>
                    <button type="button" onClick={() => recompute(p.periodId)}>
                      Recompute
                    </button>{' '}
                    {checks[p.periodId]}
                  </>
                ),
              },
            ]}
          />
        ) : (
          <Loading what="periods" />
        )}
      </Section>
      <Section title="Staking nodes">
        {nodes.data ? (
          <Table
            rows={nodes.data}
            empty="No nodes."
            columns={[
              { label: 'Node', cell: (n) => `${n.name} (${n.id})` },
              { label: 'Kind', cell: (n) => n.kind },
              { label: 'Collateral HSS', cell: (n) => n.collateralHss, num: true },
              { label: 'Eligible', cell: (n) => (n.eligible ? 'yes' : 'no: under the minimum') },
            ]}
          />
        ) : (
          <Loading what="nodes" />
        )}
      </Section>
      <Section title="Stakers">
        {stakers.data ? (
          <Table
            rows={stakers.data}
            empty="No stakers."
            columns={[
              {
                label: 'Staker',
                cell: (s) => <a href={`#/stakers/${encodeURIComponent(s.id)}`}>{s.name}</a>,
              },
              { label: 'Id', cell: (s) => <code>{s.id}</code> },
            ]}
          />
        ) : (
          <Loading what="stakers" />
        )}
      </Section>
    </div>
  );
}
