import type { PowerMode } from '@hashfleet/contracts';
import type { UpgradeAction } from '../firmware/index.js';
import type { Effective, MinerPlace } from './resolve.js';
import { workerFor } from './resolve.js';
import type { DriftField, SleepWindow } from './schema.js';

/** What drift is judged from: the miner's latest stored reading. */
export type Actual = {
  online: boolean;
  state: string;
  pool: { url: string; user: string } | null;
  powerW: number | null;
  powerLimitW: number | null;
  firmwareVersion: string | null;
  /** Minutes since site-local midnight at `now`, for the sleep windows. */
  localMinute: number;
};

/** One field out of its desired state: what it should be and what the miner shows. */
export type Drift = { field: DriftField; desired: string; actual: string | null; versionId: string };

/** The fix a rollout sends for a drifted field (firmware: the image through the profile's upgrade transport). */
export type Fix =
  | UpgradeAction
  | { op: 'pool.set'; url: string; user: string; password: string }
  | { op: 'power.target'; watts: number }
  | { op: 'power.mode'; mode: PowerMode }
  | { op: 'sleep' }
  | { op: 'wake' };

/** Pool URLs compared as host:port, lower case, without scheme or trailing slash. */
export const samePool = (a: string, b: string): boolean => {
  const key = (url: string) =>
    url
      .trim()
      .toLowerCase()
      .replace(/^[a-z0-9+.-]+:\/\//, '')
      .replace(/\/+$/, '');
  return key(a) === key(b);
};

const toMinute = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether a site-local minute is inside a window; a window past midnight (22:00-06:00) wraps. */
export function inSleepWindow(minute: number, w: SleepWindow): boolean {
  const [from, to] = [toMinute(w.from), toMinute(w.to)];
  return from <= to ? minute >= from && minute < to : minute >= from || minute < to;
}

/** Minutes since midnight in a time zone (IANA name; an unknown one reads as UTC). */
export function localMinute(ms: number, timeZone: string): number {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(ms);
  } catch {
    parts = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'UTC',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(ms);
  }
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return n('hour') * 60 + n('minute');
}

const within = (value: number, want: number, pct: number) => Math.abs(value - want) <= (want * pct) / 100;

/**
 * The fields of one miner out of their desired state, from its latest reading. A miner that does
 * not answer has no drift to judge (offline is its own alert); a sleeping miner is judged on sleep
 * and firmware only (it mines on no pool and draws no power). A figure the reading lacks is not
 * drift: power mode is judged by the power it should give. Pure.
 */
export function driftOf(want: Effective, m: MinerPlace, a: Actual | null): Drift[] {
  if (!a?.online) return [];
  const out: Drift[] = [];
  const asleep = a.state === 'sleeping';
  const sleep = want.sleepWindows;
  if (sleep) {
    const should = sleep.value.some((w) => inSleepWindow(a.localMinute, w));
    if (should !== asleep)
      out.push({
        field: 'sleep',
        desired: should ? 'asleep' : 'awake',
        actual: a.state,
        versionId: sleep.versionId,
      });
  }
  if (!asleep && want.pool && a.pool) {
    const p = want.pool;
    if (!samePool(a.pool.url, p.value.url))
      out.push({ field: 'pool', desired: p.value.url, actual: a.pool.url, versionId: p.versionId });
    const worker = workerFor(p.value, m);
    if (a.pool.user !== worker)
      out.push({ field: 'worker', desired: worker, actual: a.pool.user, versionId: p.versionId });
  }
  const power = want.power;
  if (!asleep && power) {
    const v = power.value;
    if ('targetW' in v) {
      const shown = a.powerLimitW ?? a.powerW;
      if (shown !== null && !within(shown, v.targetW, power.tolerancePct))
        out.push({
          field: 'power',
          desired: `${v.targetW} W`,
          actual: `${Math.round(shown)} W`,
          versionId: power.versionId,
        });
    } else if (a.powerW !== null && !within(a.powerW, v.expectPowerW, power.tolerancePct)) {
      out.push({
        field: 'power',
        desired: `${v.mode} (${v.expectPowerW} W)`,
        actual: `${Math.round(a.powerW)} W`,
        versionId: power.versionId,
      });
    }
  }
  const fw = want.firmware;
  if (fw && a.firmwareVersion !== null && a.firmwareVersion !== fw.value.version)
    out.push({
      field: 'firmware',
      desired: fw.value.version,
      actual: a.firmwareVersion,
      versionId: fw.versionId,
    });
  return out;
}

/**
 * The commands that bring the drifted fields back, in the order they are sent: wake first (a
 * sleeping miner takes no pool), then the firmware image (`upgrade`, resolved from the desired
 * image's SHA-256 by the caller; an upgrade may reset settings, so they follow it), pool, power,
 * and sleep last. Pure.
 */
export function fixesFor(want: Effective, m: MinerPlace, drift: Drift[], upgrade?: UpgradeAction): Fix[] {
  const fields = new Set(drift.map((d) => d.field));
  const out: Fix[] = [];
  const sleep = drift.find((d) => d.field === 'sleep');
  if (sleep?.desired === 'awake') out.push({ op: 'wake' });
  if (fields.has('firmware') && upgrade) out.push(upgrade);
  if ((fields.has('pool') || fields.has('worker')) && want.pool) {
    const p = want.pool.value;
    out.push({ op: 'pool.set', url: p.url, user: workerFor(p, m), password: p.password });
  }
  if (fields.has('power') && want.power) {
    const v = want.power.value;
    out.push('targetW' in v ? { op: 'power.target', watts: v.targetW } : { op: 'power.mode', mode: v.mode });
  }
  if (sleep?.desired === 'asleep') out.push({ op: 'sleep' });
  return out;
}
