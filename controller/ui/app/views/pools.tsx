import { useState } from 'preact/hooks';
import { Loading, Problem, Section } from '../components/bits.js';
import { Time } from '../components/time.js';
import { t } from '../i18n.js';
import { del, post, put } from '../session.js';
import { usePoll } from '../use-poll.js';
import { Field } from './editors/fields.js';
import { allowlistBody, patternError, poolError } from './editors/pool-draft.js';
import type { StoredRule } from './editors/rule-draft.js';
import type { FieldError } from './editors/rules.js';

type Site = { id: string; name: string };
type Pattern = { siteId: string; pattern: string; createdAt: number; createdBy: string | null };

/** Who wrote the config's rows (controller/src/alerts/config-sites.ts). */
const CONFIG = 'config';

/**
 * Pool allowlists and known-good worker patterns per site (issue 19 item 6). The allowlist is the
 * site's `pool_not_allowed` alert rule; the config's `alerts.sites` sets it (and its patterns) at
 * each start, and a change here is stored, audited and judged from the next alert tick. Operators
 * and admins, as the API allows.
 */
export function PoolsView() {
  const [version, setVersion] = useState(0);
  const v = version ? `?v=${version}` : '';
  const sites = usePoll<Site[]>('/sites');
  const rules = usePoll<StoredRule[]>(`/alert-rules${v}`);
  const patterns = usePoll<Pattern[]>(`/alerts/known-worker-patterns${v}`);
  const [message, setMessage] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const ready = sites.data && rules.data && patterns.data;
  const act = async (run: () => Promise<unknown>, what: string) => {
    setFailure(null);
    try {
      await run();
      setMessage(t('common.done', { what }));
      setVersion((n) => n + 1);
    } catch (x) {
      setFailure(x instanceof Error ? x.message : String(x));
    }
  };
  return (
    <div class="page" data-testid={ready ? 'pools-ready' : undefined}>
      <h1>{t('nav.pools')}</h1>
      <p class="muted">{t('pools.intro')}</p>
      <Problem error={sites.error ?? rules.error ?? patterns.error ?? failure} />
      {message && (
        <p class="muted" data-testid="pools-message">
          {message}
        </p>
      )}
      {!ready ? (
        <Loading what={t('nav.pools')} />
      ) : (
        sites.data!.map((site) => {
          const rule =
            rules.data!.find(
              (r) => r.kind === 'pool_not_allowed' && r.scope === 'site' && r.scopeId === site.id,
            ) ?? null;
          const pools = ((rule?.params?.['allowedPools'] as string[] | undefined) ?? []).slice();
          const setPools = (next: string[], what: string) =>
            act(
              () =>
                rule
                  ? put(`/alert-rules/${encodeURIComponent(rule.id)}`, allowlistBody(rule, site.id, next))
                  : post('/alert-rules', allowlistBody(null, site.id, next)),
              what,
            );
          const mine = patterns.data!.filter((p) => p.siteId === site.id);
          return (
            <Section key={site.id} title={site.name}>
              <div data-testid="site-pools" data-site={site.id}>
                <h3>{t('pools.allowed')}</h3>
                <p class="muted">
                  {!rule || pools.length === 0
                    ? t('pools.noList')
                    : rule.updatedBy === CONFIG
                      ? t('pools.fromConfig')
                      : t('pools.changedBy', { who: rule.updatedBy ?? '–' })}
                </p>
                <ul class="plain-list" data-testid="allowed-pools">
                  {pools.map((p) => (
                    <li key={p} data-pool={p}>
                      <code>{p}</code>{' '}
                      <button
                        type="button"
                        data-action="remove-pool"
                        onClick={() =>
                          setPools(
                            pools.filter((x) => x !== p),
                            t('pools.removeWhat', { what: p, site: site.name }),
                          )
                        }
                      >
                        {t('form.remove')}
                      </button>
                    </li>
                  ))}
                </ul>
                <AddOne
                  name="pool"
                  label={t('pools.pool')}
                  hint={t('pools.poolHint')}
                  check={(text) => poolError(text, pools)}
                  button={t('pools.addPool')}
                  onAdd={(text) =>
                    setPools([...pools, text], t('pools.addWhat', { what: text, site: site.name }))
                  }
                />
                <h3>{t('pools.patterns')}</h3>
                <ul class="plain-list" data-testid="worker-patterns">
                  {mine.map((p) => (
                    <li key={p.pattern} data-pattern={p.pattern}>
                      <code>{p.pattern}</code>{' '}
                      <span class="muted">
                        {p.createdBy === CONFIG
                          ? t('pools.patternConfig')
                          : t('common.byWho', { who: p.createdBy ?? '–' })}{' '}
                        <Time at={p.createdAt} />
                      </span>{' '}
                      <button
                        type="button"
                        data-action="remove-pattern"
                        onClick={() =>
                          act(
                            () =>
                              del(
                                `/alerts/known-worker-patterns?siteId=${encodeURIComponent(site.id)}&pattern=${encodeURIComponent(p.pattern)}`,
                              ),
                            t('pools.removeWhat', { what: p.pattern, site: site.name }),
                          )
                        }
                      >
                        {t('form.remove')}
                      </button>
                    </li>
                  ))}
                  {mine.length === 0 && <li class="muted">{t('pools.noPatterns')}</li>}
                </ul>
                <AddOne
                  name="pattern"
                  label={t('pools.pattern')}
                  hint={t('pools.patternHint')}
                  check={(text) =>
                    patternError(
                      text,
                      mine.map((p) => p.pattern),
                    )
                  }
                  button={t('pools.addPattern')}
                  onAdd={(text) =>
                    act(
                      () => post('/alerts/known-worker-patterns', { siteId: site.id, pattern: text }),
                      t('pools.addWhat', { what: text, site: site.name }),
                    )
                  }
                />
              </div>
            </Section>
          );
        })
      )}
    </div>
  );
}

/** One text field and its Add button, its error beside it once tried. */
function AddOne({
  name,
  label,
  hint,
  check,
  button,
  onAdd,
}: {
  name: string;
  label: string;
  hint: string;
  check: (text: string) => FieldError | undefined;
  button: string;
  onAdd: (text: string) => Promise<void>;
}) {
  const [text, setText] = useState('');
  const [shown, setShown] = useState(false);
  const error = check(text);
  const add = async (e: Event) => {
    e.preventDefault();
    setShown(true);
    if (error) return;
    await onAdd(text.trim());
    setText('');
    setShown(false);
  };
  return (
    <form class="editor-row" data-testid={`add-${name}`} onSubmit={add} noValidate>
      <Field label={label} error={shown ? error : undefined}>
        <input
          name={name}
          placeholder={hint}
          value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
        />
      </Field>
      <button type="submit">{button}</button>
    </form>
  );
}
