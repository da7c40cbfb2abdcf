import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { Loading, Problem } from '../components/bits.js';
import { Time } from '../components/time.js';
import { count, usd } from '../format.js';
import { k, t } from '../i18n.js';
import { label } from '../labels.js';
import type { Me } from '../roles.js';
import { get, post } from '../session.js';
import { minerName } from '../shapes.js';

/** One change waiting for a second person (controller/src/approvals/inbox.ts InboxItem). */
interface InboxItem {
  kind: 'command' | 'bulk' | 'relocation';
  id: string;
  op: string;
  title: string | null;
  requestedBy: string;
  requestedByRole: string | null;
  requestedAt: number;
  mine: boolean;
  canApprove: boolean;
  refusal: string | null;
  pool: { url: string; user: string } | null;
  miner: {
    minerId: string;
    serial: string | null;
    assetCode: string | null;
    model: string | null;
    containerId: string | null;
    rack: string | null;
    slot: string | null;
  } | null;
  scope: {
    containerId: string | null;
    siteId: string | null;
    model: string | null;
    miners: number;
    refused: number;
  } | null;
  plan: { moveCount: number; gainUsd: number } | null;
  expiresAt: number | null;
  approvePath: string;
  rejectPath: string;
}

const KIND: Record<InboxItem['kind'], string> = {
  command: k('approvals.kindCommand'),
  bulk: k('approvals.kindBulk'),
  relocation: k('approvals.kindRelocation'),
};

/** What the change would do, in words: the pool it points to and the miners it reaches, or the plan. */
function What({ item }: { item: InboxItem }) {
  const parts: ComponentChildren[] = [];
  if (item.pool) parts.push(t('approvals.pool', { url: item.pool.url, user: item.pool.user }));
  if (item.miner)
    parts.push(
      <a href={`#/miners/${encodeURIComponent(item.miner.minerId)}`}>
        {[minerName(item.miner), item.miner.serial].filter(Boolean).join(' · ')}
      </a>,
    );
  if (item.scope) {
    const where = item.scope.containerId ?? item.scope.siteId ?? item.scope.model ?? '';
    parts.push(
      t('approvals.scope', {
        where,
        miners: count(item.scope.miners - item.scope.refused),
        refused: count(item.scope.refused),
      }),
    );
  }
  if (item.plan)
    parts.push(t('approvals.plan', { moves: count(item.plan.moveCount), gain: usd(item.plan.gainUsd) }));
  return (
    <>
      {parts.map((p, i) => (
        <div key={i}>{p}</div>
      ))}
    </>
  );
}

/**
 * Everything waiting for a second person, with approve and reject in place. Approve is offered only
 * where the API would take it (never on one's own request); the requester may withdraw instead.
 */
export function ApprovalsView({ me }: { me: Me }) {
  const [items, setItems] = useState<InboxItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const load = useCallback(async () => {
    try {
      setItems(await get<InboxItem[]>('/approvals'));
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }, []);
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 5_000);
    return () => clearInterval(timer);
  }, [load]);
  const act = async (what: string, f: () => Promise<unknown>) => {
    setMessage(`${what}…`);
    try {
      await f();
      setMessage(t('common.done', { what }));
    } catch (err) {
      setMessage(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
    await load();
  };
  const name = (i: InboxItem) => i.title ?? i.op;
  return (
    <div class="page" data-testid={items ? 'approvals-ready' : undefined}>
      <h1>{t('nav.approvals')}</h1>
      <p class="muted">{t('approvals.hint', { who: me.name })}</p>
      <Problem error={error} />
      {message && (
        <p class="muted" data-testid="approvals-message">
          {message}
        </p>
      )}
      {!items ? (
        <Loading what={t('what.approvals')} />
      ) : items.length === 0 ? (
        <p class="muted empty" data-testid="approvals">
          {t('approvals.none')}
        </p>
      ) : (
        <table class="cards" data-testid="approvals">
          <thead>
            <tr>
              <th>{t('approvals.change')}</th>
              <th>{t('approvals.what')}</th>
              <th>{t('ops.requested')}</th>
              <th>{t('approvals.expires')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((i) => (
              <tr
                key={`${i.kind}:${i.id}`}
                data-kind={i.kind}
                data-title={name(i)}
                data-mine={String(i.mine)}
              >
                <td data-label={t('approvals.change')}>
                  <strong>{t(KIND[i.kind])}</strong> {i.kind === 'relocation' ? i.title : i.op}
                  {i.kind === 'bulk' && i.title ? ` ${i.title}` : ''}
                </td>
                <td data-label={t('approvals.what')}>
                  <What item={i} />
                </td>
                <td data-label={t('ops.requested')}>
                  <Time at={i.requestedAt} /> {t('common.byWho', { who: i.requestedBy })}
                  {i.requestedByRole ? ` (${label('role', i.requestedByRole)})` : ''}
                </td>
                <td data-label={t('approvals.expires')}>
                  <Time at={i.expiresAt} />
                </td>
                <td class="actions">
                  {i.canApprove ? (
                    <button
                      type="button"
                      data-action="approve"
                      onClick={() =>
                        act(t('approvals.approveWhat', { name: name(i) }), () => post(i.approvePath, {}))
                      }
                    >
                      {t('common.approve')}
                    </button>
                  ) : (
                    <span class="muted" data-testid="no-approve">
                      {i.mine ? t('approvals.yours') : t('approvals.notYourRole')}
                    </span>
                  )}{' '}
                  <input
                    name="reason"
                    aria-label={t('approvals.reason')}
                    placeholder={t('approvals.reason')}
                    value={reasons[i.id] ?? ''}
                    onInput={(e) => setReasons({ ...reasons, [i.id]: (e.target as HTMLInputElement).value })}
                  />{' '}
                  <button
                    type="button"
                    data-action="reject"
                    onClick={() =>
                      act(
                        i.mine
                          ? t('approvals.withdrawWhat', { name: name(i) })
                          : t('approvals.rejectWhat', { name: name(i) }),
                        () => post(i.rejectPath, { reason: reasons[i.id] ?? '' }),
                      )
                    }
                  >
                    {i.mine ? t('approvals.withdraw') : t('approvals.reject')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
