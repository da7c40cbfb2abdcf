import { useEffect, useState } from 'preact/hooks';
import { intlLocale, t } from '../../i18n.js';
import { get, put } from '../../session.js';
import { Field, FormProblems, useSave } from './fields.js';
import {
  factsBody,
  factsDraft,
  MONTHS,
  type SalvageRow,
  type SiteFactsDraft,
  type StoredFacts,
  validateFacts,
} from './relocation-site-draft.js';
import { type FieldErrors, hasErrors } from './rules.js';

/** What GET /sites gives that this form reads: the name and the billing tariff (month x hour). */
interface SiteRow {
  id: string;
  name: string;
  tariff: { currency: string; perKwh: number[][] } | null;
}

const monthName = (i: number) =>
  new Intl.DateTimeFormat(intlLocale().tag, { month: 'short', timeZone: 'UTC' }).format(Date.UTC(2001, i, 1));

/** A field's words, so the summary under the form names each wrong field. */
function fieldLabel(name: string): string {
  const [series, index, part] = name.split('.');
  const i = Number(index);
  if (series === 'ambientC') return t('form.meanTempMonth', { month: monthName(i) });
  if (series === 'tariffUsdPerKwh') return t('form.tariffMonth', { month: monthName(i) });
  if (series === 'ambientSource') return t('form.ambientSource');
  if (series === 'tariffSource') return t('form.tariffSource');
  if (part === 'model') return t('form.salvageModelRow', { n: i + 1 });
  return t('form.salvageUsdRow', { n: i + 1 });
}

/**
 * A site's planning facts on the relocation screen (issue 18 item 6): the repair-centre flag, the
 * monthly mean temperatures and the monthly planning tariff (Sichuan's wet season May-October
 * against the dry season), each series with its source or all blank, and the salvage a retired
 * miner of each model fetches there; saved with `PUT /relocation/sites/:id`
 * (controller/src/relocation/site-routes.ts), which audits it. Every plan from inventory takes them.
 * The months are a table of three narrow columns, so the form fits a phone.
 *
 * Long because a form is mostly markup: every field with its label and its error in one place;
 * its checks live in the draft module beside it.
 */
