import { z } from 'zod';
import { decodeReply, splitMultiCommand } from './decoder.js';
import type { RawReplies, RpcRequest } from './types.js';

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

export type DecodedCycle = {
  /** Replies by command (multi-command replies are split into their commands), then by step key. */
  replies: Map<string, Reply>;
  /** `<step>:<repair>` for every decoder repair, `<step>:undecodable` when nothing was recovered. */
  repairs: string[];
};

/**
 * Decodes every raw reply of a cycle through the tolerant decoder and the step's lenient schema.
 * A reply whose STATUS is E or F (e.g. Code 45 access denied) counts as absent: its fields end
 * up null and named in `missing`.
 */
export function decodeCycle(raw: RawReplies, schemas: Record<string, z.ZodType>): DecodedCycle {
  const replies = new Map<string, Reply>();
  const repairs: string[] = [];
  for (const [step, body] of Object.entries(raw)) {
    if (body === null || body === undefined) continue;
    const decoded = decodeReply(body);
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

/** The active pool: the stratum-active one, else the first alive by priority, else the first. */
export function activePool(pools: Row[]): { url: string; user: string } | null {
  const usable = pools.filter((p) => str(p['URL']) !== null && !/devfee/i.test(String(p['URL'])));
  const active =
    usable.find((p) => bool(p['Stratum Active']) === true) ??
    usable
      .filter((p) => /alive/i.test(String(p['Status'] ?? '')))
      .sort((a, b) => (num(a['Priority']) ?? 0) - (num(b['Priority']) ?? 0))[0] ??
    usable[0];
  if (!active) return null;
  return { url: str(active['URL'])!, user: str(active['User']) ?? '' };
}
