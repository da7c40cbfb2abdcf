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
  ghsToThs,
  isObject,
  maxTemp,
  nonNeg,
  num,
  type Row,
  rows,
  rpcRequest,
  str,
} from '../cgminer-reply.js';
import { cleanModel, detectView } from '../detect-util.js';
import {
  firmwareRunning,
  hashing,
  LED_UNOBSERVABLE,
  poolActive,
  restarted,
  upgradeWindowS,
  withEffects,
} from '../effects.js';
import { applyRows, type Draft, type FieldRow, finishReading } from '../reading.js';
import type { AuthScheme, FirmwareProfile, PollStep } from '../types.js';

/**
 * Bitmain stock firmware (bmminer, or Bitmain's cgminer 4.9 fork on L3+/D3/Z11/S9k/S15...).
 * RPC 4028 serves only `stats pools devs summary version` (api-allow `A:0/0,W:*`); control goes
 * over the digest-protected CGI on port 80 or SSH. docs/reference.md §4, §5, §7.
 */
const RPC = CGMINER_PORT;
const rpc = rpcRequest;
const cgi = (path: string): PollStep['request'] => ({
  transport: 'http',
  port: 80,
  method: 'GET',
  path,
  auth: 'digest',
});

const poll: PollStep[] = [
  { key: 'summary', request: rpc('summary') },
  { key: 'stats', request: rpc('stats') },
  { key: 'pools', request: rpc('pools') },
  // Newer firmware (X19 2022+, X21, S23) reports wall power only here: STATS[0].watt.
  { key: 'stats-cgi', request: cgi('/cgi-bin/stats.cgi'), optional: true },
  // Serial and MAC are not in the RPC at all.
  { key: 'system-info', request: cgi('/cgi-bin/get_system_info.cgi'), optional: true },
];

const CgiSchema = z.looseObject({});
const schemas = {
  summary: CgminerReplySchema,
  stats: CgminerReplySchema,
  pools: CgminerReplySchema,
  'stats-cgi': CgiSchema,
  'system-info': CgiSchema,
};

const SUMMARY = BMMINER_SUMMARY;
const STATS_DEVICE: readonly FieldRow[] = [
  ['GHS 5s', 'hashrate5sThs', ghsToThs],
  ['GHS av', 'hashrateAvgThs', ghsToThs],
  ['Elapsed', 'uptimeS', count],
];
const STATS_CGI: readonly FieldRow[] = [
  ['rate_5s', 'hashrate5sThs', ghsToThs],
  ['rate_avg', 'hashrateAvgThs', ghsToThs],
  ['elapsed', 'uptimeS', count],
  ['watt', 'powerW', nonNeg],
];
const SYSTEM_INFO: readonly FieldRow[] = [
  ['serinum', 'serial', str],
  ['macaddr', 'mac', str],
  ['system_filesystem_version', 'firmwareVersion', str],
  ['minertype', 'model', cleanModel],
];
const VERSION_BLOCK: readonly FieldRow[] = [
  ['Type', 'model', cleanModel],
  ['CompileTime', 'firmwareVersion', (v) => str(v)?.replace(/\s+/g, ' ') ?? null],
];

/** `Mode` 254 is sleep on X17 (foreman AntminerPowerModeITest captures). */
const SLEEP_MODE = 254;

