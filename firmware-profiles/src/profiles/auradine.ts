import {
  activePool,
  CGMINER_COUNTERS,
  CGMINER_PORT,
  cgminerSchemas,
  decodeCycle,
  firstRow,
  isObject,
  leadingNum,
  maxTemp,
  mhsToThs,
  num,
  rows,
  rpcRequest,
  str,
  tempC,
} from '../cgminer-reply.js';
import { detectView } from '../detect-util.js';
import { applyRows, type Draft, type FieldRow, finishReading, stateFromRate } from '../reading.js';
import type { FirmwareProfile, PollStep } from '../types.js';
import { cgminer } from './cgminer.js';

/**
 * Auradine Teraflux (GCMiner): a cgminer fork on 4028 that reports MH/s like upstream and adds its
 * own report commands `fan`, `psu` and `temperature` (testcases/auradine/). The version reply names
 * the daemon (`VERSION[0].GCMiner`, Description `GCMiner-...`) but not the model, so the model comes
 * from the slot's inventory. Fans, PSU and per-chip temperatures are optional steps: a miner that
 * refuses one still gives hashrate and shares.
 */
const rpc = rpcRequest;

const poll: PollStep[] = [
  { key: 'summary', request: rpc('summary') },
  { key: 'devs', request: rpc('devs') },
  { key: 'pools', request: rpc('pools') },
  { key: 'fan', request: rpc('fan'), optional: true },
  { key: 'psu', request: rpc('psu'), optional: true },
  { key: 'temperature', request: rpc('temperature'), optional: true },
];
const schemas = cgminerSchemas(poll.map((s) => s.key));

const SUMMARY: readonly FieldRow[] = [
  ['MHS 5s', 'hashrate5sThs', mhsToThs],
  ['MHS av', 'hashrateAvgThs', mhsToThs],
  ...CGMINER_COUNTERS,
];

/** `psu` values are strings with their unit (`"PowerIn": "58.94W"`): the leading number, in W. */
const PSU: readonly FieldRow[] = [['PowerIn', 'powerW', leadingNum]];

/** `temperature` rows by hash-board ID (`Hash Board N`, ID N as in `devs`): the hottest chip sensor. */
function chipTempsByBoard(reply: Record<string, unknown> | undefined): Map<number, number | null> {
  const out = new Map<number, number | null>();
  for (const t of rows(reply, 'Temperature')) {
    const id = num(t['ID']);
    const chips = Array.isArray(t['ChipTemp']) ? t['ChipTemp'].filter(isObject) : [];
    if (id !== null && chips.length) out.set(id, maxTemp(chips.map((c) => c['Temperature'])));
  }
  return out;
}

function parse(raw: Parameters<FirmwareProfile['parse']>[0], ctx: Parameters<FirmwareProfile['parse']>[1]) {
  const { replies, repairs } = decodeCycle(raw, schemas, ctx.decoded);
  const draft: Draft = {};
  applyRows(draft, firstRow(replies.get('summary'), 'SUMMARY'), SUMMARY);
  applyRows(draft, firstRow(replies.get('psu'), 'PSU'), PSU);
  const chipTemps = chipTempsByBoard(replies.get('temperature'));
  draft.boards = rows(replies.get('devs'), 'DEVS').map((d, i) => {
    const index = num(d['ID']) ?? num(d['DEV']) ?? i;
    return {
      index,
      hashrateThs: mhsToThs(d['MHS 5s'] ?? d['MHS av']),
      expectedHashrateThs: null,
      chips: null,
      chipTempC: chipTemps.get(index) ?? null,
      boardTempC: tempC(d['Temperature']),
    };
  });
  draft.fansRpm = rows(replies.get('fan'), 'Fan')
    .map((f) => num(f['Speed']))
    .filter((n): n is number => n !== null);
  const status = replies.get('summary')?.['STATUS'];
  draft.firmwareVersion = Array.isArray(status) && isObject(status[0]) ? str(status[0]['Description']) : null;
  draft.pool = activePool(rows(replies.get('pools'), 'POOLS'));
  draft.state = stateFromRate(draft);
  return finishReading('auradine', draft, repairs, ctx);
}

export const auradine: FirmwareProfile = {
  id: 'auradine',
  name: 'Auradine GCMiner',
  detect(replies) {
    const v = detectView(replies);
    const daemon = str(v.versionRow?.['GCMiner']);
    // GCMiner names itself in VERSION and Description (testcases/auradine/); FluxOS is the name
    // pyasic also detects Auradine by.
    if (!daemon && !/^(GCMINER|FLUXOS)/i.test(v.description)) return null;
    return { profile: 'auradine', model: null, firmwareVersion: daemon ?? v.description, port: CGMINER_PORT };
  },
  poll,
  schemas,
  parse,
  // The upstream cgminer writes GCMiner kept (restart, addpool), needing W: in --api-allow. Its web
  // API on 8080 (mode, led, updatepools behind a `Token` header) needs an auth scheme the agent lacks.
  controls: cgminer.controls,
  upgrade: {
    kind: 'none',
    why: 'no firmware upload is documented for the GCMiner API this profile speaks; upgrade Auradine units with the vendor tool',
  },
};
