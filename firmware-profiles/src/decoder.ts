import { decodeText } from './text-format.js';
import type { DecodedReply } from './types.js';

/**
 * The one tolerant decoder for cgminer-family replies (docs/style.md §7). Strict JSON first; only when
 * that fails does the repairing scanner run, and every repair it makes is named in `repairs` so
 * the fleet can see which firmware sends broken bodies. Never throws.
 *
 * Repairs and the firmware that needs each (evidence in testcases/, see README):
 * - `nul-terminator`: cgminer's send_result writes strlen+1 bytes (all cgminer-family daemons).
 * - `missing-comma-}{`: bmminer/Bitmain cgminer 4.9 `stats` glue `}{` (S9, L3+, Z9, Z11, DR5, VNish S9).
 * - `trailing-comma`: `,}` / `,]` from btminer and Avalon CGI JSONP.
 * - `leading-comma`: `[,{` from bmminer, and a body starting with `,` (Avalon garbage `,"id":1}`).
 * - `bare-nan`: unquoted `nan`/`inf` from cgminer's unguarded `MHS av` division (Avalon A1047 capture).
 * - `quoted-nan`: `"nan"`/`"inf"` string values where a number belongs (Avalon, pyasic edit 7).
 * - `invalid-escape`: `\'` in btminer's `Firmware Version` (Whatsminer M3X).
 * - `control-char-in-string`: raw newlines inside strings (btminer, Avalon setpool Msg).
 * - `trailing-garbage`: bytes after the complete document (Antminer S9k `version` ends `}"}`).
 * - `truncated`: a reply cut short by cgminer's 50 ms send window is closed at its last complete value.
 * - `jsonp`: Avalon web CGIs wrap JSON in `callback(...)`.
 * - `text-format`: `KEY=VALUE,...|` replies to text requests (Avalon, any cgminer).
 */
export function decodeReply(raw: string): DecodedReply {
  const limit = overLimits(raw);
  if (limit) return { value: null, repairs: [], error: limit };
  const d = decode(raw);
  if (d.value !== null && typeof d.value !== 'object') {
    return {
      value: null,
      repairs: d.repairs,
      error: `not a JSON object or array: ${JSON.stringify(d.value).slice(0, 16)}`,
    };
  }
  return d;
}

/**
 * Limits a reply must keep before it is parsed, so a hostile or broken miner costs bounded memory
 * and stack: the largest recorded reply in testcases/ is well under 100 KiB, and no cgminer-family
 * reply nests deeper than a handful of levels (STATS > object > array). Deeper or larger is refused
 * with a clear error instead of a RangeError from the parser or the repairing scanner.
 */
export const REPLY_LIMITS = { maxChars: 4 * 1024 * 1024, maxDepth: 64 } as const;

/** Why `raw` is over REPLY_LIMITS (size, or nesting depth with its offset), or null. */
function overLimits(raw: string): string | null {
  if (raw.length > REPLY_LIMITS.maxChars) {
    return `reply too large: ${raw.length} characters over the limit of ${REPLY_LIMITS.maxChars}`;
  }
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \\ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > REPLY_LIMITS.maxDepth) {
        return `reply nested deeper than ${REPLY_LIMITS.maxDepth} levels (at character ${i})`;
      }
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth = Math.max(0, depth - 1);
  }
  return null;
}

