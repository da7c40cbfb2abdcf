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

/** The one attributed hashrate (accounting/attribution.ts): the window's work x the stake-time share. */
interface AttributedHashrate {
  ths: number;
  from: string;
  to: string;
  windowSeconds: number;
  stakeShare: number;
}

/** GET /stakers/:id/statements/:periodId/breakdown (accounting/views.ts `PeriodBreakdown`), sats as strings. */
interface Breakdown {
  periodId: string;
  poolCreditSats: string;
  costs: { kind: 'energy' | 'other'; siteId: string | null; account: string; sats: string; detail: string }[];
  lossCarriedInSats: string;
  netSats: string;
  stakerBps: number;
  stakerPoolSats: string;
  stakeShare: number;
  proRataFloorSats: string;
  remainderSats: string;
  payoutSats: string;
  adjustmentSats: string;
  totalSats: string;
  lossCarriedOutSats: string;
  attributedHashrate: AttributedHashrate;
}

/** A step of the breakdown; `step` says how it adds up (the browser test re-adds them from data-sats). */
interface Step {
  step:
    | 'credit'
    | 'cost'
    | 'lossIn'
    | 'net'
    | 'pool'
    | 'floor'
    | 'remainder'
    | 'payout'
    | 'adjustment'
    | 'total'
    | 'lossOut';
  label: string;
  sats: bigint;
  detail?: string;
}

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
  const attribution = usePoll<Attribution & { attributedHashrate?: AttributedHashrate }>(
    `/stakers/${sid}/attribution?${range}`,
    60_000,
  );
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
          value={hashrate(attribution.data?.attributedHashrate?.ths ?? attribution.data?.periodAttributedThs)}
          testid="attributed-tile"
          {...(attribution.data?.attributedHashrate
            ? { hint: windowText(attribution.data.attributedHashrate) }
            : {})}
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
      {chosen && <BreakdownSection stakerId={stakerId} periodId={chosen.periodId} />}
      {chosen && staker.data && <Verify statement={chosen} holder={staker.data.holder} />}
    </div>
  );
}

/** "window from – to (hours h), share of stake-time" of an attributed hashrate. */
function windowText(a: AttributedHashrate): string {
  return t('staker.attributedWindow', {
    from: new Date(a.from).toISOString().slice(0, 16).replace('T', ' '),
    to: new Date(a.to).toISOString().slice(0, 16).replace('T', ' '),
    hours: Math.round(a.windowSeconds / 360) / 10,
    share: pct(a.stakeShare),
  });
}

const sats = (n: bigint) => n.toLocaleString('en-US').replace(/,/g, '\u2009');

/** The period from the pool's credit to this staker's payout, every step in satoshis. */
function BreakdownSection({ stakerId, periodId }: { stakerId: string; periodId: string }) {
  const b = usePoll<Breakdown>(
    `/stakers/${encodeURIComponent(stakerId)}/statements/${encodeURIComponent(periodId)}/breakdown`,
  );
  const steps = useMemo(() => (b.data ? stepsOf(b.data) : []), [b.data]);
  return (
    <Section title={t('staker.breakdownTitle', { period: periodId })}>
      <Problem error={b.error} />
      {b.data ? (
        <div data-testid="breakdown" data-period={periodId}>
          <p class="muted">
            {t('staker.attributed')}: <strong>{hashrate(b.data.attributedHashrate.ths)}</strong>,{' '}
            {windowText(b.data.attributedHashrate)}
          </p>
          <Table<Step>
            rows={steps}
            testid="breakdown-steps"
            empty=""
            columns={[
              {
                label: t('staker.bdStep'),
                cell: (r) => (
                  <span data-step={r.step} data-sats={r.sats.toString()}>
                    {r.label}
                  </span>
                ),
              },
              { label: t('staker.bdSats'), cell: (r) => sats(r.sats), num: true },
              { label: 'BTC', cell: (r) => btc(r.sats), num: true },
              { label: t('staker.bdDetail'), cell: (r) => r.detail ?? '' },
            ]}
          />
          <p class="muted">
            {t('staker.bdVerifiers')} <code>python3 tools/verify-payout.py inputs.json --holder …</code> ·{' '}
            <code>node tools/verify-payout.mjs inputs.json --holder …</code>
          </p>
        </div>
      ) : (
        <Loading what={t('staker.breakdownTitle', { period: periodId })} />
      )}
    </Section>
  );
}

function stepsOf(b: Breakdown): Step[] {
  const steps: Step[] = [{ step: 'credit', label: t('staker.bdCredit'), sats: BigInt(b.poolCreditSats) }];
  for (const c of b.costs)
    steps.push({
      step: 'cost',
      label:
        c.kind === 'energy'
          ? t('staker.bdEnergy', { site: c.siteId ?? '' })
          : t('staker.bdOther', { account: c.account }),
      sats: -BigInt(c.sats),
      detail: c.detail,
    });
  steps.push(
    { step: 'lossIn', label: t('staker.bdLossIn'), sats: -BigInt(b.lossCarriedInSats) },
    { step: 'net', label: t('staker.bdNet'), sats: BigInt(b.netSats) },
    {
      step: 'pool',
      label: t('staker.bdPool', { pct: pct(b.stakerBps / 10_000) }),
      sats: BigInt(b.stakerPoolSats),
      detail: `⌊ net × ${b.stakerBps} / 10000 ⌋`,
    },
    {
      step: 'floor',
      label: t('staker.bdShare', { share: pct(b.stakeShare) }),
      sats: BigInt(b.proRataFloorSats),
      detail: '⌊ pool × stake-time / total ⌋',
    },
    { step: 'remainder', label: t('staker.bdRemainder'), sats: BigInt(b.remainderSats) },
    { step: 'payout', label: t('staker.payout'), sats: BigInt(b.payoutSats) },
    { step: 'adjustment', label: t('staker.adjustments'), sats: BigInt(b.adjustmentSats) },
    { step: 'total', label: t('staker.total'), sats: BigInt(b.totalSats) },
    { step: 'lossOut', label: t('staker.bdLossOut'), sats: BigInt(b.lossCarriedOutSats) },
  );
  return steps;
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
