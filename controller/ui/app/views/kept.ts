import { useRef } from 'preact/hooks';

/**
 * The last value that was not null: a list that reloads after an entry (usePoll gives null while it
 * fetches again) stays on screen meanwhile, and a form built on it is not remade and keeps its line
 * saying what was done.
 */
export function useKept<T>(value: T | null): T | null {
  const kept = useRef<T | null>(null);
  if (value !== null) kept.current = value;
  return kept.current;
}