function decode(raw: string): DecodedReply {
  const repairs: string[] = [];
  let text = raw;
  if (text.includes('\0')) {
    text = text.replace(/\0+$/, '');
    if (text.includes('\0')) text = text.replaceAll('\0', '');
    repairs.push('nul-terminator');
  }
  text = text.trim();
  if (text === '') return { value: null, repairs, error: 'empty reply' };

  const first = text[0];
  if (first !== '{' && first !== '[') {
    const jsonp = /^[A-Za-z_$][\w$]*\s*\(/.exec(text);
    if (jsonp) {
      repairs.push('jsonp');
      return repairJson(text.slice(jsonp[0].length), repairs, true);
    }
    if (first === ',') {
      repairs.push('leading-comma');
      text = `{${text.slice(1)}`;
    } else if (text.includes('=')) {
      repairs.push('text-format');
      return { value: decodeText(text), repairs, error: null };
    } else {
      return {
        value: null,
        repairs,
        error: `not JSON or cgminer text: starts with ${JSON.stringify(text.slice(0, 16))}`,
      };
    }
  }

  try {
    return { value: fixQuotedNan(JSON.parse(text), text, repairs), repairs, error: null };
  } catch {
    return repairJson(text, repairs, false);
  }
}

function repairJson(text: string, repairs: string[], quietTail: boolean): DecodedReply {
  const scanned = scan(text);
  for (const r of scanned.repairs) if (!(quietTail && r === 'trailing-garbage')) repairs.push(r);
  try {
    return { value: fixQuotedNan(JSON.parse(scanned.text), scanned.text, repairs), repairs, error: null };
  } catch (e) {
    return { value: null, repairs, error: `invalid JSON after repairs: ${(e as Error).message}` };
  }
}

const VALID_ESCAPE = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't', 'u']);
const NON_FINITE = /^(-?(nan|inf|infinity))$/i;
const QUOTED_NON_FINITE = /"-?(nan|inf|infinity)"/i;

