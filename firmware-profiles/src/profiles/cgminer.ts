import { bmminerFans } from '../bmminer-stats.js';
import {
  activePool,
  CGMINER_COUNTERS,
  CGMINER_PORT,
  cgminerSchemas,
  decodeCycle,
  firstRow,
  ghsToThs,
  isObject,
  mhsToThs,
  num,
  rows,
  rpcRequest,
  str,
  tempC,
} from '../cgminer-reply.js';
import { detectView } from '../detect-util.js';
import { DAEMON_RESTART_WINDOW_S, poolActive, restarted } from '../effects.js';
import { applyRows, type Draft, type FieldRow, finishReading, stateFromRate } from '../reading.js';
import type { AuthScheme, ControlOperation, FirmwareProfile, PollStep } from '../types.js';

/**
 * Plain cgminer API (API-README): the fallback for any cgminer-family daemon no other profile
 * claims (upstream cgminer, and aftermarket builds such as Hiveon, MSKminer, ASICseer, Blissz,
 * or a VNish whose `version` does not name itself). Only the standard report commands, one per
 * connection, since not every fork joins them. Writes need `W:` in the miner's `--api-allow`.
 */
const RPC = CGMINER_PORT;
const rpc = rpcRequest;

const poll: PollStep[] = [
  { key: 'summary', request: rpc('summary') },
  { key: 'devs', request: rpc('devs') },
  { key: 'pools', request: rpc('pools') },
  // Fans: forks on Bitmain-style hardware keep `fan<N>` RPM in `stats` (issue 16: never polled before).
  { key: 'stats', request: rpc('stats'), optional: true },
];
const schemas = cgminerSchemas(poll.map((s) => s.key));

/** cgminer reports MH/s; Bitmain-derived forks report GH/s under `GHS` keys. Both rows are tried. */
const SUMMARY: readonly FieldRow[] = [
  ['GHS 5s', 'hashrate5sThs', ghsToThs],
  ['MHS 5s', 'hashrate5sThs', mhsToThs],
  ['GHS av', 'hashrateAvgThs', ghsToThs],
  ['MHS av', 'hashrateAvgThs', mhsToThs],
  ...CGMINER_COUNTERS,
];

function parse(raw: Parameters<FirmwareProfile['parse']>[0], ctx: Parameters<FirmwareProfile['parse']>[1]) {
  const { replies, repairs } = decodeCycle(raw, schemas, ctx.decoded);
  const draft: Draft = {};
  const summary = firstRow(replies.get('summary'), 'SUMMARY');
  applyRows(draft, summary, SUMMARY);
  if (summary && draft.hashrate5sThs == null) {
    const rolling = rollingKey(summary);
    if (rolling) draft.hashrate5sThs = mhsToThs(summary[rolling]);
  }
  const devs = rows(replies.get('devs'), 'DEVS');
  draft.boards = devs.map((d, i) => ({
    index: num(d['ASC']) ?? num(d['PGA']) ?? num(d['ID']) ?? i,
    hashrateThs: mhsToThs(d[rollingKey(d) ?? 'MHS av']) ?? ghsToThs(d['GHS 5s'] ?? d['GHS av']),
    expectedHashrateThs: null,
    chips: null,
    chipTempC: null,
    boardTempC: tempC(d['Temperature']),
  }));
  draft.fansRpm =
    rows(replies.get('stats'), 'STATS')
      .map(bmminerFans)
      .find((f) => f.length) ?? [];
  draft.firmwareVersion = descriptionOf(replies);
  draft.pool = activePool(rows(replies.get('pools'), 'POOLS'));
  draft.state = stateFromRate(draft);
  return finishReading('cgminer', draft, repairs, ctx);
}

/** `MHS %ds` follows the log interval (`MHS 30s` with --log 30, BFGMiner `MHS 20s`), summary and devices alike. */
export function rollingKey(row: Record<string, unknown>): string | null {
  return Object.keys(row).find((k) => /^MHS \d+s$/.test(k)) ?? null;
}

function descriptionOf(replies: Map<string, Record<string, unknown>>): string | null {
  for (const r of replies.values()) {
    const s = r['STATUS'];
    const d = Array.isArray(s) && isObject(s[0]) ? str(s[0]['Description']) : null;
    if (d) return d;
  }
  return null;
}

/** Daemon version keys seen in `VERSION[0]` across the cgminer family (docs/reference.md §6). */
const DAEMON_KEYS = ['CGMiner', 'Cgminer', 'BMMiner', 'BDMiner', 'GCMiner', 'bfgminer'];

const none: AuthScheme = { kind: 'none' };
/**
 * Control of upstream cgminer and its forks. From the API documentation (API-README, api.c):
 * `restart`, `addpool`, `switchpool` are privileged (W: in --api-allow, else `STATUS=E, Code 45,
 * "Access denied to 'X' command"`); `addpool` answers Code 55 "Added pool N: 'url'" and adds at the
 * lowest priority; `switchpool|N` gives pool N priority 0 and moves the others down (cgminer.c
 * switch_pools). Seen on a real cgminer 4.11.1 (issue 16): Code 45 on a read-only API; `addpool`
 * alone leaves the miner on its old pool; after `switchpool` both pools say `Stratum Active` until
 * the old connection drops (85-95 s), so the active pool is read by priority (activePool); `restart`
 * took the API away for 2.9 s and reset `Elapsed`.
 */
const controls: ControlOperation[] = [
  {
    op: 'restart',
    transport: 'rpc',
    auth: none,
    steps: [rpc('restart')],
    expect: 'connection-closed-ok',
    disruptive: true,
    effect: restarted(DAEMON_RESTART_WINDOW_S),
    note: 'privileged: needs W: access in --api-allow, else Code 45',
  },
  {
    op: 'pool.set',
    transport: 'rpc',
    auth: none,
    steps: [
      {
        ...rpc('addpool', '{url},{user},{password}'),
        capture: { param: 'poolIndex', pattern: 'Added pool (\\d+)' },
      },
      rpc('switchpool', '{poolIndex}'),
    ],
    expect: 'status-ok',
    disruptive: false,
    effect: poolActive(60),
    note: 'privileged; the old pool stays as failover at the next priority',
  },
];

export const cgminer: FirmwareProfile = {
  id: 'cgminer',
  name: 'cgminer API (generic)',
  detect(replies) {
    const v = detectView(replies);
    const row = v.versionRow;
    // A cgminer-family `version` reply: a VERSION row naming its daemon and API level. The literal
    // "cgminer" is not required (the S23 Hyd. says "cminer 1.0.0").
    if (!row || !('API' in row)) return null;
    const daemon = DAEMON_KEYS.map((k) => str(row[k])).find((x) => x) ?? null;
    return {
      profile: 'cgminer',
      model: str(row['Type'])?.split('\n')[0]?.trim() ?? null,
      firmwareVersion: daemon ?? (v.description || null),
      port: RPC,
    };
  },
  poll,
  schemas,
  parse,
  controls,
  // API-README lists no command that takes a firmware: cgminer is a program on its host, upgraded
  // by whatever installed it.
  upgrade: {
    kind: 'none',
    why: 'cgminer has no firmware upgrade in its API (API-README): upgrade it on its host',
  },
};
