import { bmminerBoards, bmminerDevice, bmminerFans, rateInUnitToThs } from '../bmminer-stats.js';
import {
  activePool,
  CGMINER_COUNTERS,
  CGMINER_PORT,
  cgminerSchemas,
  count,
  decodeCycle,
  firstRow,
  isObject,
  mhsToThs,
  nonNeg,
  num,
  type Reply,
  rows,
  str,
  tempC,
} from '../cgminer-reply.js';
import { cleanModel, detectView } from '../detect-util.js';
import {
  DAEMON_RESTART_WINDOW_S,
  firmwareRunning,
  hashing,
  powerWithin,
  restarted,
  upgradeWindowS,
  withEffects,
} from '../effects.js';
import { applyRows, type Draft, type FieldRow, finishReading, stateFromRate } from '../reading.js';
import type { AuthScheme, ControlOperation, FirmwareProfile, PollStep } from '../types.js';

/**
 * Braiins OS / OS+ through BOSminer's cgminer-compatible API on 4028 (MH/s units, extra
 * `temps`/`fans`/`tunerstatus`, `pause`/`resume`). The 2018-19 bmminer-based "bOS" answers the
 * same joined request with bmminer `stats` and E statuses for the BOSminer-only commands.
 * docs/reference.md §5, §7.
 */
const RPC = CGMINER_PORT;
/** One joined request: BOSminer supports multi-command, and one connection per cycle is kinder. */
const REPORT = 'summary+devs+devdetails+temps+fans+tunerstatus+pools+stats';

const poll: PollStep[] = [
  { key: 'report', request: { transport: 'rpc', port: RPC, command: REPORT, format: 'json' } },
];
const schemas = cgminerSchemas(['report', ...REPORT.split('+')]);

const SUMMARY: readonly FieldRow[] = [
  ['MHS 5s', 'hashrate5sThs', mhsToThs],
  ['MHS av', 'hashrateAvgThs', mhsToThs],
  ...CGMINER_COUNTERS,
];
/** The tuner's own estimate: BOSminer has no power meter. */
const TUNER: readonly FieldRow[] = [
  ['ApproximateMinerPowerConsumption', 'powerW', nonNeg],
  ['PowerLimit', 'powerLimitW', nonNeg],
];
/** Legacy bOS (bmminer): the `stats` device row. */
const LEGACY_STATS: readonly FieldRow[] = [
  ['GHS 5s', 'hashrate5sThs', (v) => rateInUnitToThs(v, 'GH')],
  ['GHS av', 'hashrateAvgThs', (v) => rateInUnitToThs(v, 'GH')],
  ['Elapsed', 'uptimeS', count],
];

/** `"BOSminer+ 0.2.0-36c56a9363"`, `"BOSer boser-openwrt 0.1.0-11012d53"`: the daemon and its build. */
function firmwareOf(replies: Map<string, Reply>): string | null {
  for (const r of replies.values()) {
    const s = r['STATUS'];
    const d = Array.isArray(s) && isObject(s[0]) ? str(s[0]['Description']) : null;
    if (d && /BOS|bOS_|bmminer/i.test(d)) return d.replace(/^bmminer /, '');
  }
  return null;
}

function parse(raw: Parameters<FirmwareProfile['parse']>[0], ctx: Parameters<FirmwareProfile['parse']>[1]) {
  const { replies, repairs } = decodeCycle(raw, schemas, ctx.decoded);
  const draft: Draft = {};
  applyRows(draft, firstRow(replies.get('summary'), 'SUMMARY'), SUMMARY);
  applyRows(draft, firstRow(replies.get('tunerstatus'), 'TUNERSTATUS'), TUNER);
  if (draft.powerW != null) draft.powerProvenance = 'estimated';

  const devs = rows(replies.get('devs'), 'DEVS');
  const details = new Map(rows(replies.get('devdetails'), 'DEVDETAILS').map((d) => [num(d['ID']), d]));
  const temps = new Map(rows(replies.get('temps'), 'TEMPS').map((t) => [num(t['ID']), t]));
  // Boards are keyed by `ID` (6..8 on S9, 1..3 on X17); any of devs/devdetails/temps may be absent.
  const ids = [...new Set([...devs.map((d) => num(d['ID'])), ...details.keys(), ...temps.keys()])].filter(
    (id): id is number => id !== null,
  );
  draft.boards = ids
    .sort((a, b) => a - b)
    .map((id) => {
      const dev = devs.find((d) => num(d['ID']) === id);
      return {
        index: id,
        hashrateThs: mhsToThs(dev?.['MHS 1m'] ?? dev?.['MHS 5s']),
        expectedHashrateThs: mhsToThs(dev?.['Nominal MHS']),
        chips: num(details.get(id)?.['Chips']),
        chipTempC: tempC(temps.get(id)?.['Chip']),
        boardTempC: tempC(temps.get(id)?.['Board']),
      };
    });
  const nominal = devs.map((d) => mhsToThs(d['Nominal MHS'])).filter((n): n is number => n !== null);
  if (nominal.length) draft.expectedHashrateThs = Math.round(nominal.reduce((a, b) => a + b, 0) * 1e6) / 1e6;
  if (!draft.hashrate5sThs && devs.length) {
    const sum = devs.map((d) => mhsToThs(d['MHS 5s']) ?? 0).reduce((a, b) => a + b, 0);
    draft.hashrate5sThs = Math.round(sum * 1e6) / 1e6;
  }
  const fans = rows(replies.get('fans'), 'FANS');
  draft.fansRpm = fans.map((f) => num(f['RPM'])).filter((n): n is number => n !== null && n > 0);

  const statsRows = rows(replies.get('stats'), 'STATS');
  const legacy = bmminerDevice(
    statsRows.filter((s) => 'chain_rate6' in s || 'chain_acn1' in s || 'chain_acn6' in s),
  );
  if (legacy) {
    applyRows(draft, legacy, LEGACY_STATS);
    if (!draft.boards.length) draft.boards = bmminerBoards(legacy);
    if (!draft.fansRpm.length) draft.fansRpm = bmminerFans(legacy);
    draft.expectedHashrateThs ??= rateInUnitToThs(legacy['total_rateideal'], legacy['rate_unit']);
  }
  const model = str(details.values().next().value?.['Model']) ?? str(statsRows[0]?.['Type']);
  draft.model = model ? cleanModel(model.replace(/^Bitmain\s+/, '')) : null;
  draft.firmwareVersion = firmwareOf(replies);
  draft.pool = activePool(rows(replies.get('pools'), 'POOLS'));
  draft.state = stateFromRate(draft);
  return finishReading('braiins-os', draft, repairs, ctx);
}

