import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { href } from '../router.js';
import { get } from '../session.js';
import { type MinerPage, type MinerSummary, minerName } from '../shapes.js';

const LIMIT = 8;
/** Wait this long after the last key before asking, so typing a serial sends one request, not ten. */
const DEBOUNCE_MS = 200;

/**
 * Finds miners as you type through `GET /miners?q=`, which matches serial, internal id and the
 * identities the agents reported (IP, MAC) by substring; a result opens the miner in its container.
 */
export function Search() {
  const [text, setText] = useState('');
  const [hits, setHits] = useState<MinerPage<MinerSummary> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  const asked = useRef(0);
  useEffect(() => {
    const q = text.trim();
    if (q.length < 2) {
      setHits(null);
      return;
    }
    const n = ++asked.current;
    const timer = setTimeout(() => {
      get<MinerPage<MinerSummary>>(`/miners?q=${encodeURIComponent(q)}&limit=${LIMIT}`)
        .then((page) => {
          // An answer to an older query that arrives late must not replace the newer one.
          if (n === asked.current) {
            setHits(page);
            setError(null);
          }
        })
        .catch(
          (err: unknown) => n === asked.current && setError(err instanceof Error ? err.message : String(err)),
        );
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text]);
  useEffect(() => {
    const close = () => setOpen(false);
    addEventListener('hashchange', close);
    return () => removeEventListener('hashchange', close);
  }, []);
  return (
    <div class="search" data-testid="search">
      <input
        type="search"
        name="search"
        placeholder={t('search.placeholder')}
        aria-label={t('search.label')}
        value={text}
        autocomplete="off"
        onInput={(e) => {
          setText(e.currentTarget.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
      />
      {open && (hits || error) && (
        <div class="search-results" data-testid="search-results">
          {error && <p class="error">{error}</p>}
          {hits && hits.miners.length === 0 && <p class="muted">{t('search.none')}</p>}
          {hits && (
            <ul>
              {hits.miners.map((m) => (
                <li key={m.id}>
                  <a
                    href={
                      m.containerId ? href('containers', m.containerId, 'miners', m.id) : href('miners', m.id)
                    }
                    data-miner={m.id}
                  >
                    <strong>{minerName(m)}</strong>{' '}
                    <span class="muted">
                      {m.model ?? ''} · {m.serial ?? t('miner.noSerial')} · {t(`minerStatus.${m.status}`)}
                    </span>
                  </a>
                </li>
              ))}
            </ul>
          )}
          {hits && hits.total > hits.miners.length && (
            <p class="muted">{t('search.more', { count: hits.total - hits.miners.length })}</p>
          )}
        </div>
      )}
    </div>
  );
}
