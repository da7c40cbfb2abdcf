import { poolRowState } from '../firmware/pool-priority.js';
import type { MinerModel } from '../model/miner.js';
import { Fixed, plain } from './json-writer.js';

type Doc = Record<string, unknown>;

/** Seconds since the epoch, as cgminer's `When`. */
export const unix = (ms: number): number => Math.floor(ms / 1000);

/** Fills STATUS[0] of a recorded reply, keeping its key order. */
export function stamp(doc: Doc, nowMs: number, description: string, fields: Doc = {}): Doc {
  const status = (doc.STATUS as Doc[] | undefined)?.[0];
  if (status) {
    status.When = unix(nowMs);
    status.Description = description;
    Object.assign(status, fields);
  }
  return doc;
}

/** A STATUS-only reply (errors, acknowledgements) in cgminer's layout. */
export function statusOnly(
  letter: string,
  code: number,
  msg: string,
  nowMs: number,
  description: string,
): Doc {
  return {
    STATUS: [{ STATUS: letter, When: unix(nowMs), Code: code, Msg: msg, Description: description }],
    id: 1,
  };
}

/**
 * Sets a field keeping the type the real firmware uses there: a string stays a string (printed
 * with `decimals`), a number stays a number (printed with `decimals` when given).
 */
export function put(obj: Doc, key: string, value: number, decimals?: number): void {
  const current = obj[key];
  if (typeof current === 'string')
    obj[key] = decimals === undefined ? String(value) : value.toFixed(decimals);
  else obj[key] = decimals === undefined ? value : new Fixed(value, decimals);
}

/** Like put, for every key present in `values`. */
export function putAll(obj: Doc, values: Record<string, number>, decimals?: number): void {
  for (const [k, v] of Object.entries(values)) if (k in obj) put(obj, k, v, decimals);
}

const escapeText = (s: string): string => s.replace(/([|,=\\])/g, '\\$1');

function textValue(v: unknown): string {
  const p = plain(v);
  if (v instanceof Fixed) return v.value.toFixed(v.decimals);
  if (typeof p === 'string') return escapeText(p);
  if (typeof p === 'boolean') return p ? 'true' : 'false';
  if (typeof p === 'number') return String(p);
  return escapeText(JSON.stringify(p));
}

/**
 * cgminer's text reply: `STATUS=S,When=..,Code=..|SECTION,Key=Value,..` (API-README).
 * Items that start with their own index field (`POOL=0`, `STATS=0`, `ASC=0`) carry no section name.
 */
export function toText(doc: Doc): string {
  const parts: string[] = [];
  for (const [section, items] of Object.entries(doc)) {
    if (section === 'id' || !Array.isArray(items)) continue;
    for (const item of items as Doc[]) {
      if (typeof item !== 'object' || item === null) continue;
      const fields = Object.entries(item).map(([k, v]) => `${k}=${textValue(v)}`);
      const first = Object.keys(item)[0];
      const indexed =
        section === 'STATUS' ||
        (first !== undefined && typeof item[first] === 'number' && /^[A-Z]+$/.test(first));
      parts.push((indexed ? '' : `${section},`) + fields.join(','));
    }
  }
  // Sections are separated, not terminated, by `|` (avalon/a10xx-summary-text.txt ends without one).
  return parts.join('|');
}

/** Seconds-ago text as Bitmain's cgminer 4.9 prints `Last Share Time` ("0:00:12"). */
export function hms(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** Chain-status string as Bitmain prints `chain_acs<N>`: ` oooooooo oooooooo ...`. */
export function acs(chips: number, group: number, ok: boolean): string {
  if (chips === 0) return '';
  let s = '';
  for (let i = 0; i < chips; i++) s += (i % group === 0 ? ' ' : '') + (ok ? 'o' : 'x');
  return s;
}

/** Pool-table rows common to cgminer-family `pools`, filled from the miner's pool list. */
export function fillPools(rows: Doc[], miner: MinerModel, nowMs: number, firstIndex = 0): Doc[] {
  const proto = rows[0]!;
  return miner.pools.map((pool, i) => {
    const row: Doc = { ...(rows[i] ?? proto) };
    const active = i === miner.activePool;
    const { priority, stratumActive } = poolRowState(miner, i, nowMs);
    if ('POOL' in row) row.POOL = i + firstIndex;
    if ('URL' in row) row.URL = pool.url;
    if ('User' in row) row.User = pool.user;
    if ('Priority' in row) row.Priority = priority;
    if ('Status' in row) row.Status = pool.url ? 'Alive' : 'Dead';
    if ('Stratum Active' in row) row['Stratum Active'] = stratumActive;
    if ('Stratum URL' in row)
      row['Stratum URL'] = active ? pool.url.replace(/^.*:\/\//, '').replace(/:\d+$/, '') : '';
    const acc = active ? miner.accepted : 0;
    const rej = active ? miner.rejected : 0;
    if ('Accepted' in row) row.Accepted = acc;
    if ('Rejected' in row) row.Rejected = rej;
    if ('Difficulty Accepted' in row)
      put(row, 'Difficulty Accepted', active ? miner.difficultyAccepted : 0, 8);
    if ('Difficulty Rejected' in row)
      put(row, 'Difficulty Rejected', active ? miner.difficultyRejected : 0, 8);
    if ('Last Share Difficulty' in row)
      put(row, 'Last Share Difficulty', active ? miner.poolDifficulty : 0, 8);
    if ('Stratum Difficulty' in row) put(row, 'Stratum Difficulty', miner.poolDifficulty, 8);
    if ('Last Share Time' in row) {
      const ago = (nowMs - miner.lastShareMs) / 1000;
      const cur = row['Last Share Time'];
      row['Last Share Time'] =
        typeof cur === 'string' ? (active ? hms(ago) : '0') : active ? unix(miner.lastShareMs) : 0;
    }
    if ('Diff' in row && typeof row.Diff === 'string')
      row.Diff = active ? shortDiff(miner.poolDifficulty) : '';
    return row;
  });
}

/** `524K`-style difficulty as Bitmain prints `Diff`. */
export function shortDiff(d: number): string {
  if (d >= 1e6) return `${(d / 1e6).toFixed(d >= 1e7 ? 0 : 2)}M`;
  if (d >= 1e3) return `${Math.round(d / 1024)}K`;
  return String(d);
}