const ssh: AuthScheme = { kind: 'ssh-password', defaultUser: 'root' };
const none: AuthScheme = { kind: 'none' };
/**
 * Effects (issue 16). The power target is read back from `tunerstatus` PowerLimit; BOOT_S is an
 * estimate of power-on to hashing (not measured here), also given to the bosminer restart that
 * applies a power target while the tuner settles.
 * Answers: `pause`/`resume` from the BOSminer+ API documentation (vendor example, not a capture);
 * the SSH operations are judged by their exit status.
 */
const BOOT_S = 600;
const EFFECTS = {
  reboot: restarted(BOOT_S),
  restart: restarted(DAEMON_RESTART_WINDOW_S),
  'power.target': powerWithin(BOOT_S),
  sleep: hashing(false, DAEMON_RESTART_WINDOW_S),
  wake: hashing(true, BOOT_S),
};

const controls: ControlOperation[] = withEffects(
  [
    {
      op: 'reboot',
      transport: 'ssh',
      auth: ssh,
      steps: [{ transport: 'ssh', command: 'reboot' }],
      expect: 'connection-closed-ok',
      disruptive: true,
    },
    {
      op: 'restart',
      transport: 'ssh',
      auth: ssh,
      steps: [{ transport: 'ssh', command: '/etc/init.d/bosminer restart' }],
      expect: 'exit-0',
      disruptive: true,
    },
    {
      op: 'power.target',
      transport: 'ssh',
      auth: ssh,
      steps: [
        {
          transport: 'ssh',
          command:
            "sed -i -e '/^\\[autotuning\\]/,/^\\[/ s/^\\(power_target\\|psu_power_limit\\) *=.*/\\1 = {watts}/' /etc/bosminer.toml && /etc/init.d/bosminer restart",
        },
      ],
      expect: 'exit-0',
      disruptive: true,
      note: 'edits the [autotuning] power target (psu_power_limit before 21.x) in /etc/bosminer.toml; BOS >= 22.08 prefers gRPC PerformanceService.SetPowerTarget',
    },
    {
      op: 'sleep',
      transport: 'rpc',
      auth: none,
      steps: [{ transport: 'rpc', port: RPC, command: 'pause', format: 'json' }],
      expect: 'status-ok',
      disruptive: false,
    },
    {
      op: 'wake',
      transport: 'rpc',
      auth: none,
      steps: [{ transport: 'rpc', port: RPC, command: 'resume', format: 'json' }],
      expect: 'status-ok',
      disruptive: false,
    },
  ],
  EFFECTS,
);

export const braiinsOs: FirmwareProfile = {
  id: 'braiins-os',
  name: 'Braiins OS / OS+ (BOSminer RPC)',
  detect(replies) {
    const v = detectView(replies);
    if (!/BOSMINER|BOSER|BRAIINS|BOS_AM/.test(v.text)) return null;
    const row = v.versionRow ?? {};
    const daemon = ['BOSer', 'BOSminer+', 'BOSminer'].map((k) => str(row[k])).find((x) => x) ?? null;
    const dev = firstRow(v.devdetails ?? undefined, 'DEVDETAILS');
    // Legacy bOS names the model only in `Type` ("braiins-am1-s9", a model-table alias).
    const model = str(dev?.['Model']) ?? str(row['Type']);
    return {
      profile: 'braiins-os',
      model: model ? cleanModel(model.replace(/^Bitmain\s+/, '')) : null,
      firmwareVersion: v.description.replace(/^bmminer /, '') || daemon,
      port: RPC,
    };
  },
  poll,
  schemas,
  parse,
  controls,
  upgrade: {
    kind: 'ssh-stream',
    command: 'cat > /tmp/firmware.tar && sysupgrade -F /tmp/firmware.tar',
    auth: ssh,
    effect: firmwareRunning(upgradeWindowS(BOOT_S)),
    source:
      'Braiins OS+ manual (tgr-braiins/braiins-os-docs, Setup/2_upgrade_downgrade_uninstall_old.rst): a firmware tarball at /tmp/firmware.tar flashed with `sysupgrade -F`, the SSH connection closed as the miner reboots',
  },
};
