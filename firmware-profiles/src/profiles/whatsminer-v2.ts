import {
  activePool,
  bool,
  CGMINER_COUNTERS,
  CGMINER_PORT,
  cgminerSchemas,
  decodeCycle,
  firstRow,
  ghsToThs,
  isObject,
  mhsToThs,
  nonNeg,
  num,
  rows,
  rpcRequest,
  str,
  tempC,
} from '../cgminer-reply.js';
import { detectView, whatsminerModel } from '../detect-util.js';
import {
  controlOps,
  DAEMON_RESTART_WINDOW_S,
  hashing,
  LED_UNOBSERVABLE,
  MODE_UNOBSERVABLE,
  poolActive,
  powerWithin,
  restarted,
  withEffects,
} from '../effects.js';
import { applyRows, type Draft, type FieldRow, finishReading, stateFromRate } from '../reading.js';
import type { AuthScheme, FirmwareProfile, PollStep, RpcRequest } from '../types.js';

/**
 * Whatsminer btminer with API v1/v2 on 4028: cgminer-style reads (`summary`, `edevs`, `pools`),
 * btminer-native `{"cmd":..}` commands whose STATUS is a bare string, and privileged writes in
 * the AES token envelope (docs/reference.md §2, §5). Firmware after 2024-11 moved to API v3.
 */
const RPC = CGMINER_PORT;
const rpc = rpcRequest;
const native = (cmd: string, fields?: RpcRequest['fields']): RpcRequest => ({
  transport: 'rpc',
  port: RPC,
  command: cmd,
  format: 'json',
  key: 'cmd',
  ...(fields ? { fields } : {}),
});

const poll: PollStep[] = [
  { key: 'summary', request: rpc('summary') },
  { key: 'edevs', request: rpc('edevs') },
  { key: 'pools', request: rpc('pools') },
  // `Msg.mineroff`/`btmineroff` tells a sleeping miner from a stalled one; not joinable with the others.
  { key: 'status', request: native('status'), optional: true },
];
const schemas = cgminerSchemas(poll.map((s) => s.key));

const SUMMARY: readonly FieldRow[] = [
  ['MHS 5s', 'hashrate5sThs', mhsToThs],
  ['MHS av', 'hashrateAvgThs', mhsToThs],
  ['Factory GHS', 'expectedHashrateThs', ghsToThs],
  // `Power` is -1 when the PSU does not report; nonNeg turns that into null.
  ['Power', 'powerW', nonNeg],
  ['Power_RT', 'powerW', nonNeg],
  ['Power Limit', 'powerLimitW', nonNeg],
  ['Env Temp', 'inletTempC', tempC],
  ['Chip Temp Max', 'chipTempMaxC', tempC],
  ...CGMINER_COUNTERS,
  ['MAC', 'mac', str],
  // btminer wraps it in single quotes: `'20201202.22.REL'`.
  ['Firmware Version', 'firmwareVersion', (v) => str(v)?.replace(/^'+|'+$/g, '') || null],
];

function parse(raw: Parameters<FirmwareProfile['parse']>[0], ctx: Parameters<FirmwareProfile['parse']>[1]) {
  const { replies, repairs } = decodeCycle(raw, schemas, ctx.decoded);
  const draft: Draft = {};
  const summary = firstRow(replies.get('summary'), 'SUMMARY');
  applyRows(draft, summary, SUMMARY);
  if (draft.powerW != null) draft.powerProvenance = 'reported';
  if (summary) {
    draft.fansRpm = [num(summary['Fan Speed In']), num(summary['Fan Speed Out'])].filter(
      (n): n is number => n !== null && n > 0,
    );
  }
  const devs = rows(replies.get('edevs') ?? replies.get('devs'), 'DEVS');
  draft.boards = devs.map((d, i) => ({
    index: num(d['ASC']) ?? num(d['Slot']) ?? i,
    hashrateThs: mhsToThs(d['MHS 1m'] ?? d['MHS av']),
    expectedHashrateThs: null,
    chips: num(d['Effective Chips']),
    chipTempC: tempC(d['Chip Temp Max']),
    boardTempC: tempC(d['Temperature']),
  }));
  draft.pool = activePool(rows(replies.get('pools'), 'POOLS'));
  const statusMsg = replies.get('status')?.['Msg'];
  const off = isObject(statusMsg) ? (bool(statusMsg['btmineroff']) ?? bool(statusMsg['mineroff'])) : null;
  // The rate wins over `btmineroff`: captures (M31S 2021, M3X API 1.4) say "true" while hashing.
  draft.state = stateFromRate(draft, off === true ? 'sleeping' : null);
  return finishReading('whatsminer-v2', draft, repairs, ctx);
}

