import { useState } from 'preact/hooks';
import { Loading, Problem } from '../components/bits.js';
import { t } from '../i18n.js';
import { LABELLED, label } from '../labels.js';
import { post, put } from '../session.js';
import { usePoll } from '../use-poll.js';
import { Field } from './editors/fields.js';
import {
  type RuleDraft,
  ruleBody,
  ruleDraftOf,
  type StoredRule,
  validateRule,
} from './editors/rule-draft.js';
import { hasErrors } from './editors/rules.js';

const value = (e: Event) => (e.target as HTMLInputElement | HTMLSelectElement).value;
const SCOPES = ['global', 'site', 'container', 'model'] as const;

/**
 * Alert rules on screen (issue 19 item 6): every rule by kind and scope with its figures, and a
 * form to change one or add one (`PUT`/`POST /alert-rules`, controller/src/alerts/routes.ts), each
 * field's error beside it; the API's own refusal (a clear line on the wrong side) shows under the form.
 */
export function AlertRulesView() {
  const [version, setVersion] = useState(0);
  const rules = usePoll<StoredRule[]>(`/alert-rules${version ? `?v=${version}` : ''}`, 0);
  const [editing, setEditing] = useState<{ rule: StoredRule | null } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  return (
    <div class="page" data-testid={rules.data ? 'alert-rules-ready' : undefined}>
      <h1>{t('nav.alertRules')}</h1>
      <Problem error={rules.error} />
      {message && (
        <p class="muted" data-testid="rules-message">
          {message}
        </p>
      )}
      <button type="button" data-action="new-rule" onClick={() => setEditing({ rule: null })}>
        {t('form.newRule')}
      </button>
      {editing && (
        <RuleEditor
          key={editing.rule?.id ?? 'new'}
          rule={editing.rule}
          onSaved={(what) => {
            setEditing(null);
            setMessage(t('common.done', { what }));
            setVersion(version + 1);
          }}
          onClose={() => setEditing(null)}
        />
      )}
      {!rules.data ? (
        <Loading what={t('what.alertRules')} />
      ) : (
        <table class="cards" data-testid="alert-rules">
          <thead>
            <tr>
              <th>{t('audit.kind')}</th>
              <th>{t('form.scope')}</th>
              <th>{t('form.severity')}</th>
              <th>{t('form.enabled')}</th>
              <th class="num">{t('form.threshold')}</th>
              <th class="num">{t('form.clearThreshold')}</th>
              <th class="num">{t('form.forPolls')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rules.data.map((r) => (
              <tr key={r.id} data-kind={r.kind} data-scope={`${r.scope}:${r.scopeId ?? ''}`}>
                <td data-label={t('audit.kind')}>{label('alertKind', r.kind)}</td>
                <td data-label={t('form.scope')}>
                  {label('ruleScope', r.scope)}
                  {r.scopeId ? ` ${r.scopeId}` : ''}
                </td>
                <td data-label={t('form.severity')}>{label('severity', r.severity)}</td>
                <td data-label={t('form.enabled')}>{r.enabled ? t('common.yes') : t('form.no')}</td>
                <td class="num" data-label={t('form.threshold')}>
                  {r.threshold ?? '–'}
                </td>
                <td class="num" data-label={t('form.clearThreshold')}>
                  {r.clearThreshold ?? '–'}
                </td>
                <td class="num" data-label={t('form.forPolls')}>
                  {r.forPolls}
                </td>
                <td>
                  <button type="button" data-action="edit-rule" onClick={() => setEditing({ rule: r })}>
                    {t('form.edit')}
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

function RuleEditor({
  rule,
  onSaved,
  onClose,
}: {
  rule: StoredRule | null;
  onSaved: (what: string) => void;
  onClose: () => void;
}) {
  const [draft, setDraft] = useState<RuleDraft>(() => ruleDraftOf(rule));
  const [shown, setShown] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const errors = validateRule(draft);
  const err = (name: string) => (shown ? errors[name] : undefined);
  const set = (patch: Partial<RuleDraft>) => setDraft({ ...draft, ...patch });
  const save = async (e: Event) => {
    e.preventDefault();
    setShown(true);
    if (hasErrors(errors)) return;
    setBusy(true);
    setFailure(null);
    try {
      const body = ruleBody(draft, rule);
      if (rule) await put(`/alert-rules/${encodeURIComponent(rule.id)}`, body);
      else await post('/alert-rules', body);
      onSaved(t('form.saveRuleWhat', { kind: label('alertKind', draft.kind) }));
    } catch (err) {
      setFailure(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const numeric = (name: 'threshold' | 'clearThreshold' | 'forPolls' | 'clearPolls', text: string) => (
    <Field label={text} error={err(name)}>
      <input
        name={name}
        inputMode="decimal"
        placeholder={t('form.kindDefault')}
        value={draft[name]}
        onInput={(e) => set({ [name]: value(e) })}
      />
    </Field>
  );
  return (
    <form class="editor actions-box" data-testid="rule-editor" onSubmit={save} noValidate>
      <div class="editor-row">
        <Field label={t('audit.kind')}>
          <select
            name="kind"
            value={draft.kind}
            disabled={rule !== null}
            onChange={(e) => set({ kind: value(e) })}
          >
            {LABELLED.alertKind.map((kind) => (
              <option key={kind} value={kind}>
                {label('alertKind', kind)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('form.scope')}>
          <select
            name="scope"
            value={draft.scope}
            disabled={rule !== null}
            onChange={(e) => set({ scope: value(e) as RuleDraft['scope'] })}
          >
            {SCOPES.map((s) => (
              <option key={s} value={s}>
                {label('ruleScope', s)}
              </option>
            ))}
          </select>
        </Field>
        {draft.scope !== 'global' && (
          <Field label={t('form.scopeId')} error={err('scopeId')}>
            <input
              name="scopeId"
              value={draft.scopeId}
              readOnly={rule !== null}
              onInput={(e) => set({ scopeId: value(e) })}
            />
          </Field>
        )}
        <Field label={t('form.severity')}>
          <select name="severity" value={draft.severity} onChange={(e) => set({ severity: value(e) })}>
            {LABELLED.severity.map((s) => (
              <option key={s} value={s}>
                {label('severity', s)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('form.enabled')}>
          <input
            name="enabled"
            type="checkbox"
            checked={draft.enabled}
            onChange={(e) => set({ enabled: (e.target as HTMLInputElement).checked })}
          />
        </Field>
      </div>
      <div class="editor-row">
        {numeric('threshold', t('form.threshold'))}
        {numeric('clearThreshold', t('form.clearThreshold'))}
        {numeric('forPolls', t('form.forPolls'))}
        {numeric('clearPolls', t('form.clearPolls'))}
      </div>
      {shown && hasErrors(errors) && (
        <p class="error" role="alert" data-testid="form-invalid">
          {t('form.fix')}
        </p>
      )}
      {failure && (
        <p class="error" role="alert" data-testid="form-failure">
          {failure}
        </p>
      )}
      <div>
        <button type="submit" disabled={busy}>
          {t('form.saveRule')}
        </button>{' '}
        <button type="button" onClick={onClose}>
          {t('common.close')}
        </button>
      </div>
    </form>
  );
}
