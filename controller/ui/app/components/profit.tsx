import { count, fixed } from '../format.js';
import { k, t } from '../i18n.js';
import { href } from '../router.js';
import { minerName } from '../shapes.js';
import { usePoll } from '../use-poll.js';
import { Loading, Problem, Tile } from './bits.js';
import { Table } from './table.js';

/**
 * Profit per day (issue 19 item 8) from GET /profit (controller/src/profit/routes.ts): revenue at the
 * latest hashrate minus energy at the site's tariff now, in sats; a unit losing money is marked, and a
 * missing input is named instead of a figure.
 */
type Totals = {
  miners: number;
  incomplete: number;
  losing: number;
  revenueSatsPerDay: string;
  energySatsPerDay: string;
  profitSatsPerDay: string;
};
export type MinerProfitRow = {
  minerId: string;
  assetCode: string | null;
  serial: string | null;
  model: string | null;
  containerId: string | null;
  rack: string | null;
  slot: string | null;
  revenueSatsPerDay: string | null;
  energySatsPerDay: string | null;
  profitSatsPerDay: string | null;
  missing?: string[];
};
type ProfitReport = {
  miners: MinerProfitRow[];
  containers: (Totals & { containerId: string; name: string })[];
  sites: (Totals & { siteId: string; name: string })[];
};

const MISSING: Record<string, string> = {
  reading: k('profit.missing.reading'),
  hashrate: k('profit.missing.hashrate'),
  power: k('profit.missing.power'),
  network: k('profit.missing.network'),
  tariff: k('profit.missing.tariff'),
  btcPrice: k('profit.missing.btcPrice'),
};

/** Sats a day, signed, grouped by locale. */
export function satsPerDay(v: string | null | undefined): string {
  if (v === null || v === undefined) return '–';
  return t('profit.satsPerDay', { value: fixed(Number(v), 0) });
}

const missingText = (m: string[] = []) =>
  t('profit.missingList', { inputs: m.map((x) => (MISSING[x] ? t(MISSING[x]!) : x)).join(', ') });

const losing = (v: string | null) => v !== null && BigInt(v) < 0n;

/** The profit figure, or the inputs it lacks; a badge when the unit loses money. */
export function ProfitCell({ row }: { row: MinerProfitRow }) {
  if (row.profitSatsPerDay === null) return <span class="muted">{missingText(row.missing)}</span>;
  return (
    <span data-testid="profit-value" data-losing={losing(row.profitSatsPerDay) ? '1' : '0'}>
      {satsPerDay(row.profitSatsPerDay)}{' '}
      {losing(row.profitSatsPerDay) && <span class="sev sev-critical">{t('profit.losing')}</span>}
    </span>
  );
}

const totalsHint = (x: Totals) =>
  t('profit.totalsHint', {
    losing: count(x.losing),
    incomplete: count(x.incomplete),
    miners: count(x.miners),
  });

/** A container's profit a day and its miners, the money-losing ones first. */
export function ProfitTable({ containerId }: { containerId: string }) {
  const r = usePoll<ProfitReport>(`/profit?containerId=${encodeURIComponent(containerId)}`, 30_000);
  const total = r.data?.containers[0];
  const rows = [...(r.data?.miners ?? [])].sort((a, b) => rank(a) - rank(b));
  return (
    <div data-testid="profit">
      <h2>{t('profit.title')}</h2>
      <Problem error={r.error} />
      {!r.data && !r.error && <Loading what={t('profit.title')} />}
      {total && (
        <p data-testid="profit-total">
          {t('profit.total', { value: satsPerDay(total.profitSatsPerDay) })}{' '}
          <span class="muted">{totalsHint(total)}</span>
        </p>
      )}
      {r.data && (
        <Table<MinerProfitRow>
          rows={rows}
          testid="profit-table"
          empty={t('profit.none')}
          columns={[
            {
              label: t('common.miner'),
              cell: (m) => <a href={href('containers', containerId, 'miners', m.minerId)}>{minerName(m)}</a>,
            },
            { label: t('common.model'), cell: (m) => m.model ?? '–' },
            { label: t('profit.revenue'), cell: (m) => satsPerDay(m.revenueSatsPerDay), num: true },
            { label: t('profit.energy'), cell: (m) => satsPerDay(m.energySatsPerDay), num: true },
            { label: t('profit.profit'), cell: (m) => <ProfitCell row={m} />, num: true },
          ]}
        />
      )}
    </div>
  );
}

/** Losing units first (most negative first), then the others, then those without figures. */
function rank(m: MinerProfitRow): number {
  return m.profitSatsPerDay === null ? Number.POSITIVE_INFINITY : Number(m.profitSatsPerDay);
}

/** One miner's profit a day, as a tile of the miner view. */
export function MinerProfitTile({ minerId }: { minerId: string }) {
  const r = usePoll<ProfitReport>(`/profit?minerId=${encodeURIComponent(minerId)}`, 30_000);
  const m = r.data?.miners[0];
  if (!m) return null;
  return (
    <Tile
      label={t('profit.perDay')}
      value={m.profitSatsPerDay === null ? '–' : satsPerDay(m.profitSatsPerDay)}
      hint={
        m.profitSatsPerDay === null
          ? missingText(m.missing)
          : losing(m.profitSatsPerDay)
            ? t('profit.losing')
            : t('profit.revenueEnergy', {
                revenue: satsPerDay(m.revenueSatsPerDay),
                energy: satsPerDay(m.energySatsPerDay),
              })
      }
      testid="miner-profit"
    />
  );
}

/** Profit a day per site, for the overview's site cards. */
export function useSiteProfit(): Map<string, Totals> {
  const r = usePoll<ProfitReport>('/profit', 60_000);
  return new Map((r.data?.sites ?? []).map((s) => [s.siteId, s]));
}

export function SiteProfitTile({ totals }: { totals: Totals | undefined }) {
  if (!totals) return null;
  return (
    <Tile
      label={t('profit.perDay')}
      value={satsPerDay(totals.profitSatsPerDay)}
      hint={totalsHint(totals)}
      testid="site-profit"
    />
  );
}
