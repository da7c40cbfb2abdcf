import { useMemo, useState } from 'preact/hooks';
import { Empty, Loading, Problem, Section, Tile } from '../components/bits.js';
import { TimeChart } from '../components/chart.js';
import { Table } from '../components/table.js';
import { Time } from '../components/time.js';
import { btc, hashrate, pct } from '../format.js';
import { t } from '../i18n.js';
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
      <h1>{t('nav.staker')}</h1>
      <p class="muted">{t('staker.pick')}</p>
      <Problem error={stakers.error} />
      <ul>
        {(stakers.data ?? []).map((s) => (
          <li key={s.id}>
            <a href={`#/stakers/${encodeURIComponent(s.id)}`}>{s.name}</a>
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
        {t('nav.staker')} ·{' '}
        <span data-testid="staker-id" data-staker={stakerId}>
          {staker.data?.name ?? '…'}
        </span>
      </h1>
      <Problem error={staker.error ?? attribution.error ?? statements.error} />
      {staker.data && (
        <p class="muted">
          {t('staker.holder')} <code>{staker.data.holder}</code> {t('staker.holderHint')}
        </p>
      )}
      <div class="tiles">
        <Tile
          label={t('staker.attributedDays', { count: DAYS })}
          value={hashrate(attribution.data?.periodAttributedThs)}
        />
        <Tile label={t('staker.paid')} value={statements.data ? btc(paid) : '–'} />
        <Tile label={t('staker.statements')} value={String(statements.data?.length ?? '–')} />
      </div>
      <Section title={t('staker.attributed')}>
        {attribution.data ? (
          <AttributionChart a={attribution.data} range={span.seconds} />
        ) : (
          <Loading what={t('what.attribution')} />
        )}
      </Section>
      <Section title={t('staker.stakes')}>
        {staker.data ? (
          <Table<StakeEntry>
            rows={staker.data.stakes}
            empty={t('staker.noStakes')}
            columns={[
              { label: t('accounting.node'), cell: (s) => s.nodeId },
              { label: 'HSS', cell: (s) => s.amountHss, num: true },
              { label: t('staker.effective'), cell: (s) => <Time at={s.effectiveAt} /> },
              { label: t('staker.source'), cell: (s) => s.source },
            ]}
          />
        ) : (
          <Loading what={t('what.stakes')} />
        )}
      </Section>
      <Section
        title={t('staker.statementsTitle')}
        aside={
          <button
            type="button"
            onClick={() => download(`/stakers/${sid}/statements.csv`, `statements-${stakerId}.csv`)}
          >
            {t('staker.csv')}
          </button>
        }
      >
        {statements.data ? (
          <Table<Statement>
            rows={statements.data}
            testid="statements"
            empty={t('staker.noStatements')}
            columns={[
              { label: t('accounting.period'), cell: (s) => s.periodId },
              { label: t('staker.share'), cell: (s) => pct(s.stakeShare), num: true },
              { label: t('staker.attributedCol'), cell: (s) => hashrate(s.attributedThs), num: true },
              { label: t('staker.payout'), cell: (s) => btc(s.payoutSats), num: true },
              { label: t('staker.adjustments'), cell: (s) => btc(s.adjustmentSats), num: true },
              { label: t('staker.total'), cell: (s) => btc(s.totalSats), num: true },
              {
                label: t('accounting.inputsHash'),
                cell: (s) => (
                  <button type="button" class="linkish" onClick={() => setSelected(s.periodId)}>
                    <code>{s.inputsSha256.slice(0, 16)}…</code>
                  </button>
                ),
              },
            ]}
          />
        ) : (
          <Loading what={t('what.statements')} />
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
      series: [
        { label: t('staker.attributedSeries'), values: xs.map((t) => byHour.get(t) ?? 0), colour: '#2b8a3e' },
      ],
    };
  }, [a]);
  if (data.xs.length === 0) return <Empty>{t('staker.noWork', { count: DAYS })}</Empty>;
  return <TimeChart xs={data.xs} series={data.series} unit="TH/s" range={range} />;
}

/** Checks in the browser what anyone can check with curl and sha256sum, and says how. */
function Verify({ statement, holder }: { statement: Statement; holder: string }) {
  const [result, setResult] = useState<string | null>(null);
  const check = async () => {
    setResult(t('staker.fetching'));
    try {
      const text = await getText(statement.inputsUrl.replace(/^\/api\/v1/, ''));
      const digest = await sha256Hex(text);
      const ok = digest === statement.inputsSha256;
      setResult(ok ? t('staker.matches', { digest }) : t('staker.differs', { digest }));
    } catch (err) {
      setResult(err instanceof Error ? err.message : String(err));
    }
  };
  const origin = location.origin;
  return (
    <Section title={t('staker.verifyTitle', { period: statement.periodId })}>
      <div class="verify" data-testid="verify">
        <p>
          {t('accounting.inputsHash')} <code>{statement.inputsSha256}</code>
          <br />
          {t('staker.outputsHash')} <code>{statement.outputsSha256}</code> ·{' '}
          {t('staker.ruleVersion', { version: statement.ruleVersion })}
        </p>
        <ol>
          <li>
            {t('staker.step1')}
            <pre>{`curl -s -H "Authorization: Bearer $TOKEN" ${origin}${statement.inputsUrl} | sha256sum`}</pre>
            {t('staker.step1b')}
          </li>
          <li>
            {t('staker.step2a')} <code>{holder}</code>: {t('staker.step2b')}
          </li>
          <li>
            {t('staker.step3a')} (
            <code>tools/verify-payout.py · tools/verify-payout.mjs · hashfleet-controller period verify</code>
            )<pre>{`python3 tools/verify-payout.py inputs.json --holder ${holder}`}</pre>
            {t('staker.step3b', { payout: btc(statement.payoutSats) })}
          </li>
        </ol>
        <button type="button" onClick={check}>
          {t('staker.checkNow')}
        </button>{' '}
        {result && <span data-testid="verify-result">{result}</span>}
      </div>
    </Section>
  );
}
