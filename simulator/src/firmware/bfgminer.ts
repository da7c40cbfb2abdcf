import { template } from '../templates.js';
import { put, stamp } from '../wire/cgminer.js';
import { cgminer } from './cgminer.js';
import { CORE_PRIVILEGED, coreCommands } from './cgminer-core.js';
import type { CommandHandler, RpcCall, RpcFirmware } from './types.js';

type Doc = Record<string, unknown>;
const description = (m: RpcCall['miner']): string => `bfgminer ${m.firmwareVersion}`;
const mhs = (ths: number) => ths * 1e6;

/**
 * BFGMiner 5.x: the recorded BFGMiner 3.8.1 `summary` (recorded/bfgminer/) with the miner's
 * figures. The rest is cgminer's layout as BFGMiner's API source (api.c) writes it, not a
 * recording: `version` rows `Miner`/`CGMiner`/`API 3.1`, devices under `PGA`, and `addpool`
 * answering "Added pool 'url'" without the new pool's index.
 */
function summary(call: RpcCall): Doc {
  const { miner: m, now } = call;
  const d = stamp(template('bfgminer/bfgminer381-summary.json.txt'), now, description(m));
  const s = (d.SUMMARY as Doc[])[0]!;
  const avg = mhs(m.averageThs(now));
  put(s, 'Elapsed', m.elapsedS(now));
  put(s, 'MHS av', avg, 3);
  put(s, 'MHS 5s', mhs(m.hashrateThs), 3);
  put(s, 'Accepted', m.accepted);
  put(s, 'Rejected', m.rejected);
  put(s, 'Hardware Errors', m.hardwareErrors);
  put(s, 'Total MH', Math.round(avg * m.elapsedS(now)), 4);
  put(s, 'Difficulty Accepted', m.difficultyAccepted, 8);
  put(s, 'Difficulty Rejected', m.difficultyRejected, 8);
  put(s, 'Best Share', m.bestShare);
  return d;
}

/** cgminer's reply with BFGMiner's Description, and devices keyed `PGA` (api.c devstatus_an). */
const restamped =
  (handler: CommandHandler): CommandHandler =>
  (call) => {
    const doc = handler(call).doc as Doc;
    stamp(doc, call.now, description(call.miner));
    if (Array.isArray(doc.DEVS)) {
      doc.DEVS = (doc.DEVS as Doc[]).map(({ ASC, ...row }) => ({ PGA: ASC, ...row }));
    }
    return { doc };
  };

function version(call: RpcCall): Doc {
  const m = call.miner;
  return {
    STATUS: [
      {
        STATUS: 'S',
        When: Math.floor(call.now / 1000),
        Code: 22,
        Msg: 'BFGMiner versions',
        Description: description(m),
      },
    ],
    VERSION: [{ Miner: description(m), CGMiner: m.firmwareVersion, API: '3.1' }],
    id: 1,
  };
}

const core = coreCommands(description);

export const bfgminer: RpcFirmware = {
  profile: 'bfgminer',
  description,
  nulTerminated: true,
  joinable: true,
  defaultApiAllow: 'W:0/0',
  privileged: new Set(CORE_PRIVILEGED),
  commands: {
    ...core,
    addpool: (call) => {
      const reply = core.addpool!(call);
      const status = ((reply.doc as Doc).STATUS as Doc[])[0]!;
      if (status.Code === 55) status.Msg = `Added pool '${call.miner.pools.at(-1)!.url}'`;
      return reply;
    },
    summary: (call) => ({ doc: summary(call) }),
    devs: restamped(cgminer.commands.devs!),
    pools: restamped(cgminer.commands.pools!),
    version: (call) => ({ doc: version(call) }),
  },
};