/** Inside a string only quotes, backslashes and control characters need a look. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: raw control characters are what JSON forbids in strings; finding them is the point
const STRING_SPECIAL = /["\\\x00-\x1f]/g;
/** Outside strings only structure, string starts and bare words (true/false/null/nan/inf) do. */
const STRUCTURAL = /[{}[\],"A-Za-z]/g;
const WORD = /[A-Za-z]+/y;

/**
 * One pass over the body that tracks strings and nesting and rewrites only what strict JSON
 * rejects. Stops at the end of the first complete top-level value. Ordinary runs of characters
 * are copied as slices, so a repair costs a few times a JSON.parse, not a character loop.
 */
function scan(input: string): { text: string; repairs: string[] } {
  const fired = new Set<string>();
  const out: string[] = [];
  const stack: string[] = [];
  let i = 0;
  let inString = false;
  let lastSignificant = '';
  let done = false;

  const copyTo = (end: number) => {
    if (end <= i) return;
    const chunk = input.slice(i, end);
    out.push(chunk);
    const t = chunk.trimEnd();
    if (!inString && t !== '') lastSignificant = t[t.length - 1]!;
    i = end;
  };

  while (i < input.length) {
    if (inString) {
      STRING_SPECIAL.lastIndex = i;
      const m = STRING_SPECIAL.exec(input);
      if (!m) {
        copyTo(input.length);
        break;
      }
      copyTo(m.index);
      const c = m[0];
      if (c === '"') {
        out.push(c);
        inString = false;
        lastSignificant = '"';
        i += 1;
      } else if (c === '\\') {
        const next = input[i + 1];
        if (next !== undefined && VALID_ESCAPE.has(next)) {
          out.push(c, next);
          i += 2;
        } else {
          fired.add('invalid-escape');
          i += 1;
        }
      } else {
        fired.add('control-char-in-string');
        out.push(`\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
        i += 1;
      }
      continue;
    }
    STRUCTURAL.lastIndex = i;
    const m = STRUCTURAL.exec(input);
    if (!m) {
      copyTo(input.length);
      break;
    }
    copyTo(m.index);
    const c = m[0];
    if (c === '"') {
      inString = true;
      out.push(c);
      i += 1;
    } else if (c === '{' || c === '[') {
      if (lastSignificant === '}' || lastSignificant === ']') {
        fired.add('missing-comma-}{');
        out.push(',');
      }
      stack.push(c);
      out.push(c);
      lastSignificant = c;
      i += 1;
    } else if (c === '}' || c === ']') {
      if (lastSignificant === ',') {
        fired.add('trailing-comma');
        dropLastComma(out);
      }
      stack.pop();
      out.push(c);
      lastSignificant = c;
      i += 1;
      if (stack.length === 0) {
        done = true;
        break;
      }
    } else if (c === ',') {
      if (lastSignificant === '[' || lastSignificant === '{' || lastSignificant === ',') {
        fired.add('leading-comma');
      } else {
        out.push(c);
        lastSignificant = c;
      }
      i += 1;
    } else {
      WORD.lastIndex = i;
      const word = WORD.exec(input)![0];
      if (NON_FINITE.test(word)) {
        fired.add('bare-nan');
        // `-inf`: the sign was already copied with the preceding run.
        const last = out[out.length - 1];
        if (last?.trimEnd().endsWith('-')) out[out.length - 1] = last.trimEnd().slice(0, -1);
        out.push('null');
        lastSignificant = 'l';
      } else {
        out.push(word);
        lastSignificant = word[word.length - 1]!;
      }
      i += word.length;
    }
  }

  if (done) {
    if (input.slice(i).trim() !== '') fired.add('trailing-garbage');
  } else if (stack.length > 0) {
    fired.add('truncated');
    closeTruncated(out, stack, inString);
  }
  return { text: out.join(''), repairs: [...fired] };
}

function dropLastComma(out: string[]): void {
  for (let j = out.length - 1; j >= 0; j--) {
    if (out[j] === ',') {
      out.splice(j, 1);
      return;
    }
    if (out[j]!.trim() !== '') return;
  }
}

/** Cuts a truncated body back to its last complete member and closes every open bracket. */
function closeTruncated(out: string[], stack: string[], inString: boolean): void {
  let text = out.join('');
  if (inString) text += '"';
  // Drop a dangling `"key"` / `"key":` / `,` so the closers land after a complete value.
  text = text.replace(/\s+$/, '');
  text = text.replace(/,\s*"(?:[^"\\]|\\.)*"\s*:?\s*$/, '');
  text = text.replace(/[,:]\s*$/, (m) => (m.startsWith(':') ? ':null' : ''));
  const closers = stack
    .slice()
    .reverse()
    .map((b) => (b === '{' ? '}' : ']'))
    .join('');
  out.length = 0;
  out.push(text + closers);
}

/** `"nan"`/`"inf"` are valid JSON strings but mean "no number" where a figure belongs. */
function fixQuotedNan(value: unknown, text: string, repairs: string[]): unknown {
  if (!QUOTED_NON_FINITE.test(text)) return value;
  let fired = false;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (NON_FINITE.test(v)) {
        fired = true;
        return null;
      }
      return v;
    }
    if (Array.isArray(v)) {
      for (let k = 0; k < v.length; k++) v[k] = walk(v[k]);
      return v;
    }
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) o[k] = walk(o[k]);
      return o;
    }
    return v;
  };
  const out = walk(value);
  if (fired) repairs.push('quoted-nan');
  return out;
}

/**
 * Splits a multi-command reply (`summary+pools` -> `{"summary":[{full reply}],"pools":[..],"id":1}`)
 * into one reply per command; null when the value is not a multi-command reply.
 */
export function splitMultiCommand(value: unknown): Record<string, unknown> | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const o = value as Record<string, unknown>;
  if ('STATUS' in o) return null;
  const parts: Record<string, unknown> = {};
  let count = 0;
  for (const [k, v] of Object.entries(o)) {
    if (k === 'id') continue;
    // Each part is a complete reply, so it has its own STATUS; a bare `SUMMARY,...` text reply does not.
    if (
      !Array.isArray(v) ||
      v.length !== 1 ||
      v[0] === null ||
      typeof v[0] !== 'object' ||
      !('STATUS' in v[0])
    ) {
      return null;
    }
    parts[k] = v[0];
    count++;
  }
  return count > 0 ? parts : null;
}
