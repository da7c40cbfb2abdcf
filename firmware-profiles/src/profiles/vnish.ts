import { z } from 'zod';
import {
  BMMINER_SUMMARY,
  bmminerBoards,
  bmminerDevice,
  bmminerFans,
  rateInUnitToThs,
} from '../bmminer-stats.js';
import {
  activePool,
  CGMINER_PORT,
  CgminerReplySchema,
  count,
  decodeCycle,
  firstRow,
  isObject,
  nonNeg,
  num,
  rows,
  rpcRequest,
  str,
} from '../cgminer-reply.js';
import { cleanModel, detectView } from '../detect-util.js';
import {
  controlOps,
  DAEMON_RESTART_WINDOW_S,
  firmwareRunning,
  hashing,
  LED_UNOBSERVABLE,
  poolActive,
  powerWithin,
  restarted,
  upgradeWindowS,
  withEffects,
} from '../effects.js';
import { applyRows, type Draft, finishReading, stateFromRate } from '../reading.js';
import type { AuthScheme, FirmwareProfile, HttpRequest, PollStep } from '../types.js';

/**
 * VNish (AnthillOS) on Antminers: cgminer 4.11.1 RPC with the bmminer `stats` layout (model in
 * `STATS[0].Type` as "Antminer S17+ (vnish 2.0.3)"), and a bearer-token web API for control and
 * the wall-power figure (docs/reference.md §5, §7).
 */
const RPC = CGMINER_PORT;
const rpc = rpcRequest;
const web = (method: HttpRequest['method'], path: string, body?: unknown): HttpRequest => ({
  transport: 'http',
  port: 80,
  method,
  path,
  auth: 'bearer-vnish',
  ...(body === undefined ? {} : { body }),
});

const poll: PollStep[] = [
  { key: 'summary', request: rpc('summary') },
  { key: 'stats', request: rpc('stats') },
  { key: 'pools', request: rpc('pools') },
  // `miner.power_usage` (W) exists only in the web API.
  { key: 'web-summary', request: web('GET', '/api/v1/summary'), optional: true },
];
const schemas = {
  summary: CgminerReplySchema,
  stats: CgminerReplySchema,
  pools: CgminerReplySchema,
  'web-summary': z.looseObject({ miner: z.looseObject({}).optional() }),
};

const SUMMARY = BMMINER_SUMMARY;

/** "Antminer S9 (vnish 3.8.6)" -> "3.8.6"; else the stats `build_version`. */
const vnishVersion = (type: unknown, build: unknown): string | null =>
  /\(vnish\s+([^)]+)\)/i.exec(String(type ?? ''))?.[1]?.trim() ?? str(build);

function parse(raw: Parameters<FirmwareProfile['parse']>[0], ctx: Parameters<FirmwareProfile['parse']>[1]) {
  const { replies, repairs } = decodeCycle(raw, schemas, ctx.decoded);
  const draft: Draft = {};
  applyRows(draft, firstRow(replies.get('summary'), 'SUMMARY'), SUMMARY);
  const stats = rows(replies.get('stats'), 'STATS');
  const device = bmminerDevice(stats);
  draft.model = cleanModel(stats[0]?.['Type']);
  draft.firmwareVersion = vnishVersion(stats[0]?.['Type'], device?.['build_version']);
  if (device) {
    applyRows(draft, device, [...SUMMARY.slice(0, 2), ['Elapsed', 'uptimeS', count]]);
    draft.boards = bmminerBoards(device);
    draft.fansRpm = bmminerFans(device);
    draft.expectedHashrateThs = rateInUnitToThs(device['total_rateideal'], device['rate_unit']);
  }
  const webMiner = replies.get('web-summary')?.['miner'];
  const webWatts = isObject(webMiner) ? nonNeg(webMiner['power_usage']) : null;
  if (webWatts !== null) {
    draft.powerW = webWatts;
    draft.powerProvenance = 'reported';
  } else if (device) {
    // `chain_consumption<N>` is VNish's own per-chain power model, not a meter.
    const chains = Object.keys(device)
      .filter((k) => /^chain_consumption\d+$/.test(k))
      .map((k) => num(device[k]) ?? 0);
    const total = chains.reduce((a, b) => a + b, 0);
    if (total > 0) {
      draft.powerW = total;
      draft.powerProvenance = 'estimated';
    }
  }
  draft.pool = activePool(rows(replies.get('pools'), 'POOLS'));
  const vnishState = str(device?.['state']);
  const stopped = !vnishState
    ? null
    : /stop|pause/i.test(vnishState)
      ? 'sleeping'
      : /fail/i.test(vnishState)
        ? 'error'
        : null;
  draft.state = stateFromRate(draft, stopped);
  return finishReading('vnish', draft, repairs, ctx);
}

const bearer: AuthScheme = { kind: 'vnish-bearer' };
const op = controlOps<HttpRequest>('http', bearer, 'http-2xx');

/**
 * Effects (issue 16). Settings changes restart the miner; the power preset is read back as the
 * web API's `power_usage`. BOOT_S is an estimate of power-on to hashing, not measured here.
 * Refusals: HTTP 401/403 from `unlock` or a write with a bad token; no recorded write body.
 */
const BOOT_S = 600;
const EFFECTS = {
  reboot: restarted(BOOT_S),
  restart: restarted(DAEMON_RESTART_WINDOW_S),
  'pool.set': poolActive(BOOT_S),
  'power.target': powerWithin(BOOT_S),
  sleep: hashing(false, DAEMON_RESTART_WINDOW_S),
  wake: hashing(true, BOOT_S),
  led: LED_UNOBSERVABLE,
};

export const vnish: FirmwareProfile = {
  id: 'vnish',
  name: 'VNish (AnthillOS)',
  detect(replies) {
    const v = detectView(replies);
    if (!/VNISH/.test(v.text)) return null;
    const type = v.versionRow?.['Type'];
    return {
      profile: 'vnish',
      model: cleanModel(type),
      firmwareVersion: vnishVersion(type, null),
      port: RPC,
    };
  },
  poll,
  schemas,
  parse,
  controls: withEffects(
    [
      op('reboot', web('POST', '/api/v1/system/reboot'), true),
      op('restart', web('POST', '/api/v1/mining/restart'), true),
      op(
        'pool.set',
        web('POST', '/api/v1/settings', {
          miner: { pools: [{ url: '{url}', user: '{user}', pass: '{password}' }] },
        }),
        true,
      ),
      op(
        'power.target',
        web('POST', '/api/v1/settings', { miner: { overclock: { preset: '{watts}' } } }),
        true,
        'only watt values listed by GET /api/v1/autotune/presets are accepted',
      ),
      op('sleep', web('POST', '/api/v1/mining/stop'), true),
      op('wake', web('POST', '/api/v1/mining/start'), true),
      op('led', web('POST', '/api/v1/find-miner'), false, 'toggles the locate blink'),
    ],
    EFFECTS,
  ),
  upgrade: {
    kind: 'http-upload',
    port: 80,
    path: '/api/v1/firmware/update',
    auth: bearer,
    field: 'file',
    fileName: 'firmware.tar',
    fields: { keep_settings: 'true' },
    expect: 'http-2xx',
    effect: firmwareRunning(upgradeWindowS(BOOT_S)),
    source:
      'a public AnthillOS (VNish) upgrader script (uploadFile): multipart POST to /api/v1/firmware/update with the bearer token from /api/v1/unlock and a keep_settings field; the file field name is not from a recorded upload',
  },
};
