import { z } from 'zod';
import {
  activePool,
  count,
  decodeCycle,
  isObject,
  nonNeg,
  num,
  type Row,
  str,
  tempC,
  ths,
} from '../cgminer-reply.js';
import { detectView, whatsminerModel } from '../detect-util.js';
import { controlOps, withEffects } from '../effects.js';
import { applyRows, type Draft, type FieldRow, finishReading } from '../reading.js';
import type { AuthScheme, FirmwareProfile, PollStep, WmV3Request } from '../types.js';
import { BTMINER_EFFECTS } from './whatsminer-v2.js';

/**
 * Whatsminer API v3 (firmware from 2024-11): length-prefixed JSON frames on 4433, figures in
 * TH/s, writes signed per command (docs/reference.md §3, §5).
 */
const PORT = 4433;
const req = (cmd: string, param?: unknown): WmV3Request => ({
  transport: 'wm-v3',
  port: PORT,
  cmd,
  ...(param === undefined ? {} : { param }),
});

const poll: PollStep[] = [
  { key: 'status', request: req('get.miner.status', 'summary+pools+edevs') },
  // Model, serial, MAC and firmware; the agent may cache it between cycles.
  { key: 'device-info', request: req('get.device.info'), optional: true },
];

const V3ReplySchema = z.looseObject({ code: z.number().optional(), msg: z.unknown().optional() });
const schemas = { status: V3ReplySchema, 'device-info': V3ReplySchema };

const SUMMARY: readonly FieldRow[] = [
  ['hash-realtime', 'hashrate5sThs', ths],
  ['hash-average', 'hashrateAvgThs', ths],
  ['power-realtime', 'powerW', nonNeg],
  ['power-limit', 'powerLimitW', nonNeg],
  ['environment-temperature', 'inletTempC', tempC],
  ['chip-temp-max', 'chipTempMaxC', tempC],
  ['elapsed', 'uptimeS', count],
  ['accepted', 'sharesAccepted', count],
  ['rejected', 'sharesRejected', count],
];

/**
 * Merges the `msg` of every reply: the poll asks `summary+pools+edevs` in one request, but a
 * capture (or a firmware refusing the join) may answer each param separately.
 */
function mergedMsg(replies: Map<string, Row>): Row {
  const out: Row = {};
  for (const r of replies.values()) if (r['code'] === 0 && isObject(r['msg'])) Object.assign(out, r['msg']);
  return out;
}

function parse(raw: Parameters<FirmwareProfile['parse']>[0], ctx: Parameters<FirmwareProfile['parse']>[1]) {
  const { replies, repairs } = decodeCycle(raw, schemas, ctx.decoded);
  const msg = mergedMsg(replies);
  const draft: Draft = {};
  const summary = isObject(msg['summary']) ? msg['summary'] : null;
  applyRows(draft, summary, SUMMARY);
  if (draft.powerW != null) draft.powerProvenance = 'reported';
  const edevs = Array.isArray(msg['edevs']) ? msg['edevs'].filter(isObject) : [];
  const boardTemps = Array.isArray(summary?.['board-temperature'])
    ? (summary['board-temperature'] as unknown[])
    : [];
  draft.boards = edevs.map((d, i) => ({
    index: num(d['id']) ?? i,
    hashrateThs: ths(d['hash-average']),
    expectedHashrateThs: ths(d['factory-hash']),
    chips: num(d['effective-chips']),
    chipTempC: tempC(d['chip-temp-max']),
    boardTempC: tempC(boardTemps[i]),
  }));
  if (summary) {
    // Some M6x firmware reports -0.001 per board for an unknown factory hash (pyasic#314).
    const factory = num(summary['factory-hash']);
    draft.expectedHashrateThs = factory !== null && factory > 0 ? factory : null;
    draft.fansRpm = [num(summary['fan-speed-in']), num(summary['fan-speed-out'])].filter(
      (n): n is number => n !== null && n > 0,
    );
    const boardMax = boardTemps.map(tempC).filter((t): t is number => t !== null);
    if (boardMax.length) draft.boardTempMaxC = Math.max(...boardMax);
  }
  const pools = Array.isArray(msg['pools']) ? msg['pools'].filter(isObject) : [];
  draft.pool = activePool(
    pools.map((p) => ({
      URL: p['url'],
      User: p['account'],
      Status: p['status'],
      'Stratum Active': p['stratum-active'],
      Priority: p['id'],
    })),
  );
  if (pools.length) {
    const sum = (k: string) => pools.reduce((a, p) => a + (num(p[k]) ?? 0), 0);
    draft.sharesAccepted ??= sum('accepted');
    draft.sharesRejected ??= sum('rejected');
  }
  const info = replies.get('device-info');
  const infoMsg = info && isObject(info['msg']) ? info['msg'] : null;
  const miner = isObject(infoMsg?.['miner']) ? infoMsg['miner'] : null;
  const network = isObject(infoMsg?.['network']) ? infoMsg['network'] : null;
  const system = isObject(infoMsg?.['system']) ? infoMsg['system'] : null;
  draft.model = whatsminerModel(miner?.['type']);
  draft.serial = str(miner?.['miner-sn']);
  draft.mac = str(network?.['mac']);
  draft.firmwareVersion = str(system?.['fwversion']);
  const working = str(miner?.['working']);
  draft.state = !summary
    ? 'error'
    : (draft.hashrate5sThs ?? 0) > 0
      ? 'hashing'
      : working === 'false'
        ? 'sleeping'
        : (draft.uptimeS ?? Infinity) < 600
          ? 'starting'
          : 'idle';
  return finishReading('whatsminer-v3', draft, repairs, ctx);
}

