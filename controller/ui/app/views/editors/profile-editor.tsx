import { useState } from 'preact/hooks';
import { t } from '../../i18n.js';
import { put } from '../../session.js';
import { Field, FormProblems, useSave, WindowRows } from './fields.js';
import {
  draftOf,
  emptyPreset,
  FAN_MODES,
  POWER_MODES,
  type PresetKind,
  type PresetRow,
  type ProfileDraft,
  profileBody,
  type StoredProfile,
  validateProfile,
} from './profile-draft.js';
import { hasErrors } from './rules.js';

const value = (e: Event) => (e.target as HTMLInputElement | HTMLSelectElement).value;

/**
 * Creates or edits an operating profile (issue 19 item 6): per-model presets (a power target, a
 * vendor power mode with the power it should give, a fan mode), site-local sleep windows, the
 * verification tolerance and settle time; each field's error beside it, then
 * `PUT /operating-profiles/:name` (controller/src/operations/profiles/routes.ts).
 *
 * Long because a form is mostly markup: every field with its label and its error in one place,
 * the way the page reads from top to bottom; its checks live in the draft module beside it.
 */
export function ProfileEditor({
  profile,
  onSaved,
  onClose,
}: {
  profile: StoredProfile | null;
  /** Called with what was done, once the API took it. */
  onSaved: (what: string) => void;
  onClose: () => void;
}) {
  const [draft, setDraft] = useState<ProfileDraft>(() => draftOf(profile));
  const { shown, busy, failure, save: saveWith } = useSave();
  const errors = validateProfile(draft);
  const err = (name: string) => (shown ? errors[name] : undefined);
  const set = (patch: Partial<ProfileDraft>) => setDraft({ ...draft, ...patch });
  const setPreset = (i: number, patch: Partial<PresetRow>) =>
    set({ presets: draft.presets.map((p, j) => (j === i ? { ...p, ...patch } : p)) });
  const save = (e: Event) =>
    saveWith(e, errors, async () => {
      await put(`/operating-profiles/${encodeURIComponent(draft.name)}`, profileBody(draft));
      onSaved(t('form.saveProfileWhat', { name: draft.name }));
    });
  return (
    <form class="editor actions-box" data-testid="profile-editor" onSubmit={save} noValidate>
      <div class="editor-row">
        <Field label={t('ops.profile')} error={err('name')}>
          <input
            name="name"
            value={draft.name}
            readOnly={profile !== null}
            onInput={(e) => set({ name: value(e) })}
          />
        </Field>
        <Field label={t('ops.description')} error={err('description')}>
          <input
            name="description"
            value={draft.description}
            onInput={(e) => set({ description: value(e) })}
          />
        </Field>
        <Field label={t('form.tolerancePct')} error={err('tolerancePct')}>
          <input
            name="tolerancePct"
            inputMode="decimal"
            value={draft.tolerancePct}
            onInput={(e) => set({ tolerancePct: value(e) })}
          />
        </Field>
        <Field label={t('form.settleS')} error={err('settleS')}>
          <input
            name="settleS"
            inputMode="numeric"
            value={draft.settleS}
            onInput={(e) => set({ settleS: value(e) })}
          />
        </Field>
      </div>
      <h3>{t('ops.presets')}</h3>
      {err('presets') && <p class="field-error">{t(errors['presets']!.key)}</p>}
      {draft.presets.map((p, i) => (
        <div class="editor-row" key={i} data-preset={i}>
          <Field label={t('common.model')} error={err(`presets.${i}.model`)}>
            <input
              name={`presets.${i}.model`}
              value={p.model}
              onInput={(e) => setPreset(i, { model: value(e) })}
            />
          </Field>
          <Field label={t('form.presetKind')}>
            <select
              name={`presets.${i}.kind`}
              value={p.kind}
              onChange={(e) => setPreset(i, { kind: value(e) as PresetKind })}
            >
              <option value="power">{t('form.kindPower')}</option>
              <option value="mode">{t('form.kindMode')}</option>
              <option value="fan">{t('form.kindFan')}</option>
            </select>
          </Field>
          {p.kind === 'power' && (
            <Field label={t('form.powerTargetW')} error={err(`presets.${i}.powerTargetW`)}>
              <input
                name={`presets.${i}.powerTargetW`}
                inputMode="numeric"
                value={p.powerTargetW}
                onInput={(e) => setPreset(i, { powerTargetW: value(e) })}
              />
            </Field>
          )}
          {p.kind === 'mode' && (
            <>
              <Field label={t('form.powerMode')}>
                <select
                  name={`presets.${i}.powerMode`}
                  value={p.powerMode}
                  onChange={(e) => setPreset(i, { powerMode: value(e) })}
                >
                  {POWER_MODES.map((m) => (
                    <option key={m} value={m}>
                      {m}
                    </option>
                  ))}
                </select>
              </Field>
              <Field label={t('form.expectPowerW')} error={err(`presets.${i}.expectPowerW`)}>
                <input
                  name={`presets.${i}.expectPowerW`}
                  inputMode="numeric"
                  value={p.expectPowerW}
                  onInput={(e) => setPreset(i, { expectPowerW: value(e) })}
                />
              </Field>
            </>
          )}
          <Field label={t('form.fanMode')} error={err(`presets.${i}.fanMode`)}>
            <select
              name={`presets.${i}.fanMode`}
              value={p.fanMode}
              onChange={(e) => setPreset(i, { fanMode: value(e) })}
            >
              <option value="">{t('form.unchanged')}</option>
              {FAN_MODES.map((m) => (
                <option key={m} value={m}>
                  {m}
                </option>
              ))}
            </select>
          </Field>
          <button type="button" onClick={() => set({ presets: draft.presets.filter((_, j) => j !== i) })}>
            {t('form.remove')}
          </button>
        </div>
      ))}
      <button type="button" onClick={() => set({ presets: [...draft.presets, emptyPreset()] })}>
        {t('form.addPreset')}
      </button>
      <h3>{t('ops.sleeps')}</h3>
      <WindowRows
        name="sleepWindows"
        windows={draft.sleepWindows}
        err={err}
        onChange={(sleepWindows) => set({ sleepWindows })}
      />
      <FormProblems invalid={shown && hasErrors(errors)} failure={failure} />
      <div>
        <button type="submit" disabled={busy}>
          {t('form.saveProfile')}
        </button>{' '}
        <button type="button" onClick={onClose}>
          {t('common.close')}
        </button>
      </div>
    </form>
  );
}

/** The editor's place in the Operations view: pick a profile to edit, or start a new one. */
export function ProfileEditorSection({
  profiles,
  onSaved,
}: {
  profiles: StoredProfile[];
  onSaved: (what: string) => void;
}) {
  const [editing, setEditing] = useState<{ profile: StoredProfile | null } | null>(null);
  return (
    <div data-testid="profile-editors">
      <label>
        {t('form.edit')}{' '}
        <select
          name="editProfile"
          value=""
          onChange={(e) => {
            const name = value(e);
            const found = profiles.find((p) => p.name === name);
            if (found) setEditing({ profile: found });
          }}
        >
          <option value="">{t('ops.choose')}</option>
          {profiles.map((p) => (
            <option key={p.name} value={p.name}>
              {p.name}
            </option>
          ))}
        </select>
      </label>{' '}
      <button type="button" data-action="new-profile" onClick={() => setEditing({ profile: null })}>
        {t('form.newProfile')}
      </button>
      {editing && (
        <ProfileEditor
          key={editing.profile?.name ?? ''}
          profile={editing.profile}
          onSaved={(what) => {
            setEditing(null);
            onSaved(what);
          }}
          onClose={() => setEditing(null)}
        />
      )}
    </div>
  );
}
