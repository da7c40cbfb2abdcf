import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Loading, Problem, Section } from '../components/bits.js';
import { minerUrl, QrCode } from '../components/qr.js';
import { k, t } from '../i18n.js';
import { label } from '../labels.js';
import { href } from '../router.js';
import { get, post } from '../session.js';
import { usePoll } from '../use-poll.js';

/**
 * A plan's moves by container, each container advanced in one action, and the printable move
 * sheet the crew carries (issue 19 item 6); replies of controller/src/relocation/routes.ts.
 */

interface Move {
  id: string;
  planId: string;
  batchId: string;
  departDate: string;
  fromSite: string;
  fromContainer: string | null;
  toSite: string;
  mode: string;
  state: string;
}

interface BulkResult {
  advanced: { serial: string | null; assetCode: string | null; state: string }[];
  refused: { serial: string | null; assetCode: string | null; reason: string }[];
}

interface SheetRow {
  minerId: string;
  assetCode: string | null;
  serial: string | null;
  model: string | null;
  state: string;
  departDate: string;
  fromRack: string | null;
  fromSlot: string | null;
  toSite: string;
  toContainer: string | null;
  toRack: string | null;
  toSlot: string | null;
}

interface Sheet {
  planName: string;
  containerName: string;
  fromSite: string | null;
  rows: SheetRow[];
}

/**
 * The next physical step from each state a whole group can take together (workflow.ts). Installing
 * needs each miner's slot, so only a group that moves as a whole container (its miners keep their
 * slots) installs in one action.
 */
const NEXT_STEP: Record<string, string> = {
  planned: 'decommissioned',
  decommissioned: 'packed',
  packed: 'in_transit',
  in_transit: 'arrived',
  arrived: 'installed',
  installed: 'verified',
};
const stepsFor = (g: Group, state: string) =>
  NEXT_STEP[state] !== undefined && (state !== 'arrived' || g.wholeContainer);

/** The moves of one container leaving together (one batch: the planner's departure). */
type Group = {
  containerId: string;
  batchId: string;
  departDate: string;
  fromSite: string;
  toSites: string[];
  wholeContainer: boolean;
  byState: Map<string, number>;
};

function groupsOf(moves: Move[]): Group[] {
  const groups = new Map<string, Group>();
  for (const m of moves) {
    if (!m.fromContainer) continue;
    const key = `${m.fromContainer}\n${m.batchId}`;
    const g = groups.get(key) ?? {
      containerId: m.fromContainer,
      batchId: m.batchId,
      departDate: m.departDate,
      fromSite: m.fromSite,
      toSites: [],
      wholeContainer: m.mode === 'container',
      byState: new Map<string, number>(),
    };
    if (!g.toSites.includes(m.toSite)) g.toSites.push(m.toSite);
    g.byState.set(m.state, (g.byState.get(m.state) ?? 0) + 1);
    groups.set(key, g);
  }
  return [...groups.values()].sort(
    (a, b) =>
      a.containerId.localeCompare(b.containerId, 'en', { numeric: true }) ||
      a.departDate.localeCompare(b.departDate),
  );
}

/**
 * The plan's moves grouped by the container they leave and their departure (a container's miners
 * may leave in different months: its November batch is not put to sleep in January), with counts
 * per state and one button per state that takes the whole group a step.
 */
