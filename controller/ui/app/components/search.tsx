import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { label } from '../labels.js';
import { href } from '../router.js';
import { get } from '../session.js';
import {
  type ContainerDetail,
  type ContainerSummary,
  type MinerPage,
  type MinerSummary,
  minerName,
} from '../shapes.js';
import { containerMatches, parseSlotQuery, type SlotQuery, sameNumber } from '../slot-query.js';

const LIMIT = 8;
/** Wait this long after the last key before asking, so typing a serial sends one request, not ten. */
const DEBOUNCE_MS = 200;

/** At most this many containers' grids are read to resolve a slot typed without its container. */
const SLOT_CONTAINERS = 6;

interface SlotHit {
  containerId: string;
  containerName: string;
  rack: string;
  slot: string;
  minerId: string | null;
  model: string | null;
  serial: string | null;
  state: string | null;
}

/** The slots a slot query names, read from the containers' grids (`GET /containers/:id`). */
async function slotHits(q: SlotQuery): Promise<SlotHit[]> {
  const containers = (await get<ContainerSummary[]>('/containers')).filter((c) => containerMatches(q, c));
  const details = await Promise.all(
    containers
      .slice(0, SLOT_CONTAINERS)
      .map((c) => get<ContainerDetail>(`/containers/${encodeURIComponent(c.id)}`)),
  );
  return details.flatMap((c) =>
    c.racks
      .filter((r) => sameNumber(r.rack, q.rack))
      .flatMap((r) =>
        r.slots
          .filter((s) => sameNumber(s.slot, q.slot))
          .map((s) => ({
            containerId: c.id,
            containerName: c.name,
            rack: r.rack,
            slot: s.slot,
            minerId: s.minerId,
            model: s.model,
            serial: s.serial ?? null,
            state: s.online === false && s.minerId ? 'offline' : s.state,
          })),
      ),
  );
}

/**
 * Finds miners as you type: `GET /miners?q=` matches serial, internal id and the identities the
 * agents reported (IP, MAC) by substring; a slot (`R2/S09`, `kz-c2 2-9`) is looked up in the
 * containers' grids. A result opens the miner in its container.
 */
export function Search() {
  const [text, setText] = useState('');
  const [hits, setHits] = useState<MinerPage<MinerSummary> | null>(null);
  const [slots, setSlots] = useState<SlotHit[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [open, setOpen] = useState(false);
  const asked = useRef(0);
  useEffect(() => {
    const q = text.trim();
    if (q.length < 2) {
      setHits(null);
      setSlots([]);
      return;
    }
    const n = ++asked.current;
    const timer = setTimeout(() => {
      const slotQuery = parseSlotQuery(q);
      Promise.all([
        get<MinerPage<MinerSummary>>(`/miners?q=${encodeURIComponent(q)}&limit=${LIMIT}`),
        slotQuery ? slotHits(slotQuery) : Promise.resolve([]),
      ])
        .then(([page, found]) => {
          // An answer to an older query that arrives late must not replace the newer one.
          if (n === asked.current) {
            setHits(page);
            setSlots(found);
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
          {hits && hits.miners.length === 0 && slots.length === 0 && <p class="muted">{t('search.none')}</p>}
          {slots.length > 0 && (
            <ul data-testid="search-slots">
              {slots.map((s) => (
                <li key={`${s.containerId}/${s.rack}/${s.slot}`}>
                  <a
                    href={
                      s.minerId
                        ? href('containers', s.containerId, 'miners', s.minerId)
                        : href('containers', s.containerId)
                    }
                    data-miner={s.minerId ?? ''}
                  >
                    <strong>
                      {s.containerName} {s.rack}/{s.slot}
                    </strong>{' '}
                    <span class="muted">
                      {s.minerId
                        ? `${s.model ?? ''} · ${s.serial ?? t('miner.noSerial')} · ${label('minerState', s.state)}`
                        : t('grid.empty')}
                    </span>
                  </a>
                </li>
              ))}
            </ul>
          )}
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
