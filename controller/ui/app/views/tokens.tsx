import { useState } from 'preact/hooks';
import { Loading, Problem, Section } from '../components/bits.js';
import { Table } from '../components/table.js';
import { Time } from '../components/time.js';
import { t } from '../i18n.js';
import type { Me } from '../roles.js';
import { del, post } from '../session.js';
import type { ContainerSummary } from '../shapes.js';
import { usePoll } from '../use-poll.js';
import { EntryForm } from './editors/entry-form.js';
import { Field } from './editors/fields.js';
import type { FieldError } from './editors/rules.js';
import {
  emptyToken,
  TOKEN_ROLES,
  type TokenDraft,
  type TokenRole,
  tokenBody,
  validateToken,
} from './editors/token-draft.js';
import { useKept } from './kept.js';

type Token = {
  id: string;
  name: string;
  role: string;
  stakerId: string | null;
  createdAt: number;
  revokedAt: number | null;
};
type Named = { id: string; name: string };

const value = (e: Event) => (e.target as HTMLInputElement | HTMLSelectElement).value;

/**
 * API tokens, which are the users (issue 19 item 6; `GET/POST/DELETE /tokens`,
 * controller/src/core/routes/tokens.ts, admin only): who holds one with which role, a form to make
 * one (a staker's for their staker, an agent's for the containers it speaks for) whose secret is
 * shown once, and revoke with a confirmation step. Tokens are named by their person, never by id.
 */
export function TokensView({ me }: { me: Me }) {
  const [version, setVersion] = useState(0);
  const tokens = { ...usePoll<Token[]>(`/tokens${version ? `?v=${version}` : ''}`) };
  // The list stays on screen while it reloads after a change, and the form with it.
  tokens.data = useKept(tokens.data);
  const stakers = usePoll<Named[]>('/stakers');
  const sites = usePoll<Named[]>('/sites');
  const containers = usePoll<ContainerSummary[]>('/containers');
  const [secret, setSecret] = useState<{ name: string; token: string } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const refresh = () => setVersion((n) => n + 1);
  const ready = tokens.data && stakers.data && sites.data && containers.data;
  const stakerName = (id: string | null) => (id ? (stakers.data?.find((s) => s.id === id)?.name ?? id) : '–');
  const siteName = (id: string) => sites.data?.find((s) => s.id === id)?.name ?? id;
  const revoke = async (tok: Token) => {
    setFailure(null);
    try {
      await del(`/tokens/${encodeURIComponent(tok.id)}`);
      setConfirming(null);
      setMessage(t('common.done', { what: t('tokens.revokeWhat', { name: tok.name }) }));
      refresh();
    } catch (x) {
      setFailure(x instanceof Error ? x.message : String(x));
    }
  };
  return (
    <div class="page" data-testid={ready ? 'tokens-ready' : undefined}>
      <h1>{t('nav.tokens')}</h1>
      <Problem error={tokens.error ?? stakers.error ?? sites.error ?? containers.error ?? failure} />
      {secret && <SecretOnce secret={secret} onSaved={() => setSecret(null)} />}
      {ready ? (
        <>
          <EntryForm<TokenDraft>
            testid="token-form"
            title={t('tokens.new')}
            initial={emptyToken}
            validate={validateToken}
            fields={(d, set, err) => (
              <>
                <Field label={t('tokens.name')} error={err('name')}>
                  <input name="name" value={d.name} onInput={(e) => set({ name: value(e) })} />
                </Field>
                <Field label={t('tokens.role')}>
                  <select name="role" value={d.role} onChange={(e) => set({ role: value(e) as TokenRole })}>
                    {TOKEN_ROLES.map((r) => (
                      <option key={r} value={r}>
                        {t(`role.${r}`)}
                      </option>
                    ))}
                  </select>
                </Field>
                {d.role === 'staker' && (
                  <Field label={t('accounting.staker')} error={err('stakerId')}>
                    <select name="stakerId" value={d.stakerId} onChange={(e) => set({ stakerId: value(e) })}>
                      <option value="">{t('acctForm.choose')}</option>
                      {stakers.data!.map((s) => (
                        <option key={s.id} value={s.id}>
                          {s.name}
                        </option>
                      ))}
                    </select>
                  </Field>
                )}
                {d.role === 'agent' && (
                  <PlacesField
                    places={d.places}
                    set={(places) => set({ places })}
                    error={err('places')}
                    containers={containers.data!}
                    siteName={siteName}
                  />
                )}
              </>
            )}
            preview={(d) =>
              d.role === 'staker'
                ? t('tokens.previewStaker', { name: d.name.trim(), staker: stakerName(d.stakerId) })
                : d.role === 'agent'
                  ? t('tokens.previewAgent', { name: d.name.trim(), count: d.places.length })
                  : t('tokens.preview', { name: d.name.trim(), role: t(`role.${d.role}`) })
            }
            submitLabel={t('tokens.create')}
            submit={async (d) => {
              const r = await post<{ token: string; name: string }>('/tokens', tokenBody(d));
              setSecret({ name: r.name, token: r.token });
              return t('tokens.createWhat', { name: r.name });
            }}
            onDone={refresh}
          />
          {message && (
            <p class="muted" data-testid="tokens-message">
              {message}
            </p>
          )}
          <Section title={t('tokens.list')}>
            <Table<Token>
              rows={tokens.data!}
              testid="tokens"
              empty={t('tokens.none')}
              columns={[
                { label: t('tokens.name'), cell: (tok) => tok.name },
                { label: t('tokens.role'), cell: (tok) => t(`role.${tok.role}`) },
                { label: t('accounting.staker'), cell: (tok) => stakerName(tok.stakerId) },
                { label: t('tokens.created'), cell: (tok) => <Time at={tok.createdAt} /> },
                {
                  label: t('common.state'),
                  cell: (tok) =>
                    tok.revokedAt !== null ? (
                      <span data-state="revoked">
                        {t('tokens.revoked')} <Time at={tok.revokedAt} />
                      </span>
                    ) : tok.name === me.name ? (
                      <span class="muted">{t('tokens.yours')}</span>
                    ) : confirming === tok.id ? (
                      <span data-name={tok.name}>
                        {t('tokens.sure', { name: tok.name })}{' '}
                        <button type="button" data-action="confirm-revoke" onClick={() => revoke(tok)}>
                          {t('tokens.revoke')}
                        </button>{' '}
                        <button type="button" onClick={() => setConfirming(null)}>
                          {t('common.cancel')}
                        </button>
                      </span>
                    ) : (
                      <button
                        type="button"
                        data-action="revoke"
                        data-name={tok.name}
                        onClick={() => setConfirming(tok.id)}
                      >
                        {t('tokens.revoke')}
                      </button>
                    ),
                },
              ]}
            />
          </Section>
        </>
      ) : (
        <Loading what={t('nav.tokens')} />
      )}
    </div>
  );
}