export function ContainerGroups({ planId }: { planId: string }) {
  const [moves, setMoves] = useState<Move[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [rev, setRev] = useState(0);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; refused: string[] } | null>(null);
  useEffect(() => {
    let alive = true;
    get<Move[]>(`/relocation/moves?planId=${encodeURIComponent(planId)}`)
      .then((m) => {
        if (!alive) return;
        setMoves(m);
        setError(null);
      })
      .catch((e) => {
        if (alive) setError(e instanceof Error ? e.message : String(e));
      });
    const timer = setTimeout(() => setRev((r) => r + 1), 15_000);
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [planId, rev]);
  const advance = async (g: Group, from: string) => {
    const to = NEXT_STEP[from]!;
    const what = t('relocation.advanceAllWhat', {
      container: g.containerId,
      from: label('moveState', from),
      to: label('moveState', to),
    });
    setBusy(true);
    setMessage({ text: `${what}…`, refused: [] });
    try {
      const r = await post<BulkResult>('/relocation/moves/advance', {
        planId,
        containerId: g.containerId,
        batchId: g.batchId,
        from,
        to,
      });
      setMessage({
        text: t('relocation.bulkResult', { what, advanced: r.advanced.length, refused: r.refused.length }),
        refused: r.refused.map((x) => x.reason),
      });
    } catch (err) {
      setMessage({ text: `${what}: ${err instanceof Error ? err.message : String(err)}`, refused: [] });
    } finally {
      setBusy(false);
      setRev((r) => r + 1);
    }
  };
  if (error && !moves) return <Problem error={error} />;
  if (!moves) return <Loading what={t('what.moves')} />;
  const groups = groupsOf(moves);
  return (
    <Section title={t('relocation.byContainer')}>
      {message && (
        <div class="muted" data-testid="bulk-message">
          <p>{message.text}</p>
          {message.refused.length > 0 && (
            <ul data-testid="bulk-refused">
              {message.refused.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {groups.length === 0 ? (
        <p class="muted empty" data-testid="container-groups">
          {t('relocation.noMoves')}
        </p>
      ) : (
        <table class="cards" data-testid="container-groups">
          <thead>
            <tr>
              <th>{t('common.container')}</th>
              <th>{t('relocation.departs')}</th>
              <th>{t('relocation.route')}</th>
              <th class="num">{t('relocation.miners')}</th>
              <th>{t('relocation.states')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => (
              <tr key={`${g.containerId} ${g.batchId}`} data-container={g.containerId} data-batch={g.batchId}>
                <td data-label={t('common.container')}>{g.containerId}</td>
                <td data-label={t('relocation.departs')}>{g.departDate}</td>
                <td data-label={t('relocation.route')}>{`${g.fromSite} → ${g.toSites.join(', ')}`}</td>
                <td class="num" data-label={t('relocation.miners')}>
                  {[...g.byState.values()].reduce((a, b) => a + b, 0)}
                </td>
                <td data-label={t('relocation.states')}>
                  {[...g.byState].map(([s, n]) => (
                    <span key={s} class="state-count" data-state={s} data-count={n}>
                      {label('moveState', s)} {n}{' '}
                    </span>
                  ))}
                </td>
                <td data-label="">
                  {[...g.byState]
                    .filter(([s]) => stepsFor(g, s))
                    .map(([s, n]) => (
                      <button
                        key={s}
                        type="button"
                        disabled={busy}
                        data-action="advance-container"
                        data-from={s}
                        onClick={() => advance(g, s)}
                      >
                        {t('relocation.advanceAll', {
                          n,
                          from: label('moveState', s),
                          to: label('moveState', NEXT_STEP[s]!),
                        })}
                      </button>
                    ))}{' '}
                  <a
                    href={`#/relocation/${encodeURIComponent(planId)}/sheet/${encodeURIComponent(g.containerId)}`}
                    data-action="sheet"
                  >
                    {t('relocation.moveSheet')}
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

/** On paper: no navigation or buttons, black on white whatever the theme, rows kept whole. */
const PRINT_CSS = `
@media print {
  header, .no-print { display: none !important; }
  html, body, main, .shell, .page, .move-sheet, .move-sheet * { background: #fff !important; color: #000 !important; }
  .move-sheet table { border-collapse: collapse; width: 100%; }
  .move-sheet th, .move-sheet td { border: 1px solid #000; padding: 2mm; }
  .move-sheet tr { break-inside: avoid; }
  .move-sheet a { text-decoration: none; }
  .move-sheet .qr { width: 24mm; height: 24mm; }
  /* A table on paper, whatever the page's width: the phone's cards are for the screen. */
  .move-sheet table.cards { display: table !important; }
  .move-sheet table.cards thead { display: table-header-group !important; }
  .move-sheet table.cards tbody { display: table-row-group !important; }
  .move-sheet table.cards tr { display: table-row !important; }
  .move-sheet table.cards td { display: table-cell !important; text-align: left !important; }
  .move-sheet table.cards td::before { content: none !important; }
}
@media print, (min-width: 721px) {
  .move-sheet td.qr-cell { width: 1%; }
}
`;

const place = (...parts: (string | null)[]) => parts.filter(Boolean).join(' / ');

/** The sheet's columns, by their header's catalogue key: slot → names → destination, the QR last. */
const SHEET_COLUMNS: [string, (r: SheetRow) => ComponentChildren][] = [
  [k('sheet.slot'), (r) => place(r.fromRack, r.fromSlot) || '–'],
  [k('sheet.assetCode'), (r) => <a href={href('miners', r.minerId)}>{r.assetCode ?? '–'}</a>],
  [k('sheet.serial'), (r) => (r.serial ? <code>{r.serial}</code> : '–')],
  [k('common.model'), (r) => r.model ?? '–'],
  [k('relocation.departs'), (r) => r.departDate],
  [
    k('sheet.destination'),
    (r) =>
      r.toContainer
        ? place(r.toSite, r.toContainer, r.toRack, r.toSlot)
        : t('sheet.onArrival', { site: r.toSite }),
  ],
  [k('common.state'), (r) => label('moveState', r.state)],
  [
    k('sheet.phone'),
    (r) => <QrCode text={minerUrl(r.minerId)} size={88} what={r.assetCode ?? r.serial ?? ''} />,
  ],
];

/** One container's move sheet: slot → asset code / serial / model → destination, a QR per miner. */
export function MoveSheetView({ planId, containerId }: { planId: string; containerId: string }) {
  const sheet = usePoll<Sheet>(
    `/relocation/plans/${encodeURIComponent(planId)}/containers/${encodeURIComponent(containerId)}/sheet`,
  );
  const s = sheet.data;
  return (
    <div class="page move-sheet" data-testid={s ? 'move-sheet-ready' : undefined}>
      <style>{PRINT_CSS}</style>
      <p class="no-print">
        <a href={href('relocation')}>{t('sheet.back')}</a>{' '}
        <button type="button" data-action="print" onClick={() => print()}>
          {t('sheet.print')}
        </button>
      </p>
      <Problem error={sheet.error} />
      {!s && !sheet.error && <Loading what={t('what.sheet')} />}
      {s && (
        <>
          <h1>{t('sheet.title', { container: s.containerName })}</h1>
          <p>{t('sheet.subtitle', { plan: s.planName, site: s.fromSite ?? '–', n: s.rows.length })}</p>
          {s.rows.length === 0 ? (
            <p class="muted empty">{t('sheet.empty')}</p>
          ) : (
            <table class="cards" data-testid="move-sheet">
              <thead>
                <tr>
                  {SHEET_COLUMNS.map(([key]) => (
                    <th key={key}>{t(key)}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {s.rows.map((r) => (
                  <tr key={r.minerId} data-serial={r.serial ?? ''}>
                    {SHEET_COLUMNS.map(([key, cell]) => (
                      <td key={key} data-label={t(key)} class={key === k('sheet.phone') ? 'qr-cell' : ''}>
                        {cell(r)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </div>
  );
}