const token: AuthScheme = { kind: 'wm-v2-token', defaultUser: 'admin' };
const op = controlOps<RpcRequest>('rpc', token, 'status-ok');

/**
 * Effects (issue 16). `adjust_power_limit` reboots to apply and is read back as summary
 * `Power Limit`; `update_pools` restarts btminer. BOOT_S is an estimate of power-on to hashing,
 * not measured here.
 * Refusals: btminer's bare `STATUS:"E"` with Code and Msg (recorded: m31s-error-missing-command);
 * an encrypted reply the agent cannot open has no verdict and fails (recorded:
 * m3x-privileged-enc-reply-no-write-api, a firmware without the write API).
 */
const BOOT_S = 600;
/** btminer's effects, the same behind API v3 (whatsminer-v3.ts uses this table). */
export const BTMINER_EFFECTS = {
  reboot: restarted(BOOT_S),
  restart: restarted(DAEMON_RESTART_WINDOW_S),
  'pool.set': poolActive(BOOT_S),
  'power.target': powerWithin(BOOT_S),
  'power.mode': MODE_UNOBSERVABLE,
  sleep: hashing(false, DAEMON_RESTART_WINDOW_S),
  wake: hashing(true, BOOT_S),
  led: LED_UNOBSERVABLE,
};

export const whatsminerV2: FirmwareProfile = {
  id: 'whatsminer-v2',
  name: 'Whatsminer btminer API v2 (4028)',
  detect(replies) {
    const v = detectView(replies);
    if (!/BTMINER|BITMICRO|WHATSMINER/.test(v.text)) return null;
    const dev = firstRow(v.devdetails ?? undefined, 'DEVDETAILS');
    const msg = v.version?.['Msg'];
    return {
      profile: 'whatsminer-v2',
      model: whatsminerModel(dev?.['Model']),
      firmwareVersion: (isObject(msg) ? str(msg['fw_ver']) : null) ?? str(v.versionRow?.['Miner']) ?? null,
      port: RPC,
    };
  },
  poll,
  schemas,
  parse,
  controls: withEffects(
    [
      op('reboot', native('reboot'), true),
      op('restart', native('restart_btminer'), true),
      op(
        'pool.set',
        native('update_pools', {
          pool1: '{url}',
          worker1: '{user}',
          passwd1: '{password}',
        }),
        true,
      ),
      op(
        'power.target',
        native('adjust_power_limit', { power_limit: '{watts}' }),
        true,
        'btminer reboots to apply',
      ),
      op(
        'power.mode',
        native('set_{mode}_power'),
        false,
        'set_low_power / set_normal_power / set_high_power; read back as summary "Power Mode"',
      ),
      op('sleep', native('power_off', { respbefore: 'true' }), true),
      op('wake', native('power_on'), true),
      op(
        'led',
        native('set_led', { color: 'red', period: 60, duration: 20, start: 0 }),
        false,
        'switch back to normal with {"cmd":"set_led","param":"auto"}',
      ),
    ],
    BTMINER_EFFECTS,
  ),
  upgrade: {
    kind: 'none',
    why: "the btminer API upgrade sequence is not confirmed from a public source this project cites; upgrade with MicroBT's WhatsMinerTool",
  },
};
