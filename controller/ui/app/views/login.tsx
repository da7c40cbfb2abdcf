import { useState } from 'preact/hooks';
import { t } from '../i18n.js';
import type { Me } from '../roles.js';
import { get, saveToken } from '../session.js';

/** Paste a token (printed by `npm start`, or made with the controller CLI); /me says who it is. */
export function Login({ onLogin }: { onLogin: (me: Me) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const t = token.trim();
    try {
      const me = await get<Me>('/me', t);
      saveToken(t);
      onLogin(me);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <form class="login" onSubmit={submit}>
      <h1>hashfleet</h1>
      <label>
        {t('login.token')}
        <input
          name="token"
          type="password"
          autocomplete="off"
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          placeholder={t('login.paste')}
        />
      </label>
      <button type="submit" disabled={token.trim() === ''}>
        {t('login.submit')}
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p class="muted">{t('login.hint')}</p>
    </form>
  );
}
