import { useEffect, useState } from 'preact/hooks';
import { get } from './session.js';
import { type MinerDetail, minerName } from './shapes.js';

/**
 * Names for miners a reply refers to by internal id only (events, tickets, alerts of a miner not in
 * a slot): one `GET /miners/:id` per miner, remembered for the page's life. A stopgap until those
 * replies carry serial, model and slot themselves.
 */
const cache = new Map<string, Promise<string>>();

function nameOf(id: string): Promise<string> {
  let p = cache.get(id);
  if (!p) {
    p = get<MinerDetail>(`/miners/${encodeURIComponent(id)}`).then(minerName, () => '–');
    cache.set(id, p);
  }
  return p;
}

export function useMinerNames(ids: readonly (string | null | undefined)[]): Map<string, string> {
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const wanted = [...new Set(ids.filter((i): i is string => !!i))].sort();
  const key = wanted.join(',');
  useEffect(() => {
    let alive = true;
    void Promise.all(wanted.map(async (id) => [id, await nameOf(id)] as const)).then((pairs) => {
      if (alive) setNames(new Map(pairs));
    });
    return () => {
      alive = false;
    };
    // `key` stands for `wanted`, which is a new array on each render.
  }, [key]);
  return names;
}
