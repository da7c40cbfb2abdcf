import { Time } from '../../components/time.js';
import { btc } from '../../format.js';
import { t } from '../../i18n.js';
import { post } from '../../session.js';
import {
  type CostDraft,
  type CreditDraft,
  costBody,
  creditBody,
  emptyCost,
  emptyCredit,
  emptyStake,
  type StakeDraft,
  stakeBody,
  validateCost,
  validateCredit,
  validateStake,
} from './accounting-draft.js';
import { EntryForm } from './entry-form.js';
import { Field } from './fields.js';

/**
 * The Accounting screen's entry forms (issue 19 item 6): a pool credit (`POST /credits`), another
 * cost (`POST /costs`) and a stake entry (`POST /stakes`), each with its errors beside its fields
 * and a preview of the entry before it is stored. None of these waits for a second person in the
 * API: each is recorded at once, audited, and corrected by a later entry.
 */
const value = (e: Event) => (e.target as HTMLInputElement | HTMLSelectElement).value;
type Named = { id: string; name: string };

export function CreditForm({ periodId, onDone }: { periodId: string; onDone: () => void }) {
  return (
    <EntryForm<CreditDraft>
      testid="credit-form"
      title={t('acctForm.credit')}
      initial={() => emptyCredit(periodId)}
      validate={validateCredit}
      fields={(d, set, err) => (
        <>
          <Field label={t('accounting.period')} error={err('periodId')}>
            <input name="periodId" value={d.periodId} onInput={(e) => set({ periodId: value(e) })} />
          </Field>
          <Field label={t('acctForm.pool')} error={err('pool')}>
            <input name="pool" value={d.pool} onInput={(e) => set({ pool: value(e) })} />
          </Field>
          <Field label={t('acctForm.reference')} error={err('reference')}>
            <input name="reference" value={d.reference} onInput={(e) => set({ reference: value(e) })} />
          </Field>
          <Field label={t('acctForm.amountBtc')} error={err('amountBtc')}>
            <input
              name="amountBtc"
              inputMode="decimal"
              value={d.amountBtc}
              onInput={(e) => set({ amountBtc: value(e) })}
            />
          </Field>
        </>
      )}
      preview={(d) => {
        const b = creditBody(d);
        return t('acctForm.creditPreview', {
          period: b.periodId,
          pool: b.pool,
          reference: b.reference,
          amount: btc(b.amountSats),
          sats: b.amountSats,
        });
      }}
      submitLabel={t('acctForm.recordCredit')}
      submit={async (d) => {
        const b = creditBody(d);
        await post('/credits', b);
        return t('acctForm.creditWhat', { pool: b.pool, period: b.periodId });
      }}
      onDone={onDone}
    />
  );
}

export function CostForm({ periodId, onDone }: { periodId: string; onDone: () => void }) {
  return (
    <EntryForm<CostDraft>
      testid="cost-form"
      title={t('acctForm.cost')}
      initial={() => emptyCost(periodId)}
      validate={validateCost}
      fields={(d, set, err) => (
        <>
          <Field label={t('accounting.period')} error={err('periodId')}>
            <input name="periodId" value={d.periodId} onInput={(e) => set({ periodId: value(e) })} />
          </Field>
          <Field label={t('acctForm.description')} error={err('description')}>
            <input name="description" value={d.description} onInput={(e) => set({ description: value(e) })} />
          </Field>
          <Field label={t('acctForm.currency')} error={err('currency')}>
            <input
              name="currency"
              size={5}
              value={d.currency}
              onInput={(e) => set({ currency: value(e).toUpperCase() })}
            />
          </Field>
          <Field label={t('acctForm.amount')} error={err('amount')}>
            <input
              name="amount"
              inputMode="decimal"
              value={d.amount}
              onInput={(e) => set({ amount: value(e) })}
            />
          </Field>
        </>
      )}
      preview={(d) => {
        const b = costBody(d);
        return 'amountSats' in b
          ? t('acctForm.costPreviewBtc', {
              period: b.periodId,
              description: b.description,
              amount: btc(b.amountSats),
            })
          : t('acctForm.costPreview', {
              period: b.periodId,
              description: b.description,
              amount: `${b.amount} ${b.currency}`,
            });
      }}
      submitLabel={t('acctForm.recordCost')}
      submit={async (d) => {
        const b = costBody(d);
        await post('/costs', b);
        return t('acctForm.costWhat', { description: b.description, period: b.periodId });
      }}
      onDone={onDone}
    />
  );
}

export function StakeForm({
  stakers,
  nodes,
  holding,
  onDone,
}: {
  stakers: Named[];
  nodes: Named[];
  /** The HSS the staker's last entry in the node gave, if any. */
  holding: (stakerId: string, nodeId: string) => string | null;
  onDone: () => void;
}) {
  const nameOf = (list: Named[], id: string) => list.find((x) => x.id === id)?.name ?? id;
  return (
    <EntryForm<StakeDraft>
      testid="stake-form"
      title={t('acctForm.stake')}
      initial={emptyStake}
      validate={validateStake}
      fields={(d, set, err) => (
        <>
          <Field label={t('accounting.staker')} error={err('stakerId')}>
            <select name="stakerId" value={d.stakerId} onChange={(e) => set({ stakerId: value(e) })}>
              <option value="">{t('acctForm.choose')}</option>
              {stakers.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('accounting.node')} error={err('nodeId')}>
            <select name="nodeId" value={d.nodeId} onChange={(e) => set({ nodeId: value(e) })}>
              <option value="">{t('acctForm.choose')}</option>
              {nodes.map((n) => (
                <option key={n.id} value={n.id}>
                  {n.name}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('acctForm.holdsHss')} error={err('amountHss')}>
            <input
              name="amountHss"
              inputMode="decimal"
              value={d.amountHss}
              onInput={(e) => set({ amountHss: value(e) })}
            />
          </Field>
          <Field label={t('acctForm.effectiveAt')} error={err('effectiveAt')}>
            <input
              name="effectiveAt"
              type="datetime-local"
              value={d.effectiveAt}
              onInput={(e) => set({ effectiveAt: value(e) })}
            />
          </Field>
        </>
      )}
      preview={(d) => {
        const b = stakeBody(d);
        const before = holding(d.stakerId, d.nodeId);
        return (
          <>
            {t('acctForm.stakePreview', {
              staker: nameOf(stakers, b.stakerId),
              node: nameOf(nodes, b.nodeId),
              amount: b.amountHss,
            })}{' '}
            <Time at={b.effectiveAt} />
            {'. '}
            {before === null ? t('acctForm.firstEntry') : t('acctForm.lastEntry', { amount: before })}
          </>
        );
      }}
      submitLabel={t('acctForm.recordStake')}
      submit={async (d) => {
        const b = stakeBody(d);
        await post('/stakes', b);
        return t('acctForm.stakeWhat', { staker: nameOf(stakers, b.stakerId) });
      }}
      onDone={onDone}
    />
  );
}
