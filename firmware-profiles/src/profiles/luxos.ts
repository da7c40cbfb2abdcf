import {
  BMMINER_SUMMARY,
  bmminerBoards,
  bmminerDevice,
  bmminerFans,
  rateInUnitToThs,
} from '../bmminer-stats.js';
import {
  activePool,
  bool,
  CGMINER_PORT,
  cgminerSchemas,
  count,
  decodeCycle,
  firstRow,
  isObject,
  maxTemp,
  nonNeg,
  num,
  type Reply,
  rows,
  rpcRequest,
  str,
} from '../cgminer-reply.js';
import { cleanModel, detectView } from '../detect-util.js';
import {
  controlOps,
  DAEMON_RESTART_WINDOW_S,
  hashing,
  LAST_POOL_INDEX,
  LED_UNOBSERVABLE,
  poolActive,
  restarted,
  withEffects,
} from '../effects.js';
import { applyRows, type Draft, type FieldRow, finishReading, stateFromRate } from '../reading.js';
import type { AuthScheme, FirmwareProfile, PollStep } from '../types.js';

/**
 * LuxOS (LUXminer) on Antminers: bmminer-compatible `summary`/`stats`/`pools` plus `temps` with
 * labelled intake/exhaust sensors, `fans`, `power` and `config`; writes need a `logon` session
 * whose id is the first parameter (docs/reference.md §4, §7).
 */
const RPC = CGMINER_PORT;
const rpc = rpcRequest;

const poll: PollStep[] = [
  { key: 'summary', request: rpc('summary') },
  { key: 'stats', request: rpc('stats') },
  { key: 'temps', request: rpc('temps') },
  { key: 'fans', request: rpc('fans') },
  { key: 'power', request: rpc('power') },
  { key: 'pools', request: rpc('pools') },
  // Serial, MAC, model and curtail state; static enough for the agent to poll rarely.
  { key: 'config', request: rpc('config'), optional: true },
];
const schemas = cgminerSchemas(poll.map((s) => s.key));

const SUMMARY = BMMINER_SUMMARY;
const CONFIG: readonly FieldRow[] = [
  ['Model', 'model', cleanModel],
  ['SerialNumber', 'serial', str],
  ['MACAddr', 'mac', str],
];

/** `LUXminer 2025.4.8.220305-57b389c7` in any reply's STATUS Description. */
function firmwareOf(replies: Map<string, Reply>): string | null {
  for (const r of replies.values()) {
    const s = r['STATUS'];
    const d = Array.isArray(s) && isObject(s[0]) ? str(s[0]['Description']) : null;
    const m = d ? /^LUXminer\s+(\S+)/i.exec(d) : null;
    if (m) return m[1]!;
  }
  return null;
}

/** Sensor names by what METADATA labels them ("Board Intake (top)", "Board Exhaust (bottom)"). */
function sensorsLabelled(temps: Reply | undefined, word: RegExp): number[] {
  const meta = firstRow(temps, 'METADATA');
  if (!meta) return [];
  const names = Object.entries(meta)
    .filter(([, v]) => isObject(v) && word.test(String(v['Label'] ?? '')))
    .map(([k]) => k);
  return rows(temps, 'TEMPS').flatMap((t) =>
    names.map((n) => num(t[n])).filter((x): x is number => x !== null),
  );
}