export function SiteFactsForm({ onSaved }: { onSaved: (message: string) => void }) {
  const [sites, setSites] = useState<SiteRow[] | null>(null);
  const [stored, setStored] = useState<StoredFacts[]>([]);
  const [draft, setDraft] = useState<SiteFactsDraft | null>(null);
  const { shown, busy, failure, setFailure, save } = useSave();
  useEffect(() => {
    Promise.all([get<SiteRow[]>('/sites'), get<StoredFacts[]>('/relocation/sites')])
      .then(([s, f]) => {
        setSites(s);
        setStored(f);
        if (s[0])
          setDraft(
            factsDraft(
              s[0].id,
              f.find((x) => x.siteId === s[0]!.id),
            ),
          );
      })
      .catch((err) => setFailure(err instanceof Error ? err.message : String(err)));
  }, []);
  if (!sites || !draft) return failure ? <p class="error">{failure}</p> : null;
  const errors: FieldErrors = validateFacts(draft);
  const err = (name: string) => (shown ? errors[name] : undefined);
  const set = (patch: Partial<SiteFactsDraft>) => setDraft({ ...draft, ...patch });
  const value = (e: Event) => (e.target as HTMLInputElement).value;
  const setMonth = (series: 'ambientC' | 'tariffUsdPerKwh', i: number, v: string) =>
    set({ [series]: draft[series].map((x, j) => (j === i ? v : x)) });
  const setSalvage = (i: number, patch: Partial<SalvageRow>) =>
    set({ salvage: draft.salvage.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  const site = sites.find((s) => s.id === draft.siteId)!;
  const billing = (i: number) => {
    const hours = site.tariff?.perKwh[i];
    if (!hours || site.tariff?.currency !== 'USD') return '';
    return (hours.reduce((a, b) => a + b, 0) / hours.length).toFixed(4);
  };
  const submit = (e: Event) =>
    save(e, errors, async () => {
      const saved = await put<StoredFacts>(
        `/relocation/sites/${encodeURIComponent(draft.siteId)}`,
        factsBody(draft),
      );
      setStored([...stored.filter((x) => x.siteId !== saved.siteId), saved]);
      onSaved(t('relocation.factsSaved', { site: site.name }));
    });
  const cell = (series: 'ambientC' | 'tariffUsdPerKwh', i: number, label: string, placeholder = '') => {
    const error = err(`${series}.${i}`);
    return (
      <td class={error ? 'field invalid' : undefined}>
        <input
          name={`${series}.${i}`}
          aria-label={label}
          inputMode="decimal"
          size={6}
          placeholder={placeholder}
          value={draft[series][i]}
          onInput={(e) => setMonth(series, i, value(e))}
        />
        {error && (
          <span class="field-error" role="alert" data-testid="field-error">
            {t(error.key, error.values)}
          </span>
        )}
      </td>
    );
  };
  const wrong = shown ? Object.keys(errors) : [];
  return (
    <form class="editor" data-testid="site-facts-form" onSubmit={submit} noValidate>
      <p class="muted">{t('relocation.factsHint')}</p>
      <div class="editor-row">
        <Field label={t('common.site')}>
          <select
            name="site"
            value={draft.siteId}
            onChange={(e) => {
              const id = (e.target as HTMLSelectElement).value;
              setDraft(
                factsDraft(
                  id,
                  stored.find((x) => x.siteId === id),
                ),
              );
            }}
          >
            {sites.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('form.repairSite')}>
          <input
            name="repairCentre"
            type="checkbox"
            checked={draft.repairCentre}
            onChange={(e) => set({ repairCentre: (e.target as HTMLInputElement).checked })}
          />
        </Field>
      </div>
      <p class="muted">{t('relocation.monthsHint')}</p>
      <table class="months" data-testid="site-months">
        <thead>
          <tr>
            <th>{t('form.monthColumn')}</th>
            <th>{t('form.meanTempC')}</th>
            <th>{t('form.tariffUsdPerKwh')}</th>
          </tr>
        </thead>
        <tbody>
          {Array.from({ length: MONTHS }, (_, i) => (
            <tr key={i}>
              <th scope="row">{monthName(i)}</th>
              {cell('ambientC', i, t('form.meanTempMonth', { month: monthName(i) }))}
              {cell('tariffUsdPerKwh', i, t('form.tariffMonth', { month: monthName(i) }), billing(i))}
            </tr>
          ))}
        </tbody>
      </table>
      <div class="editor-row">
        {(
          [
            ['ambientSource', t('form.ambientSource')],
            ['tariffSource', t('form.tariffSource')],
          ] as const
        ).map(([key, text]) => (
          <Field key={key} label={text} error={err(key)}>
            <input name={key} value={draft[key]} onInput={(e) => set({ [key]: value(e) })} />
          </Field>
        ))}
      </div>
      <h3>{t('form.salvage')}</h3>
      <p class="muted">{t('relocation.salvageHint')}</p>
      {draft.salvage.map((r, i) => (
        <div class="editor-row" key={i} data-salvage={i}>
          <Field label={t('common.model')} error={err(`salvage.${i}.model`)}>
            <input
              name={`salvage.${i}.model`}
              value={r.model}
              onInput={(e) => setSalvage(i, { model: value(e) })}
            />
          </Field>
          <Field label={t('form.salvageUsd')} error={err(`salvage.${i}.usd`)}>
            <input
              name={`salvage.${i}.usd`}
              inputMode="decimal"
              value={r.usd}
              onInput={(e) => setSalvage(i, { usd: value(e) })}
            />
          </Field>
          <button type="button" onClick={() => set({ salvage: draft.salvage.filter((_, j) => j !== i) })}>
            {t('form.remove')}
          </button>
        </div>
      ))}
      <button
        type="button"
        name="addSalvage"
        onClick={() => set({ salvage: [...draft.salvage, { model: '', usd: '' }] })}
      >
        {t('form.addSalvage')}
      </button>
      <FormProblems invalid={shown && hasErrors(errors)} failure={failure} />
      {wrong.length > 0 && (
        <p class="error" data-testid="wrong-fields">
          {t('form.wrongFields', { fields: wrong.map(fieldLabel).join('; ') })}
        </p>
      )}
      <button type="submit" disabled={busy}>
        {t('relocation.saveFacts')}
      </button>
    </form>
  );
}
