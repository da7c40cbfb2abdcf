import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DetectReplies, RawReplies } from '../src/types.js';

/** Loads the recorded-reply testcases: `testcases/<profile>/<version>_<model>/` (see README). */
export const TESTCASES = join(import.meta.dirname, '..', 'testcases');

export type Manifest = {
  /** Poll step key -> recorded reply file, handed to `parse`. */
  poll?: Record<string, string>;
  /** Detection inputs -> recorded reply file (or null), handed to `detectFirmware`. */
  detect?: Partial<Record<keyof DetectReplies, string | null>>;
  /** Further recorded replies checked through the decoder only (control replies, CGI pages). */
  decodeOnly?: string[];
};

export type Testcase = {
  profile: string;
  name: string;
  dir: string;
  manifest: Manifest;
  files: string[];
};

export function loadTestcases(): Testcase[] {
  const out: Testcase[] = [];
  for (const profile of readdirSync(TESTCASES).sort()) {
    const pdir = join(TESTCASES, profile);
    for (const name of readdirSync(pdir).sort()) {
      const dir = join(pdir, name);
      const manifest = JSON.parse(readFileSync(join(dir, 'replies.json'), 'utf8')) as Manifest;
      const files = [
        ...Object.values(manifest.poll ?? {}),
        ...Object.values(manifest.detect ?? {}).filter((f): f is string => !!f),
        ...(manifest.decodeOnly ?? []),
      ];
      out.push({ profile, name, dir, manifest, files: [...new Set(files)] });
    }
  }
  return out;
}

export const read = (tc: Testcase, file: string): string => readFileSync(join(tc.dir, file), 'utf8');

export function readJson<T>(tc: Testcase, file: string): T | undefined {
  const p = join(tc.dir, file);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as T) : undefined;
}

export function pollReplies(tc: Testcase): RawReplies {
  const raw: RawReplies = {};
  for (const [key, file] of Object.entries(tc.manifest.poll ?? {})) raw[key] = read(tc, file);
  return raw;
}

export function detectReplies(tc: Testcase): DetectReplies {
  const d = tc.manifest.detect ?? {};
  const get = (f: string | null | undefined) => (f ? read(tc, f) : null);
  return { version: get(d.version), devdetails: get(d.devdetails), deviceInfo: get(d.deviceInfo) };
}

/** Differences between `actual` and the (partial) `expected`, numbers within 1e-6. */
export function diff(actual: unknown, expected: unknown, path = ''): string[] {
  if (typeof expected === 'number' && typeof actual === 'number') {
    return Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected))
      ? []
      : [`${path}: ${actual} != ${expected}`];
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: not an array (${JSON.stringify(actual)})`];
    if (actual.length !== expected.length)
      return [`${path}: length ${actual.length} != ${expected.length} (${JSON.stringify(actual)})`];
    return expected.flatMap((e, i) => diff(actual[i], e, `${path}[${i}]`));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object')
      return [`${path}: ${JSON.stringify(actual)} is not an object`];
    return Object.entries(expected).flatMap(([k, e]) =>
      diff((actual as Record<string, unknown>)[k], e, `${path}.${k}`),
    );
  }
  return Object.is(actual, expected)
    ? []
    : [`${path}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`];
}
