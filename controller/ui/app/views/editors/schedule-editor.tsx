import { useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { post } from '../../session.js';
import { usePoll } from '../../use-poll.js';
import { Field, FormProblems, useSave, WindowRows } from './fields.js';
import { hasErrors } from './rules.js';
import { emptySchedule, type ScheduleDraft, scheduleBody, validateSchedule } from './schedule-draft.js';

const value = (e: Event) => (e.target as HTMLInputElement | HTMLSelectElement).value;

/**
 * A new curtailment schedule (issue 19 item 6): which site (and container), when (site-local
 * windows, or while the tariff is above a price), what (sleep, or a power limit and the limit to
 * restore), and the ramp; each field's error beside it, then `POST /curtailment`
 * (controller/src/operations/curtailment/routes.ts).
 *
 * Long because a form is mostly markup: every field with its label and its error in one place,
 * the way the page reads from top to bottom; its checks live in the draft module beside it.
 */
export function ScheduleEditor({
  places,
  onSaved,
}: {
  places: { sites: { id: string; name?: string }[]; containers: { id: string; siteId?: string }[] };
  onSaved: (what: string) => void;
}) {
  const [draft, setDraft] = useState<ScheduleDraft | null>(null);
  const { shown, busy, failure, save: saveWith } = useSave();
  if (!draft)
    return (
      <button
        type="button"
        data-action="new-schedule"
        onClick={() => setDraft(emptySchedule(places.sites[0]?.id ?? ''))}
      >
        {t('form.newSchedule')}
      </button>
    );
  const errors = validateSchedule(draft);
  const err = (name: string) => (shown ? errors[name] : undefined);
  const set = (patch: Partial<ScheduleDraft>) => setDraft({ ...draft, ...patch });
  const save = (e: Event) =>
    saveWith(e, errors, async () => {
      await post('/curtailment', scheduleBody(draft));
      setDraft(null);
      onSaved(t('form.saveScheduleWhat', { name: draft.name.trim() }));
    });
  const containers = places.containers.filter((c) => !c.siteId || c.siteId === draft.siteId);
  return (
    <form class="editor actions-box" data-testid="schedule-editor" onSubmit={save} noValidate>
      <div class="editor-row">
        <Field label={t('ops.schedule')} error={err('name')}>
          <input name="name" value={draft.name} onInput={(e) => set({ name: value(e) })} />
        </Field>
        <Field label={t('common.site')} error={err('siteId')}>
          <select
            name="siteId"
            value={draft.siteId}
            onChange={(e) => set({ siteId: value(e), containerId: '' })}
          >
            {places.sites.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name ?? s.id}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('common.container')}>
          <select
            name="containerId"
            value={draft.containerId}
            onChange={(e) => set({ containerId: value(e) })}
          >
            <option value="">{t('common.all')}</option>
            {containers.map((c) => (
              <option key={c.id} value={c.id}>
                {c.id}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <div class="editor-row">
        <Field label={t('common.when')}>
          <select
            name="trigger"
            value={draft.trigger}
            onChange={(e) => set({ trigger: value(e) as ScheduleDraft['trigger'] })}
          >
            <option value="windows">{t('form.inWindows')}</option>
            <option value="tariff">{t('form.aboveTariff')}</option>
          </select>
        </Field>
        {draft.trigger === 'tariff' && (
          <Field label={t('form.abovePerKwh')} error={err('abovePerKwh')}>
            <input
              name="abovePerKwh"
              inputMode="decimal"
              value={draft.abovePerKwh}
              onInput={(e) => set({ abovePerKwh: value(e) })}
            />
          </Field>
        )}
        <Field label={t('ops.does')}>
          <select
            name="action"
            value={draft.action}
            onChange={(e) => set({ action: value(e) as ScheduleDraft['action'] })}
          >
            <option value="sleep">{t('action.sleep')}</option>
            <option value="power">{t('form.kindPower')}</option>
          </select>
        </Field>
        {draft.action === 'power' && (
          <>
            <Field label={t('form.powerTargetW')} error={err('watts')}>
              <input
                name="watts"
                inputMode="numeric"
                value={draft.watts}
                onInput={(e) => set({ watts: value(e) })}
              />
            </Field>
            <Field label={t('form.restoreWatts')} error={err('restoreWatts')}>
              <input
                name="restoreWatts"
                inputMode="numeric"
                value={draft.restoreWatts}
                onInput={(e) => set({ restoreWatts: value(e) })}
              />
            </Field>
          </>
        )}
        <Field label={t('form.stepSize')} error={err('stepSize')}>
          <input
            name="stepSize"
            inputMode="numeric"
            value={draft.stepSize}
            onInput={(e) => set({ stepSize: value(e) })}
          />
        </Field>
        <Field label={t('form.stepEveryS')} error={err('stepEveryS')}>
          <input
            name="stepEveryS"
            inputMode="numeric"
            value={draft.stepEveryS}
            onInput={(e) => set({ stepEveryS: value(e) })}
          />
        </Field>
      </div>
      {draft.trigger === 'windows' && (
        <>
          {err('windows') && <p class="field-error">{t(errors['windows']!.key)}</p>}
          <WindowRows
            name="windows"
            windows={draft.windows}
            err={err}
            onChange={(windows) => set({ windows })}
          />
        </>
      )}
      <FormProblems invalid={shown && hasErrors(errors)} failure={failure} />
      <div>
        <button type="submit" disabled={busy}>
          {t('form.saveSchedule')}
        </button>{' '}
        <button type="button" onClick={() => setDraft(null)}>
          {t('common.close')}
        </button>
      </div>
    </form>
  );
}

/** The schedule form's place in the Operations view, with the sites and containers to choose from. */
export function ScheduleEditorSection({ onSaved }: { onSaved: (what: string) => void }) {
  const sites = usePoll<{ id: string; name?: string }[]>('/sites', 0);
  const containers = usePoll<{ id: string; siteId?: string }[]>('/containers', 0);
  if (!sites.data || !containers.data) return null;
  return (
    <div data-testid="schedule-editors">
      <ScheduleEditor places={{ sites: sites.data, containers: containers.data }} onSaved={onSaved} />
    </div>
  );
}