function parse(raw: Parameters<FirmwareProfile['parse']>[0], ctx: Parameters<FirmwareProfile['parse']>[1]) {
  const { replies, repairs } = decodeCycle(raw, schemas, ctx.decoded);
  const draft: Draft = {};
  const summary = firstRow(replies.get('summary'), 'SUMMARY');
  const stats = rows(replies.get('stats'), 'STATS');
  const device = bmminerDevice(stats);
  const cgiStats = firstRow(replies.get('stats-cgi'), 'STATS');
  const cgiInfo = replies.get('stats-cgi')?.['INFO'];
  const sysInfo = replies.get('system-info') ?? null;

  applyRows(draft, sysInfo, SYSTEM_INFO);
  applyRows(draft, stats[0] ?? null, VERSION_BLOCK);
  if (isObject(cgiInfo)) applyRows(draft, cgiInfo, [['type', 'model', cleanModel]]);
  applyRows(draft, summary, SUMMARY);
  applyRows(draft, device, STATS_DEVICE);
  applyRows(draft, cgiStats, STATS_CGI);
  if (draft.powerW != null) draft.powerProvenance = 'reported';

  if (device) {
    draft.boards = bmminerBoards(device);
    draft.fansRpm = bmminerFans(device);
    draft.expectedHashrateThs = rateInUnitToThs(device['total_rateideal'], device['rate_unit']);
  } else if (cgiStats) {
    draft.boards = cgiBoards(cgiStats);
    draft.fansRpm = (Array.isArray(cgiStats['fan']) ? cgiStats['fan'] : [])
      .map(num)
      .filter((n) => n !== null && n > 0) as number[];
  }
  if (cgiStats && !(draft.expectedHashrateThs ?? 0)) {
    draft.expectedHashrateThs = rateInUnitToThs(
      cgiStats['rate_ideal'],
      String(cgiStats['rate_unit'] ?? 'GH').replace('/s', ''),
    );
  }
  const pools = rows(replies.get('pools'), 'POOLS');
  draft.pool = activePool(pools);
  draft.state = stateOf(draft, device, replies.size > 0);
  return finishReading('antminer-stock', draft, repairs, ctx);
}

/** stats.cgi `chain[]` (new_api layout): rates in GH, sensor arrays instead of dash strings. */
function cgiBoards(s: Row) {
  const chains = Array.isArray(s['chain']) ? s['chain'].filter(isObject) : [];
  return chains.map((c, i) => ({
    index: num(c['index']) ?? i,
    hashrateThs: ghsToThs(c['rate_real']),
    expectedHashrateThs: ghsToThs(c['rate_ideal']),
    chips: num(c['asic_num']),
    chipTempC: maxTemp(Array.isArray(c['temp_chip']) ? c['temp_chip'] : []),
    boardTempC: maxTemp(Array.isArray(c['temp_pcb']) ? c['temp_pcb'] : []),
  }));
}

/**
 * Hashing when the 5 s rate is positive. Sleeping when X17 says Mode 254, or when every chip
 * reads `x` at zero rate and zero average (S19 in sleep mode, foreman capture `s19-stats-sleeping`).
 * Starting in the first 10 minutes at zero rate; idle after that; error when no rate was read.
 */
function stateOf(d: Draft, device: Row | null, answered: boolean): Draft['state'] {
  if (!answered || d.hashrate5sThs == null) return 'error';
  if (d.hashrate5sThs > 0) return 'hashing';
  if (device && num(device['Mode']) === SLEEP_MODE) return 'sleeping';
  const chipMaps = device
    ? Object.entries(device)
        .filter(([k, v]) => /^chain_acs\d+$/.test(k) && typeof v === 'string' && v.trim() !== '')
        .map(([, v]) => String(v).replace(/\s/g, ''))
    : [];
  // All chips off: asleep if it never hashed since start, else a protection stop (the S19 Pro
  // overheating capture: 5 s rate 0, average 737 GH, chips at 93-97 C).
  if (chipMaps.length > 0 && chipMaps.every((m) => /^x+$/.test(m))) {
    return (d.hashrateAvgThs ?? 0) > 0 ? 'error' : 'sleeping';
  }
  if (d.uptimeS != null && d.uptimeS < 600) return 'starting';
  return 'idle';
}

/** Bitmain's own firmware strings; aftermarket builds reuse the `Antminer` Type and are excluded. */
const FOREIGN = /HIVEON|RWGLR|VNISH|ASICSEER|BLISSZ|BRAIINS|BOSMINER|BOSER|LUXMINER|BTMINER|MSKMINER/;

const digest: AuthScheme = { kind: 'http-digest', defaultUser: 'root' };
const ssh: AuthScheme = { kind: 'ssh-password', defaultUser: 'root' };
const post = (body: unknown) =>
  ({
    transport: 'http',
    port: 80,
    method: 'POST',
    path: '/cgi-bin/set_miner_conf.cgi',
    auth: 'digest',
    body,
  }) as const;

