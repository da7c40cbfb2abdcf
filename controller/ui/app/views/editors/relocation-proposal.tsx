import { useEffect, useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { get, post } from '../../session.js';
import type { SiteRollup } from '../../shapes.js';
import { Field, FormProblems, useSave } from './fields.js';
import {
  assumptionsOf,
  type Draft,
  nextMonth,
  type RouteRow,
  route,
  type SiteRow,
  siteRow,
  validateDraft,
} from './relocation-draft.js';
import type { StoredFacts } from './relocation-site-draft.js';
import { hasErrors } from './rules.js';

/**
 * The relocation proposal as a form (issue 19 item 6): what inventory cannot know — the month to
 * start, the horizon, the market with its difficulty growth, the routes between sites and, for
 * this plan only, each site's power availability, whether it repairs (the stored flag to start
 * with) and a flat ambient (blank: the site's stored monthly figures, relocation-site-facts.tsx)
 * — each field checked where it is typed, then
 * `POST /relocation/plans { name, assumptions }` (controller/src/relocation/routes.ts).
 *
 * Long because a form is mostly markup: every field with its label and its error in one place,
 * the way the page reads from top to bottom; its checks live in the draft module beside it.
 */
export function RelocationProposalForm({ onProposed }: { onProposed: (message: string) => void }) {
  const [draft, setDraft] = useState<Draft | null>(null);
  const { shown, busy, failure, setFailure, save } = useSave();
  useEffect(() => {
    Promise.all([get<SiteRollup[]>('/sites'), get<StoredFacts[]>('/relocation/sites')])
      .then(([sites, facts]) => {
        const ids = sites.map((s) => s.id);
        setDraft({
          name: t('relocation.planName', { at: `${new Date().toISOString().slice(0, 16)}Z` }),
          start: nextMonth(),
          horizonMonths: '12',
          btcPriceUsd: '90000',
          hashpriceBtcPerPhDay: '0.0006',
          difficultyGrowthPct: '0',
          // Every ordered pair of sites, so any move the planner finds has its costs.
          routes: ids.flatMap((a) => ids.filter((b) => b !== a).map((b) => route(a, b))),
          sites: sites.map((s) =>
            siteRow(
              s,
              facts.find((f) => f.siteId === s.id),
            ),
          ),
        });
      })
      .catch((err) => setFailure(err instanceof Error ? err.message : String(err)));
  }, []);
  if (!draft) return failure ? <p class="error">{failure}</p> : null;
  const errors = validateDraft(draft);
  const err = (name: string) => (shown ? errors[name] : undefined);
  const set = (patch: Partial<Draft>) => setDraft({ ...draft, ...patch });
  const setRoute = (i: number, patch: Partial<RouteRow>) =>
    set({ routes: draft.routes.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  const setSite = (i: number, patch: Partial<SiteRow>) =>
    set({ sites: draft.sites.map((s, j) => (j === i ? { ...s, ...patch } : s)) });
  const submit = (e: Event) =>
    save(e, errors, async () => {
      await post('/relocation/plans', assumptionsOf(draft));
      onProposed(t('common.doneRefresh', { what: t('relocation.proposeWhat') }));
    });
  const siteName = (id: string) => draft.sites.find((s) => s.id === id)?.name ?? id;
  return (
    <form class="editor" data-testid="proposal-form" onSubmit={submit} noValidate>
      <p class="muted">{t('relocation.proposeHint')}</p>
      <div class="editor-row">
        <Field label={t('form.planName')} error={err('name')}>
          <input
            name="name"
            value={draft.name}
            onInput={(e) => set({ name: (e.target as HTMLInputElement).value })}
          />
        </Field>
        <Field label={t('form.startMonth')} error={err('start')}>
          <input
            name="start"
            type="month"
            value={draft.start}
            onInput={(e) => set({ start: (e.target as HTMLInputElement).value })}
          />
        </Field>
        {(
          [
            ['horizonMonths', t('form.horizonMonths'), 'numeric'],
            ['btcPriceUsd', t('form.btcPriceUsd'), 'decimal'],
            ['hashpriceBtcPerPhDay', t('form.hashprice'), 'decimal'],
            ['difficultyGrowthPct', t('form.difficultyGrowthPct'), 'decimal'],
          ] as const
        ).map(([key, text, mode]) => (
          <Field key={key} label={text} error={err(key)}>
            <input
              name={key}
              inputMode={mode}
              value={draft[key]}
              onInput={(e) => set({ [key]: (e.target as HTMLInputElement).value })}
            />
          </Field>
        ))}
      </div>
      <h3>{t('form.routes')}</h3>
      {draft.routes.map((r, i) => (
        <div class="editor-row" key={`${r.from}-${r.to}-${i}`} data-route={`${r.from}-${r.to}`}>
          <Field label={t('relocation.from')}>
            <span>{siteName(r.from)}</span>
          </Field>
          <Field label={t('relocation.to')} error={err(`routes.${i}.to`)}>
            <span>{siteName(r.to)}</span>
          </Field>
          {(
            [
              ['transitDays', t('form.transitDays')],
              ['costPerMinerUsd', t('form.costPerMinerUsd')],
              ['costPerContainerUsd', t('form.costPerContainerUsd')],
              ['customsPerMinerUsd', t('form.customsPerMinerUsd')],
            ] as const
          ).map(([key, text]) => (
            <Field key={key} label={text} error={err(`routes.${i}.${key}`)}>
              <input
                name={`routes.${i}.${key}`}
                inputMode="decimal"
                value={r[key]}
                onInput={(e) => setRoute(i, { [key]: (e.target as HTMLInputElement).value })}
              />
            </Field>
          ))}
        </div>
      ))}
      <h3>{t('form.sites')}</h3>
      {draft.sites.map((s, i) => (
        <div class="editor-row" key={s.id} data-site={s.id}>
          <Field label={t('common.site')}>
            <span>{s.name}</span>
          </Field>
          <Field label={t('form.repairSite')}>
            <input
              name={`sites.${i}.repairSite`}
              type="checkbox"
              checked={s.repairSite}
              onChange={(e) => setSite(i, { repairSite: (e.target as HTMLInputElement).checked })}
            />
          </Field>
          <Field label={t('form.ambientC')} error={err(`sites.${i}.ambientC`)}>
            <input
              name={`sites.${i}.ambientC`}
              inputMode="decimal"
              placeholder={t('form.storedMonthly')}
              value={s.ambientC}
              onInput={(e) => setSite(i, { ambientC: (e.target as HTMLInputElement).value })}
            />
          </Field>
          <Field label={t('form.availabilityPct')} error={err(`sites.${i}.availabilityPct`)}>
            <input
              name={`sites.${i}.availabilityPct`}
              inputMode="decimal"
              value={s.availabilityPct}
              onInput={(e) => setSite(i, { availabilityPct: (e.target as HTMLInputElement).value })}
            />
          </Field>
        </div>
      ))}
      <FormProblems invalid={shown && hasErrors(errors)} failure={failure} />
      <button type="submit" disabled={busy}>
        {t('relocation.propose')}
      </button>
    </form>
  );
}
