import { createHash, type Hash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * The canonical form hashed for a close: RFC 8785 (JSON Canonicalization Scheme) applied to the
 * value with bigints as decimal strings, since JSON has no integers beyond 2^53. RFC 8785 sorts
 * keys by UTF-16 code units and writes numbers and strings as ECMAScript's JSON.stringify does,
 * which is what the hand-written writer before it did (JSON.stringify of a key-sorted copy), so
 * the bytes of every close are unchanged (`accounting-canonical.test.ts` holds both to the same
 * bytes, and periods closed before still recompute to their stored hashes). Any language with an
 * RFC 8785 library can reproduce a hash; `tools/verify-payout.py` does it with the standard library.
 * Non-finite numbers and lone surrogates are refused rather than written.
 *
 * `CanonicalWriter` writes that text piece by piece into the SHA-256 as it goes (issue 15 item 3):
 * no copy of the value with bigints as strings, no string per nested value joined again by its
 * parent. A large array can be written by a `CanonicalPart` (e.g. a million payouts from compact
 * columns) without an object per element. `canonicalizeText` is the value-copying writer with the
 * `canonicalize` package, kept as the reference the tests hold this one to.
 */
export function jsonSafe(value: unknown, path = '$'): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${path}: ${value} has no canonical form`);
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => jsonSafe(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = jsonSafe(v, `${path}.${k}`);
    return out;
  }
  return value;
}

/** The reference writer: a JSON-safe copy of the value, then `canonicalize`. */
export function canonicalizeText(value: unknown): string {
  const text = canonicalize(jsonSafe(value));
  if (text === undefined) throw new Error('canonicalText: the value has no JSON form');
  return text;
}

/** A value that writes its own canonical text (e.g. an array kept as columns). */
export abstract class CanonicalPart {
  abstract writeTo(w: CanonicalWriter): void;
}

/** Thrown inside the writer; the caller reruns the reference writer for its message and path. */
const NO_FORM = new Error('no canonical form');
const SURROGATE = /[\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const FLUSH_AT = 1 << 16;

/** The JSON string literal of `s` as RFC 8785 writes it; throws inside a writer on a lone surrogate. */
export function quoted(s: string): string {
  if (SURROGATE.test(s) && LONE_SURROGATE.test(s)) throw NO_FORM;
  return JSON.stringify(s);
}

/** The text of a string, number, bigint or boolean (null is an object here and written by `scalar` too). */
function scalar(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return quoted(v);
    case 'number':
      if (!Number.isFinite(v)) throw NO_FORM;
      // JSON.stringify writes a finite number as ToString does (ECMA-262 SerializeJSONProperty).
      return `${v}`;
    case 'bigint':
      return `"${v}"`;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      if (v === null) return 'null';
      throw NO_FORM;
    default:
      throw NO_FORM;
  }
}

export class CanonicalWriter {
  private buf = '';
  private text = '';
  private readonly hash: Hash = createHash('sha256');
  /** Raw canonical text (the caller answers for it being canonical). */
  raw(s: string): void {
    this.buf += s;
    if (this.buf.length >= FLUSH_AT) this.flush();
  }

  /** A JSON string literal, refusing lone surrogates. */
  string(s: string): void {
    this.raw(quoted(s));
  }

  value(v: unknown): void {
    if (typeof v === 'object' && v !== null) this.compound(v);
    else this.raw(scalar(v));
  }

  private compound(v: object): void {
    if (v instanceof CanonicalPart) v.writeTo(this);
    else if (Array.isArray(v)) this.array(v);
    else this.object(v as Record<string, unknown>);
  }

  private array(a: readonly unknown[]): void {
    // Scalars are gathered into one string per array; nested values stream on their own.
    let s = '[';
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (i > 0) s += ',';
      if (typeof v === 'object' && v !== null) {
        this.raw(s);
        s = '';
        this.compound(v);
      } else s += v === undefined || typeof v === 'symbol' ? 'null' : scalar(v);
    }
    this.raw(`${s}]`);
  }

  /** The last object's keys, and its keys sorted and quoted, reused while objects share their keys. */
  private lastKeys: string[] = [];
  private lastSorted: string[] = [];
  private lastQuoted: string[] = [];

  private sortedKeys(o: Record<string, unknown>): string[] {
    const keys = Object.keys(o);
    const last = this.lastKeys;
    let same = keys.length === last.length;
    for (let i = 0; same && i < keys.length; i++) same = keys[i] === last[i];
    if (!same) {
      this.lastKeys = keys;
      this.lastSorted = [...keys].sort();
      this.lastQuoted = this.lastSorted.map(quoted);
    }
    return this.lastSorted;
  }

  private object(o: Record<string, unknown>): void {
    const keys = this.sortedKeys(o);
    const quotedKeys = this.lastQuoted;
    let s = '{';
    let first = true;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const v = o[k];
      // jsonSafe's copy assigns `__proto__` (a prototype, not a key), so it never reached the text.
      if (v === undefined || typeof v === 'symbol' || k === '__proto__') continue;
      s += first ? `${quotedKeys[i]}:` : `,${quotedKeys[i]}:`;
      first = false;
      if (typeof v === 'object' && v !== null) {
        this.raw(s);
        s = '';
        this.compound(v);
      } else s += scalar(v);
    }
    this.raw(`${s}}`);
  }

  private flush(): void {
    this.hash.update(this.buf, 'utf8');
    this.text += this.buf;
    this.buf = '';
  }

  finish(): { text: string; sha256: string } {
    this.flush();
    return { text: this.text, sha256: this.hash.digest('hex') };
  }
}

/** The canonical text of a value and its SHA-256, written in one pass. */
export function canonicalWithHash(value: unknown): { text: string; sha256: string } {
  const w = new CanonicalWriter();
  try {
    w.value(value);
  } catch (e) {
    // The reference writer names the path of what has no form (or says what it is).
    if (e === NO_FORM) canonicalizeText(value);
    throw e;
  }
  return w.finish();
}

export function canonicalText(value: unknown): string {
  return canonicalWithHash(value).text;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
