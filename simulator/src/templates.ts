import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Recorded real replies (simulator/recorded/, provenance in its SOURCES.md). Replies are built
 * by cloning these documents and overwriting values, so key names, key order and the
 * number-vs-string type of every field come from the real firmware, not from our parsers.
 */
const recordedDir = fileURLToPath(new URL('../recorded/', import.meta.url));
const cache = new Map<string, unknown>();

/** Raw bytes of a recorded reply, as text. */
export function recordedText(file: string): string {
  return readFileSync(recordedDir + file, 'latin1');
}

/** The recorded reply parsed, with the `}{` and NUL quirks undone so it can serve as a template. */
export function recordedJson(file: string): unknown {
  let doc = cache.get(file);
  if (doc === undefined) {
    const text = recordedText(file).replace(/\0+$/, '').replace(/}{/g, '},{').trim();
    doc = JSON.parse(text);
    cache.set(file, doc);
  }
  return doc;
}

/** A fresh deep copy of a recorded reply, to be filled with simulated values. */
export function template<T = Record<string, unknown>>(file: string): T {
  return structuredClone(recordedJson(file)) as T;
}

export const recordedPath = (file: string): string => recordedDir + file;