function parse(raw: Parameters<FirmwareProfile['parse']>[0], ctx: Parameters<FirmwareProfile['parse']>[1]) {
  const { replies, repairs } = decodeCycle(raw, schemas, ctx.decoded);
  const draft: Draft = {};
  applyRows(draft, firstRow(replies.get('config'), 'CONFIG'), CONFIG);
  applyRows(draft, firstRow(replies.get('summary'), 'SUMMARY'), SUMMARY);
  const stats = rows(replies.get('stats'), 'STATS');
  const device = bmminerDevice(stats);
  applyRows(draft, stats[0] ?? null, [['Type', 'model', cleanModel]]);
  if (device) {
    applyRows(draft, device, SUMMARY.slice(0, 2));
    applyRows(draft, device, [['Elapsed', 'uptimeS', count]]);
    draft.boards = bmminerBoards(device);
    draft.expectedHashrateThs = rateInUnitToThs(device['total_rateideal'], device['rate_unit']);
  }
  const fans = rows(replies.get('fans'), 'FANS')
    .map((f) => num(f['RPM']))
    .filter((n): n is number => n !== null && n > 0);
  draft.fansRpm = fans.length ? fans : device ? bmminerFans(device) : [];
  draft.inletTempC = maxTemp(sensorsLabelled(replies.get('temps'), /intake/i));
  draft.outletTempC = maxTemp(sensorsLabelled(replies.get('temps'), /exhaust/i));
  const power = firstRow(replies.get('power'), 'POWER');
  const watts = nonNeg(power?.['Watts']);
  if (watts !== null) {
    draft.powerW = watts;
    // `PSU: false` means LUXminer estimated the figure; true means the PSU reported it.
    draft.powerProvenance = bool(power?.['PSU']) === true ? 'reported' : 'estimated';
  }
  draft.firmwareVersion = firmwareOf(replies);
  draft.pool = activePool(rows(replies.get('pools'), 'POOLS'));
  const curtail = str(firstRow(replies.get('config'), 'CONFIG')?.['CurtailMode']) ?? 'None';
  draft.state = stateFromRate(draft, /sleep/i.test(curtail) ? 'sleeping' : null);
  return finishReading('luxos', draft, repairs, ctx);
}

const session: AuthScheme = { kind: 'luxos-session' };
const op = controlOps('rpc', session, 'status-ok');

/**
 * Effects (issue 16). `resetminer` restarts LUXminer only; BOOT_S is an estimate of power-on to
 * hashing (not measured here); `curtail wakeup` restarts the hash boards.
 * Answers: a bad session is a cgminer-style STATUS E (LuxOS docs); no recorded write reply, so
 * `addpool`'s answer is not trusted for the new pool's index: the `pools` table gives it.
 */
const BOOT_S = 600;
const EFFECTS = {
  reboot: restarted(BOOT_S),
  restart: restarted(DAEMON_RESTART_WINDOW_S),
  'pool.set': poolActive(DAEMON_RESTART_WINDOW_S),
  sleep: hashing(false, DAEMON_RESTART_WINDOW_S),
  wake: hashing(true, BOOT_S),
  led: LED_UNOBSERVABLE,
};

export const luxos: FirmwareProfile = {
  id: 'luxos',
  name: 'LuxOS (LUXminer)',
  detect(replies) {
    const v = detectView(replies);
    if (!/LUXMINER/.test(v.text)) return null;
    return {
      profile: 'luxos',
      model: cleanModel(v.versionRow?.['Type']),
      firmwareVersion:
        str(v.versionRow?.['LUXminer']) ?? /LUXminer\s+(\S+)/i.exec(v.description)?.[1] ?? null,
      port: RPC,
    };
  },
  poll,
  schemas,
  parse,
  controls: withEffects(
    [
      op('reboot', [rpc('rebootdevice', '{sessionId}')], true),
      op('restart', [rpc('resetminer', '{sessionId}')], true),
      op(
        'pool.set',
        [
          rpc('addpool', '{sessionId},{url},{user},{password}'),
          // addpool appends: the new pool is the last row of the pool table.
          { ...rpc('pools'), capture: LAST_POOL_INDEX },
          rpc('switchpool', '{sessionId},{poolIndex}'),
        ],
        false,
        'adds the pool at the lowest priority, then switches to it; the old pool stays as failover',
      ),
      op('sleep', [rpc('curtail', '{sessionId},sleep')], true),
      op('wake', [rpc('curtail', '{sessionId},wakeup')], true),
      op('led', [rpc('ledset', '{sessionId},red,blink')], false, 'off: ledset|{sessionId},red,off'),
    ],
    EFFECTS,
  ),
  upgrade: {
    kind: 'none',
    why: "no LuxOS API command that takes an image from the controller is documented in the sources this profile cites; upgrade with Luxor's tools",
  },
};
