import type { BoardReading } from '@hashfleet/contracts';
import {
  activePool,
  CGMINER_COUNTERS,
  CGMINER_PORT,
  cgminerSchemas,
  count,
  decodeCycle,
  firstRow,
  ghsToThs,
  mhsToThs,
  num,
  type Row,
  round,
  rows,
  str,
  tempC,
} from '../cgminer-reply.js';
import { detectView } from '../detect-util.js';
import {
  controlOps,
  DAEMON_RESTART_WINDOW_S,
  hashing,
  LED_UNOBSERVABLE,
  poolActive,
  restarted,
  withEffects,
} from '../effects.js';
import { applyRows, type Draft, type FieldRow, finishReading, stateFromRate } from '../reading.js';
import type { AuthScheme, FirmwareProfile, PollStep, RpcRequest } from '../types.js';

/**
 * Canaan Avalon (cgminer 4.10/4.11 fork). Hardware figures live in `estats` as one packed string
 * per module, `"MM ID0": "Ver[..] Temp[31] MGHS[59459.52 61407.83 63139.66] .."`; A10+ units have one
 * module (MM ID0) with per-board lists, A7/A8 units one module per `MM ID1..N`, Avalon Q/Nano a
 * `MM ID0:Summary` key. The API is single-threaded: one joined request per cycle. docs/reference.md §1, §5.
 */
const RPC = CGMINER_PORT;
const REPORT = 'summary+estats+pools';
const poll: PollStep[] = [
  { key: 'report', request: { transport: 'rpc', port: RPC, command: REPORT, format: 'json' } },
];
const schemas = cgminerSchemas(['report', 'summary', 'estats', 'stats', 'pools', 'devs']);

/** `KEY[v1 v2 ..]` tokens of a packed MM ID string. */
export function mmTokens(packed: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of packed.matchAll(/([A-Za-z][\w]*)\[([^\]]*)\]/g))
    if (!out.has(m[1]!)) out.set(m[1]!, m[2]!.trim());
  return out;
}
const list = (t: Map<string, string>, k: string): number[] =>
  (t.get(k) ?? '')
    .split(/\s+/)
    .map((p) => num(p.replace(/%$/, '')))
    .filter((n): n is number => n !== null);
const one = (t: Map<string, string>, k: string): number | null => list(t, k)[0] ?? null;

/** Every packed module string of an `estats`/`stats` reply, in key order. */
function modules(stats: Row[]): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  for (const row of stats) {
    for (const [k, v] of Object.entries(row))
      if (/^MM ID\d+/.test(k) && typeof v === 'string') out.push(mmTokens(v));
  }
  return out;
}

/** `Ver[15-194-24102401_..]` -> "15-194"; `Ver[1047-19120401_..]` -> "1047"; `Ver[7411706-..]` (A7/A8) -> "741". */
function modelFromVer(ver: string | undefined): string | null {
  if (!ver) return null;
  const modern = /^(.+?)-\d{8}_/.exec(ver);
  if (modern) return modern[1]!;
  const old = /^(\d{3})\d{4}-/.exec(ver);
  return old ? old[1]! : null;
}
const firmwareFromVer = (ver: string | undefined): string | null =>
  ver ? (/-(\d{8}_.+)$/.exec(ver)?.[1] ?? ver) : null;

const SUMMARY: readonly FieldRow[] = [['MHS av', 'hashrateAvgThs', mhsToThs], ...CGMINER_COUNTERS];

function parse(raw: Parameters<FirmwareProfile['parse']>[0], ctx: Parameters<FirmwareProfile['parse']>[1]) {
  const { replies, repairs } = decodeCycle(raw, schemas, ctx.decoded);
  const draft: Draft = {};
  // `devs` (one ASC per controller) carries the same counters when `summary` is not at hand.
  const summary = firstRow(replies.get('summary'), 'SUMMARY') ?? firstRow(replies.get('devs'), 'DEVS');
  applyRows(draft, summary, SUMMARY);
  if (summary) {
    // The rolling key follows cgminer's log interval: `MHS 30s` on Avalon, not `MHS 5s`.
    const rolling = Object.keys(summary).find((k) => /^MHS \d+s$/.test(k));
    if (rolling) draft.hashrate5sThs = mhsToThs(summary[rolling]);
  }
  const mms = modules(rows(replies.get('estats') ?? replies.get('stats'), 'STATS'));
  const mm = mms[0];
  if (mm) {
    const ver = mm.get('Ver');
    const m = modelFromVer(ver);
    draft.model = m ? (m === 'Q' ? 'Avalon Q' : `AvalonMiner ${m}`) : null;
    draft.firmwareVersion = firmwareFromVer(ver);
    draft.boards = mms.length > 1 ? moduleBoards(mms) : boardsOf(mm);
    const expected = mms.map((t) => one(t, 'GHSmm')).filter((n): n is number => n !== null);
    if (expected.length) draft.expectedHashrateThs = ghsToThs(expected.reduce((a, b) => a + b, 0));
    draft.chipTempMaxC = maxOf(mms.map((t) => tempC(one(t, 'TMax'))));
    draft.inletTempC = tempC(one(mm, 'HBITemp') ?? one(mm, 'Temp'));
    draft.outletTempC = tempC(one(mm, 'HBOTemp'));
    draft.fansRpm = mms.flatMap((t) =>
      [...t.keys()]
        .filter((k) => /^Fan\d*$/.test(k))
        .map((k) => one(t, k) ?? 0)
        .filter((rpm) => rpm > 0),
    );
    // WALLPOWER (A15), else PS[..] index 6 = Pwall, else index 4 = power to the hash boards (CA §2.9).
    const ps = list(mm, 'PS');
    const watts = one(mm, 'WALLPOWER') ?? ps[6] ?? ps[4] ?? null;
    if (watts !== null && watts > 0) {
      draft.powerW = watts;
      draft.powerProvenance = 'reported';
    }
    draft.powerLimitW = one(mm, 'MPO');
    draft.uptimeS ??= count(one(mm, 'Elapsed'));
    draft.hashrateAvgThs ??= ghsToThs(one(mm, 'GHSavg'));
    // GHSspd is the module's current speed: the rolling rate when no summary/devs was read.
    draft.hashrate5sThs ??= ghsToThs(one(mm, 'GHSspd'));
    const boardSum = draft.boards.map((b) => b.hashrateThs).filter((n): n is number => n !== null);
    if (draft.hashrate5sThs == null && boardSum.length)
      draft.hashrate5sThs = round(boardSum.reduce((a, b) => a + b, 0));
  }
  draft.pool = activePool(rows(replies.get('pools'), 'POOLS'));
  const work = mm?.get('SYSTEMSTATU') ?? '';
  const idle = /In Idle/i.test(work) || (one(mm ?? new Map(), 'SoftOFF') ?? 0) > 0;
  draft.state = stateFromRate(draft, idle ? 'sleeping' : null);
  return finishReading('avalon', draft, repairs, ctx);
}

