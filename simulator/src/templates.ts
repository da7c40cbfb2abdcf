import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Recorded real replies (simulator/recorded/, provenance in its SOURCES.md). Replies are built
 * by cloning these documents and overwriting values, so key names, key order and the
 * number-vs-string type of every field come from the real firmware, not from our parsers.
 */
const recordedDir = fileURLToPath(new URL('../recorded/', import.meta.url));
const cache = new Map<string, unknown>();
const textCache = new Map<string, string>();

/** Raw bytes of a recorded reply, as text. */
export function recordedText(file: string): string {
  return readFileSync(recordedDir + file, 'latin1');
}

/** The recorded reply as JSON text, with the `}{` and NUL quirks undone so it can serve as a template. */
function templateText(file: string): string {
  let text = textCache.get(file);
  if (text === undefined) {
    text = JSON.stringify(JSON.parse(recordedText(file).replace(/\0+$/, '').replace(/}{/g, '},{').trim()));
    textCache.set(file, text);
  }
  return text;
}

/** The recorded reply parsed (shared; do not modify). */
export function recordedJson(file: string): unknown {
  let doc = cache.get(file);
  if (doc === undefined) {
    doc = JSON.parse(templateText(file));
    cache.set(file, doc);
  }
  return doc;
}

/** A fresh deep copy of a recorded reply, to be filled with simulated values. */
export function template<T = Record<string, unknown>>(file: string): T {
  // JSON.parse of compact text is several times faster than structuredClone of the object.
  return JSON.parse(templateText(file)) as T;
}

export const recordedPath = (file: string): string => recordedDir + file;
