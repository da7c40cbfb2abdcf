import { useMemo, useState } from 'preact/hooks';
import { Empty, Loading, Problem, Section, Tile } from '../components/bits.js';
import { TimeChart } from '../components/chart.js';
import { Table } from '../components/table.js';
import { btc, hashrate, pct, when } from '../format.js';
import type { Me } from '../roles.js';
import { download, getText } from '../session.js';
import type { Attribution, StakeEntry, StakerDetail, Statement } from '../shapes.js';
import { usePoll } from '../use-poll.js';
import { sha256Hex } from '../verify.js';

const DAYS = 7;

/**
 * What a staker may see of the operation: their stakes, the hashrate attributed to them, their
 * statements and payouts, and for each payout the hash of its inputs with a way to check it.
 */
export function StakerView({ me, stakerId }: { me: Me; stakerId: string | null }) {
  const id = me.role === 'staker' ? me.stakerId : stakerId;
  if (!id) return <StakerPicker />;
  return <StakerPortal stakerId={id} />;
}

function StakerPicker() {
  const stakers = usePoll<{ id: string; name: string }[]>('/stakers');
  return (
    <div class="page">
      <h1>Staker portal</h1>
      <p class="muted">Pick a staker to see the portal as they see it.</p>
      <Problem error={stakers.error} />
      <ul>
        {(stakers.data ?? []).map((s) => (
          <li key={s.id}>
            <a href={`#/stakers/${encodeURIComponent(s.id)}`}>
              {s.name} <code>{s.id}</code>
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}

function StakerPortal({ stakerId }: { stakerId: string }) {
  const sid = encodeURIComponent(stakerId);
  const span = useMemo(() => {
    // Up to the end of the current hour, so the hour in progress shows too.
    const to = Math.ceil(Date.now() / 3_600_000) * 3_600_000;
    const from = to - DAYS * 86_400_000;
    return {
      query: `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`,
      seconds: [from / 1000, to / 1000] as [number, number],
    };
  }, [stakerId]);
  const range = span.query;
  const staker = usePoll<StakerDetail>(`/stakers/${sid}`);
  const attribution = usePoll<Attribution>(`/stakers/${sid}/attribution?${range}`, 60_000);
  const statements = usePoll<Statement[]>(`/stakers/${sid}/statements`, 60_000);
  const [selected, setSelected] = useState<string | null>(null);
  const ready = staker.data && attribution.data && statements.data;
  const paid = (statements.data ?? []).reduce((a, s) => a + BigInt(s.totalSats), 0n);
  const chosen = statements.data?.find((s) => s.periodId === selected) ?? statements.data?.[0] ?? null;
  return (
    <div class="page" data-testid={ready ? 'staker-ready' : undefined}>
      <h1>
        Staker portal · {staker.data?.name ?? stakerId} <code data-testid="staker-id">{stakerId}</code>
      </h1>
      <Problem error={staker.error ?? attribution.error ?? statements.error} />
      {staker.data && (
        <p class="muted">
          Your holder id in published period documents: <code>{staker.data.holder}</code> (a salted hash;
          other stakers appear only as theirs).
        </p>
      )}
      <div class="tiles">
        <Tile
          label={`Attributed hashrate, ${DAYS} days`}
          value={hashrate(attribution.data?.periodAttributedThs)}
        />
        <Tile label="Paid to you, all periods" value={statements.data ? btc(paid) : '–'} />
        <Tile label="Statements" value={String(statements.data?.length ?? '–')} />
      </div>
      <Section title="Attributed hashrate">
        {attribution.data ? (
          <AttributionChart a={attribution.data} range={span.seconds} />
        ) : (
          <Loading what="attribution" />
        )}
      </Section>
      <Section title="Stakes">
        {staker.data ? (
          <Table<StakeEntry>
            rows={staker.data.stakes}
            empty="No stakes."
            columns={[
              { label: 'Node', cell: (s) => s.nodeId },
              { label: 'HSS', cell: (s) => s.amountHss, num: true },
              { label: 'Effective', cell: (s) => when(s.effectiveAt) },
              { label: 'Source', cell: (s) => s.source },
            ]}
          />
        ) : (
          <Loading what="stakes" />
        )}
      </Section>
      <Section
        title="Statements and payouts"
        aside={
          <button
            type="button"
            onClick={() => download(`/stakers/${sid}/statements.csv`, `statements-${stakerId}.csv`)}
          >
            Download CSV
          </button>
        }
      >
        {statements.data ? (
          <Table<Statement>
            rows={statements.data}
            testid="statements"
            empty="No closed periods yet: statements appear when an operator closes a period."
            columns={[
              { label: 'Period', cell: (s) => s.periodId },
              { label: 'Stake share', cell: (s) => pct(s.stakeShare), num: true },
              { label: 'Attributed', cell: (s) => hashrate(s.attributedThs), num: true },
              { label: 'Payout', cell: (s) => btc(s.payoutSats), num: true },
              { label: 'Adjustments', cell: (s) => btc(s.adjustmentSats), num: true },
              { label: 'Total', cell: (s) => btc(s.totalSats), num: true },
              {
                label: 'Inputs hash',
                cell: (s) => (
                  <button type="button" class="linkish" onClick={() => setSelected(s.periodId)}>
                    <code>{s.inputsSha256.slice(0, 16)}…</code>
                  </button>
                ),
              },
            ]}
          />
        ) : (
          <Loading what="statements" />
        )}
      </Section>
      {chosen && staker.data && <Verify statement={chosen} holder={staker.data.holder} />}
    </div>
  );
}

function AttributionChart({ a, range }: { a: Attribution; range: [number, number] }) {
  const data = useMemo(() => {
    const byHour = new Map<number, number>();
    for (const h of a.hours) {
      const t = Date.parse(String(h.hourStart));
      byHour.set(t, (byHour.get(t) ?? 0) + h.attributedThs);
    }
    const xs = [...byHour.keys()].sort((x, y) => x - y);
    return {
      xs: xs.map((t) => t / 1000),
      series: [{ label: 'attributed TH/s', values: xs.map((t) => byHour.get(t) ?? 0), colour: '#2b8a3e' }],
    };
  }, [a]);
  if (data.xs.length === 0) return <Empty>No attributed work in the last {DAYS} days yet.</Empty>;
  return <TimeChart xs={data.xs} series={data.series} unit="TH/s" range={range} />;
}

/** Checks in the browser what anyone can check with curl and sha256sum, and says how. */
function Verify({ statement, holder }: { statement: Statement; holder: string }) {
  const [result, setResult] = useState<string | null>(null);
  const check = async () => {
    setResult('fetching inputs…');
    try {
      const text = await getText(statement.inputsUrl.replace(/^\/api\/v1/, ''));
      const digest = await sha256Hex(text);
      const ok = digest === statement.inputsSha256;
      setResult(`${ok ? '✓ matches' : '✗ differs'}: sha256 of the inputs document is ${digest}`);
    } catch (err) {
      setResult(err instanceof Error ? err.message : String(err));
    }
  };
  const origin = location.origin;
  return (
    <Section title={`Verify the payout of ${statement.periodId}`}>
      <div class="verify" data-testid="verify">
        <p>
          Inputs hash <code>{statement.inputsSha256}</code>
          <br />
          Outputs hash <code>{statement.outputsSha256}</code> · rule version {statement.ruleVersion}
        </p>
        <ol>
          <li>
            Download the exact inputs the period was closed from, and hash them:
            <pre>{`curl -s -H "Authorization: Bearer $TOKEN" ${origin}${statement.inputsUrl} | sha256sum`}</pre>
            The hash must equal the inputs hash above.
          </li>
          <li>
            Find your rows in it by your holder id <code>{holder}</code>: your stake entries, and the fleet's
            work and costs for the period.
          </li>
          <li>
            Run the published split (<code>controller/src/accounting/close.ts</code>) on that document: it
            must give the outputs hash above, and your payout of {btc(statement.payoutSats)} to the satoshi.
          </li>
        </ol>
        <button type="button" onClick={check}>
          Check the inputs hash now
        </button>{' '}
        {result && <span data-testid="verify-result">{result}</span>}
      </div>
    </Section>
  );
}