/** The containers an agent token speaks for, each by its site's and its own name. */
function PlacesField({
  places,
  set,
  error,
  containers,
  siteName,
}: {
  places: string[];
  set: (places: string[]) => void;
  error: FieldError | undefined;
  containers: ContainerSummary[];
  siteName: (id: string) => string;
}) {
  return (
    <fieldset class="places" data-testid="token-places">
      <legend>{t('tokens.places')}</legend>
      {containers.map((c) => {
        const place = `${c.siteId}/${c.id}`;
        return (
          <label key={place} class="check">
            <input
              type="checkbox"
              name="places"
              value={place}
              checked={places.includes(place)}
              onChange={(e) =>
                set(
                  (e.target as HTMLInputElement).checked
                    ? [...places, place]
                    : places.filter((p) => p !== place),
                )
              }
            />{' '}
            {siteName(c.siteId)} · {c.name}
          </label>
        );
      })}
      {error && (
        <span class="field-error" role="alert" data-testid="field-error">
          {t(error.key)}
        </span>
      )}
    </fieldset>
  );
}

/** A new token's secret, shown this once until its holder says it is saved. */
function SecretOnce({ secret, onSaved }: { secret: { name: string; token: string }; onSaved: () => void }) {
  return (
    <div class="actions-box" data-testid="token-secret">
      <p>{t('tokens.shownOnce', { name: secret.name })}</p>
      <p>
        <code class="secret">{secret.token}</code>
      </p>
      <button type="button" onClick={onSaved}>
        {t('tokens.saved')}
      </button>
    </div>
  );
}
