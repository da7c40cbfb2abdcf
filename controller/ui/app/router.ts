import { useEffect, useState } from 'preact/hooks';

/** Hash routes (`#/containers/c1`): the controller serves one page, and links survive reloads. */
export type Route =
  | { view: 'overview' }
  | { view: 'container'; containerId: string | null; minerId: string | null }
  | { view: 'miner'; minerId: string }
  | { view: 'alerts' }
  | { view: 'tickets' }
  | { view: 'relocation' }
  | { view: 'moveSheet'; planId: string; containerId: string }
  | { view: 'accounting' }
  | { view: 'operations' }
  | { view: 'approvals' }
  | { view: 'audit' }
  | { view: 'alertRules' }
  | { view: 'pools' }
  | { view: 'tokens' }
  | { view: 'staker'; stakerId: string | null };

const PATTERNS: [RegExp, (m: string[]) => Route][] = [
  [/^\/?$/, () => ({ view: 'overview' })],
  [/^\/overview$/, () => ({ view: 'overview' })],
  [/^\/containers$/, () => ({ view: 'container', containerId: null, minerId: null })],
  [/^\/containers\/([^/]+)$/, (m) => ({ view: 'container', containerId: m[1]!, minerId: null })],
  [
    /^\/containers\/([^/]+)\/miners\/([^/]+)$/,
    (m) => ({ view: 'container', containerId: m[1]!, minerId: m[2]! }),
  ],
  [/^\/miners\/([^/]+)$/, (m) => ({ view: 'miner', minerId: m[1]! })],
  [/^\/alerts$/, () => ({ view: 'alerts' })],
  [/^\/tickets$/, () => ({ view: 'tickets' })],
  [/^\/relocation$/, () => ({ view: 'relocation' })],
  [
    /^\/relocation\/([^/]+)\/sheet\/([^/]+)$/,
    (m) => ({ view: 'moveSheet', planId: m[1]!, containerId: m[2]! }),
  ],
  [/^\/accounting$/, () => ({ view: 'accounting' })],
  [/^\/operations$/, () => ({ view: 'operations' })],
  [/^\/approvals$/, () => ({ view: 'approvals' })],
  [/^\/audit$/, () => ({ view: 'audit' })],
  [/^\/alert-rules$/, () => ({ view: 'alertRules' })],
  [/^\/pools$/, () => ({ view: 'pools' })],
  [/^\/tokens$/, () => ({ view: 'tokens' })],
  [/^\/staker$/, () => ({ view: 'staker', stakerId: null })],
  [/^\/stakers\/([^/]+)$/, (m) => ({ view: 'staker', stakerId: m[1]! })],
];

export function parseRoute(hash: string): Route {
  const path = decodeURIComponent(hash.replace(/^#/, ''));
  for (const [re, make] of PATTERNS) {
    const m = re.exec(path);
    if (m) return make([...m]);
  }
  return { view: 'overview' };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function href(...parts: string[]): string {
  return '#/' + parts.map(encodeURIComponent).join('/');
}
