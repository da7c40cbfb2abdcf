import { useEffect, useState } from 'preact/hooks';
import { get } from './session.js';

export interface Polled<T> {
  data: T | null;
  error: string | null;
  /** Wall-clock time of the last successful fetch. */
  at: number | null;
}

/**
 * GETs `path` now and then every `everyMs` while the component is mounted (live views). A failed
 * refresh keeps the last data and shows the error beside it: a blip never blanks the screen.
 */
export function usePoll<T>(path: string | null, everyMs = 0): Polled<T> {
  const [state, setState] = useState<Polled<T>>({ data: null, error: null, at: null });
  useEffect(() => {
    if (path === null) return;
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState({ data: null, error: null, at: null });
    const tick = async () => {
      try {
        const data = await get<T>(path);
        if (alive) setState({ data, error: null, at: Date.now() });
      } catch (err) {
        if (alive) setState((s) => ({ ...s, error: err instanceof Error ? err.message : String(err) }));
      }
      if (alive && everyMs > 0) timer = setTimeout(tick, everyMs);
    };
    void tick();
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [path, everyMs]);
  return state;
}