/** One module with per-board lists: MGHS (GH), MTmax (max chip temp); no PCB sensor is reported. */
function boardsOf(t: Map<string, string>): BoardReading[] {
  const rates = list(t, 'MGHS');
  const tmax = list(t, 'MTmax');
  return rates.map((r, i) => ({
    index: i,
    hashrateThs: round(r / 1000),
    expectedHashrateThs: null,
    chips: null,
    chipTempC: tempC(tmax[i]),
    boardTempC: null,
  }));
}

/** A7/A8: each module is one unit of hashing; its GHSmm is its nominal rate. */
function moduleBoards(mms: Map<string, string>[]): BoardReading[] {
  return mms.map((t, i) => ({
    index: i,
    hashrateThs: null,
    expectedHashrateThs: ghsToThs(one(t, 'GHSmm')),
    chips: null,
    chipTempC: tempC(one(t, 'TMax')),
    boardTempC: null,
  }));
}

function maxOf(vs: (number | null)[]): number | null {
  const ns = vs.filter((v): v is number => v !== null);
  return ns.length ? Math.max(...ns) : null;
}

const none: AuthScheme = { kind: 'none' };
const ascset = (parameter: string): RpcRequest => ({
  transport: 'rpc',
  port: RPC,
  command: 'ascset',
  parameter,
  format: 'json',
});
const op = controlOps<RpcRequest>('rpc', none, 'status-ok');

/**
 * Effects (issue 16). `setpool` applies only after the reboot that follows it (CA manual 2.5);
 * BOOT_S is an estimate of an Avalon's power-on to hashing, not measured here.
 * Answers: `ascset` acceptance is STATUS I/S Code 118/119 (recorded: q-ascset-softoff,
 * a10xx-ascset-led-on); its refusal STATUS E "ASC 0 set failed" is from cgminer's api.c, not recorded.
 */
const BOOT_S = 600;
const EFFECTS = {
  reboot: restarted(BOOT_S),
  restart: restarted(DAEMON_RESTART_WINDOW_S),
  'pool.set': poolActive(BOOT_S),
  sleep: hashing(false, BOOT_S),
  wake: hashing(true, BOOT_S),
  led: LED_UNOBSERVABLE,
};

export const avalon: FirmwareProfile = {
  id: 'avalon',
  name: 'Canaan Avalon (cgminer fork)',
  detect(replies) {
    const v = detectView(replies);
    if (!/AVALON/.test(v.text)) return null;
    const row = v.versionRow ?? {};
    return {
      profile: 'avalon',
      model: str(row['PROD']),
      firmwareVersion: str(row['VERSION']) ?? str(row['CGVERSION']) ?? str(row['LVERSION']),
      port: RPC,
    };
  },
  poll,
  schemas,
  parse,
  controls: withEffects(
    [
      op('reboot', [ascset('0,reboot,0')], true),
      op(
        'restart',
        [{ transport: 'rpc', port: RPC, command: 'restart', format: 'json' }],
        true,
        'restarts cgminer only',
      ),
      op(
        'pool.set',
        [ascset('0,setpool,{webUser},{webPassword},{url},{user},{password}'), ascset('0,reboot,0')],
        true,
        'setpool needs the web login and a reboot to apply (CA manual 2.5)',
      ),
      op('sleep', [ascset('0,softoff,1:{unixTime}')], true),
      op('wake', [ascset('0,softon,1:{unixTime}')], true),
      op('led', [ascset('0,led,1-{ledOn}')], false),
    ],
    EFFECTS,
  ),
  upgrade: {
    kind: 'none',
    why: "the Avalon API manuals this profile cites (docs/reference.md) document no firmware upload; upgrade with Canaan's tool",
  },
};
