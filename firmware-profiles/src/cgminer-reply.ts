import { z } from 'zod';
import { decodeReply, splitMultiCommand } from './decoder.js';
import type { FieldRow } from './reading.js';
import type { DecodedReply, RawReplies, RpcRequest } from './types.js';

/** One decoded reply object of the cgminer family (`{STATUS:[..], SUMMARY:[..], id}`). */
/** The cgminer-family API port (cgminer API-README). */
export const CGMINER_PORT = 4028;

/** A JSON request to the cgminer-family API on 4028, one command (or `+`-joined) per connection. */
export function rpcRequest(command: string, parameter?: string): RpcRequest {
  return {
    transport: 'rpc',
    port: CGMINER_PORT,
    command,
    format: 'json',
    ...(parameter === undefined ? {} : { parameter }),
  };
}

export type Reply = Record<string, unknown>;
export type Row = Record<string, unknown>;

/**
 * Lenient envelope: only checks that it is an object; sections are read field by field with the
 * converters below, so a firmware adding or retyping a field never rejects the whole reply.
 */
export const CgminerReplySchema = z.looseObject({
  STATUS: z
    .union([z.array(z.looseObject({ STATUS: z.string().optional() })), z.looseObject({}), z.string()])
    .optional(),
});

/** The schemas of a profile whose replies all come in the cgminer envelope: that schema for each key. */
export function cgminerSchemas(keys: readonly string[]): Record<string, z.ZodType> {
  return Object.fromEntries(keys.map((k) => [k, CgminerReplySchema]));
}

export type DecodedCycle = {
  /** Replies by command (multi-command replies are split into their commands), then by step key. */
  replies: Map<string, Reply>;
  /** `<step>:<repair>` for every decoder repair, `<step>:undecodable` when nothing was recovered. */
  repairs: string[];
};

/**
 * Decodes every raw reply of a cycle through the tolerant decoder and the step's lenient schema.
 * A reply whose STATUS is E or F (e.g. Code 45 access denied) counts as absent: its fields end
 * up null and named in `missing`. A body the caller already decoded (`ParseContext.decoded`) is
 * taken as decoded, not decoded twice.
 */
export function decodeCycle(
  raw: RawReplies,
  schemas: Record<string, z.ZodType>,
  already?: ReadonlyMap<string, DecodedReply>,
): DecodedCycle {
  const replies = new Map<string, Reply>();
  const repairs: string[] = [];
  for (const [step, body] of Object.entries(raw)) {
    if (body === null || body === undefined) continue;
    const decoded = already?.get(step) ?? decodeReply(body);
    for (const r of decoded.repairs) repairs.push(`${step}:${r}`);
    if (decoded.value === null) {
      repairs.push(`${step}:undecodable`);
      continue;
    }
    const parts = splitMultiCommand(decoded.value) ?? { [step]: decoded.value };
    for (const [command, value] of Object.entries(parts)) {
      const schema = schemas[command] ?? CgminerReplySchema;
      const checked = schema.safeParse(value);
      if (!checked.success || !isObject(checked.data)) {
        repairs.push(`${command}:unexpected-shape`);
        continue;
      }
      if (isErrorStatus(checked.data)) continue;
      replies.set(command, checked.data);
    }
  }
  return { replies, repairs };
}