const token: AuthScheme = { kind: 'wm-v3-token', defaultUser: 'super' };
const op = controlOps<WmV3Request>('wm-v3', token, 'status-ok');

/**
 * Effects (issue 16). `set.miner.power_limit` restarts btminer and is read back as summary
 * `power-limit`. The table is btminer's, shared with API v2 (whatsminer-v2.ts BTMINER_EFFECTS):
 * BOOT_S there is an estimate of power-on to hashing, not measured here.
 * Refusals: `code` other than 0 with `msg` (Whatsminer API v3 documentation; not recorded).
 */

export const whatsminerV3: FirmwareProfile = {
  id: 'whatsminer-v3',
  name: 'Whatsminer API v3 (4433, framed)',
  detect(replies) {
    const info = detectView(replies).deviceInfo;
    if (info?.['code'] !== 0) return null;
    const msg = info['msg'];
    if (!isObject(msg)) return null;
    const miner = isObject(msg['miner']) ? msg['miner'] : null;
    const system = isObject(msg['system']) ? msg['system'] : null;
    return {
      profile: 'whatsminer-v3',
      model: whatsminerModel(miner?.['type']),
      firmwareVersion: str(system?.['fwversion']),
      port: PORT,
    };
  },
  poll,
  schemas,
  parse,
  controls: withEffects(
    [
      op('reboot', req('set.system.reboot'), true),
      op('restart', req('set.miner.service', 'restart'), true),
      op(
        'pool.set',
        req('set.miner.pools', [{ pool: '{url}', worker: '{user}', passwd: '{password}' }]),
        true,
        'param is AES-256-ECB encrypted with sha256(cmd+password+salt+ts) as key',
      ),
      op('power.target', req('set.miner.power_limit', '{watts}'), true, 'btminer restarts to apply'),
      op('power.mode', req('set.miner.power_mode', '{mode}'), false, 'low / normal / high'),
      op('sleep', req('set.miner.service', 'stop'), true),
      op('wake', req('set.miner.service', 'start'), true),
      op(
        'led',
        req('set.system.led', { color: 'red', period: 60, duration: 20, start: 0 }),
        false,
        'switch back to normal with param "auto"',
      ),
    ],
    BTMINER_EFFECTS,
  ),
  upgrade: {
    kind: 'none',
    why: "no firmware upload is confirmed in the Whatsminer API v3 sources this profile cites; upgrade with MicroBT's WhatsMinerTool",
  },
};