/**
 * Effects (issue 16). Windows: BOOT_S is an estimate of an Antminer's power-on to hashing (not
 * measured here); set_miner_conf.cgi restarts bmminer, so pool and mode changes get a boot window.
 * Refusals: a wrong digest login is HTTP 401 (the transport fails it); writes over RPC are denied
 * by the shipped `api-allow` "A:0/0,W:*" with Code 45 (recorded: testcases' get_miner_conf and the
 * Hiveon access-denied reply). No recorded refusal body of the CGI writes.
 */
const BOOT_S = 600;
const EFFECTS = {
  reboot: restarted(BOOT_S),
  'pool.set': poolActive(BOOT_S),
  sleep: hashing(false, BOOT_S),
  wake: hashing(true, BOOT_S),
  led: LED_UNOBSERVABLE,
};

export const antminerStock: FirmwareProfile = {
  id: 'antminer-stock',
  name: 'Antminer stock (bmminer / Bitmain cgminer)',
  detect(replies) {
    const v = detectView(replies);
    if (!v.versionRow || FOREIGN.test(v.text)) return null;
    const type = str(v.versionRow['Type']);
    if (!type || !/ANTMINER/i.test(type)) return null;
    return {
      profile: 'antminer-stock',
      model: cleanModel(type),
      firmwareVersion: str(v.versionRow['CompileTime'])?.replace(/\s+/g, ' ') ?? null,
      port: RPC,
    };
  },
  poll,
  schemas,
  parse,
  controls: withEffects(
    [
      {
        op: 'reboot',
        transport: 'http',
        auth: digest,
        steps: [{ transport: 'http', port: 80, method: 'GET', path: '/cgi-bin/reboot.cgi', auth: 'digest' }],
        expect: 'http-2xx',
        disruptive: true,
      },
      {
        op: 'reboot',
        transport: 'ssh',
        auth: ssh,
        steps: [{ transport: 'ssh', command: 'reboot' }],
        expect: 'connection-closed-ok',
        disruptive: true,
      },
      {
        op: 'pool.set',
        transport: 'http',
        auth: digest,
        steps: [post({ pools: [{ url: '{url}', user: '{user}', pass: '{password}' }] })],
        expect: 'http-2xx',
        disruptive: true,
        note: 'bmminer restarts to apply; some builds need the full get_miner_conf.cgi object with pools replaced',
      },
      {
        op: 'sleep',
        transport: 'http',
        auth: digest,
        steps: [post({ 'miner-mode': 1 })],
        expect: 'http-2xx',
        disruptive: true,
        note: 'set_miner_conf.cgi can take over 5 s (hass-miner#424); some firmware wants "1" as a string',
      },
      {
        op: 'wake',
        transport: 'http',
        auth: digest,
        steps: [post({ 'miner-mode': 0 })],
        expect: 'http-2xx',
        disruptive: true,
        note: 'set_miner_conf.cgi can take over 5 s (hass-miner#424)',
      },
      {
        op: 'led',
        transport: 'http',
        auth: digest,
        steps: [
          {
            transport: 'http',
            port: 80,
            method: 'POST',
            path: '/cgi-bin/blink.cgi',
            auth: 'digest',
            body: { blink: '{ledOnBool}' },
          },
        ],
        expect: 'http-2xx',
        disruptive: false,
        note: 'X9/X17 CGI takes form field action=startBlink|stopBlink instead',
      },
    ],
    EFFECTS,
  ),
  upgrade: {
    kind: 'http-upload',
    port: 80,
    path: '/cgi-bin/upgrade.cgi',
    auth: digest,
    field: 'firmware',
    fileName: 'firmware.tar.gz',
    fields: {},
    expect: 'http-2xx',
    effect: firmwareRunning(upgradeWindowS(BOOT_S)),
    source:
      'asic-rs (256foundation/asic-rs) Antminer web client upgrade_firmware: multipart POST of the image to /cgi-bin/upgrade.cgi with HTTP digest, the miner rebooting after; the form field name is not from a recorded upload',
  },
};