export function isObject(v: unknown): v is Row {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function isErrorStatus(reply: Row): boolean {
  const s = reply['STATUS'];
  const letter = Array.isArray(s) && isObject(s[0]) ? s[0]['STATUS'] : typeof s === 'string' ? s : null;
  return letter === 'E' || letter === 'F' || letter === 'error';
}

/** The rows of a reply section (`SUMMARY`, `POOLS`, ...), objects only. */
export function rows(reply: Reply | undefined, section: string): Row[] {
  const v = reply?.[section];
  return Array.isArray(v) ? v.filter(isObject) : [];
}

export function firstRow(reply: Reply | undefined, section: string): Row | null {
  return rows(reply, section)[0] ?? null;
}

/** A finite number from a number or a numeric string (Bitmain quotes many figures); else null. */
export function num(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return null;
    const n = Number(t);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** Leading number of a string with a unit suffix (`"967.50 (AB)"`, `"245.00V"`). */
export function leadingNum(v: unknown): number | null {
  if (typeof v === 'number') return num(v);
  if (typeof v !== 'string') return null;
  const m = /^\s*([-+]?\d+(?:\.\d+)?)/.exec(v);
  return m ? num(m[1]) : null;
}

export function str(v: unknown): string | null {
  if (typeof v === 'string') {
    const t = v.trim();
    return t === '' ? null : t;
  }
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

export function bool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'Y' || v === 'y' || v === 1) return true;
  if (v === 'false' || v === 'N' || v === 'n' || v === 0) return false;
  return null;
}

/** Unit converters: each profile converts once, with the unit named in the function. */
export const ghsToThs = (v: unknown): number | null => scale(num(v), 1e-3);
export const mhsToThs = (v: unknown): number | null => scale(num(v), 1e-6);
export const ths = (v: unknown): number | null => num(v);
export const count = (v: unknown): number | null => {
  const n = num(v);
  return n === null || n < 0 ? null : Math.round(n);
};
export const nonNeg = (v: unknown): number | null => {
  const n = num(v);
  return n === null || n < 0 ? null : n;
};
/** A temperature; 0, the `-273` sentinel and impossible readings (S9 `temp2_7: -83`) mean no sensor. */
export const tempC = (v: unknown): number | null => {
  const n = num(v);
  return n === null || n <= 0 || n > 150 ? null : n;
};

/**
 * The counters of a cgminer-family `summary` row (API-README), named alike by every fork that
 * keeps the cgminer API: shares, share difficulty, hardware errors and uptime.
 */
export const CGMINER_COUNTERS: readonly FieldRow[] = [
  ['Accepted', 'sharesAccepted', count],
  ['Rejected', 'sharesRejected', count],
  ['Difficulty Accepted', 'difficultyAccepted', nonNeg],
  ['Difficulty Rejected', 'difficultyRejected', nonNeg],
  ['Hardware Errors', 'hardwareErrors', count],
  ['Elapsed', 'uptimeS', count],
];

function scale(n: number | null, f: number): number | null {
  return n === null ? null : round(n * f);
}

/** Rounds away float noise from unit conversion (GH 37603.3 -> 37.6033 TH, not 37.603300000000004). */
export function round(n: number): number {
  return Math.round(n * 1e9) / 1e9;
}

/** Max of the readings that are real temperatures, null when none are. */
export function maxTemp(values: readonly unknown[]): number | null {
  let best: number | null = null;
  for (const v of values) {
    const t = tempC(v);
    if (t !== null && (best === null || t > best)) best = t;
  }
  return best;
}

/** `"73-45-64-65"` (Bitmain multi-sensor string) -> its numbers. */
export function dashList(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (typeof v !== 'string') return [];
  return v
    .split('-')
    .map((p) => num(p))
    .filter((n): n is number => n !== null);
}

/**
 * The active pool: the alive one with the lowest `Priority`. Not the first `Stratum Active`: after
 * `switchpool`, cgminer keeps the old pool's connection (and `Stratum Active: true`) for 85-95 s
 * until it drops, while the switched-to pool already has priority 0 (cgminer switch_pools; seen
 * on cgminer 4.11.1, issue 16). A table without `Priority` (or without any alive pool) falls back
 * to the stratum-active one, then the first.
 */
export function activePool(pools: Row[]): { url: string; user: string } | null {
  const usable = pools.filter((p) => str(p['URL']) !== null && !/devfee/i.test(String(p['URL'])));
  const prioritised = usable.filter(
    (p) => /alive/i.test(String(p['Status'] ?? '')) && num(p['Priority']) !== null,
  );
  const active =
    prioritised.sort((a, b) => num(a['Priority'])! - num(b['Priority'])!)[0] ??
    usable.find((p) => bool(p['Stratum Active']) === true) ??
    usable[0];
  if (!active) return null;
  return { url: str(active['URL'])!, user: str(active['User']) ?? '' };
}

/**
 * What a miner said to a control request: `ok` true (it accepted), false (it refused, with its
 * code and message) or null (the reply could not be read as either: never taken for success).
 */
export type ReplyVerdict = { ok: boolean | null; code: string | null; message: string };

const ACCEPT = new Set(['S', 'I']);
const REFUSE = new Set(['E', 'F', 'W', 'error']);
/** cgminer answers `restart` and `quit` with a bare `{"STATUS":"RESTART"}` / `"BYE"` (api.c). */
const GOODBYE = new Set(['RESTART', 'BYE']);

/**
 * Reads the refusal and acceptance forms of every firmware's control replies (issue 16):
 * cgminer-family `STATUS[0].STATUS` letters with `Code`/`Msg` (45 access denied, 14 invalid command),
 * btminer's bare `STATUS` string with `Code`/`Msg`, Whatsminer v3 `code` (0 is success) and `msg`,
 * a joined reply's sections (any refusal refuses all), and the web APIs' `success`/`result`/`stats`/
 * `error` members. Never throws.
 */
export function replyVerdict(body: string): ReplyVerdict {
  const { value, error } = decodeReply(body);
  if (value === null) return { ok: null, code: null, message: `unreadable reply: ${error ?? 'empty'}` };
  if (!isObject(value)) return { ok: null, code: null, message: `unexpected reply: ${clipText(body)}` };
  const sections = splitMultiCommand(value);
  if (sections) {
    const verdicts = Object.values(sections).map((v) => (isObject(v) ? objectVerdict(v) : null));
    const refused = verdicts.find((v) => v?.ok === false);
    if (refused) return refused;
    if (verdicts.every((v) => v?.ok === true)) return verdicts[0]!;
    return { ok: null, code: null, message: `joined reply without a verdict: ${clipText(body)}` };
  }
  return objectVerdict(value);
}

function objectVerdict(v: Row): ReplyVerdict {
  if (typeof v['code'] === 'number') {
    return { ok: v['code'] === 0, code: String(v['code']), message: words(v['msg']) };
  }
  const status = v['STATUS'];
  const row =
    Array.isArray(status) && isObject(status[0]) ? status[0] : typeof status === 'string' ? v : null;
  if (row) {
    const letter = str(row['STATUS']) ?? '';
    const code = str(row['Code']);
    const message = words(row['Msg']) || letter;
    if (ACCEPT.has(letter) || GOODBYE.has(letter)) return { ok: true, code, message };
    if (REFUSE.has(letter)) return { ok: false, code, message };
    return { ok: null, code, message: `unknown STATUS ${JSON.stringify(letter)}: ${message}` };
  }
  const web = webVerdict(v);
  if (web) return web;
  return { ok: null, code: null, message: `reply has no STATUS or code: ${clipText(JSON.stringify(v))}` };
}

/** Web API bodies: ePIC `{"result":false,"error":..}`, Antminer CGI `{"stats":"error","msg":..}`, `{"success":false}`. */
function webVerdict(v: Row): ReplyVerdict | null {
  const code = str(v['code']);
  const message = words(v['error'] ?? v['msg'] ?? v['message']);
  const err = v['error'];
  if (v['success'] === false || v['result'] === false || /^(error|fail)/i.test(str(v['stats']) ?? '')) {
    return { ok: false, code, message: message || 'refused' };
  }
  if (err !== undefined && err !== null && err !== '' && err !== false) return { ok: false, code, message };
  if (v['success'] === true || v['result'] === true || str(v['stats']) === 'success') {
    return { ok: true, code, message: message || 'ok' };
  }
  return null;
}

const clipText = (s: string): string => s.replace(/\s+/g, ' ').trim().slice(0, 160);
const words = (m: unknown): string =>
  m === undefined || m === null ? '' : typeof m === 'string' ? clipText(m) : clipText(JSON.stringify(m));
