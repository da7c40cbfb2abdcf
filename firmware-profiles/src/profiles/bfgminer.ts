import { CGMINER_PORT, rpcRequest, str } from '../cgminer-reply.js';
import { detectView } from '../detect-util.js';
import { LAST_POOL_INDEX } from '../effects.js';
import type { ControlOperation, FirmwareProfile, PollStep } from '../types.js';
import { cgminer } from './cgminer.js';

/**
 * BFGMiner (Luke Dashjr's cgminer fork, README-API): the cgminer RPC on 4028 with its own daemon
 * name. `version` answers `VERSION[0].Miner` "bfgminer 5.5.0" beside `CGMiner` "5.5.0", and every
 * STATUS Description names it (issue 16: such a miner was taken for plain cgminer). Readings are
 * cgminer's layout: MH/s, `MHS av` and the rolling `MHS <log interval>s` (`MHS 20s` on the miner of
 * issue 16, `MHS 5s` at the default), per device under `PGA`.
 *
 * Control, from BFGMiner's API source (api.c message table): `restart`, `addpool`, `switchpool` are
 * privileged (W: in --api-allow, else Code 45 "Access denied to 'X' command"); `addpool` answers
 * Code 55 "Added pool 'url'" without the new pool's index, so the index is read from the last row of
 * the `pools` reply (addpool appends); `switchpool|N` answers Code 27 "Switching to pool N:'url'".
 */
const rpc = rpcRequest;

const poll: PollStep[] = [
  { key: 'summary', request: rpc('summary') },
  { key: 'devs', request: rpc('devs') },
  { key: 'pools', request: rpc('pools') },
];

const cgminerOp = (op: ControlOperation['op']): ControlOperation =>
  cgminer.controls.find((c) => c.op === op)!;
const controls: ControlOperation[] = [
  // `restart` is cgminer's, answer and effect alike.
  cgminerOp('restart'),
  // `pool.set` is cgminer's but for the steps: the new pool's index is read from a `pools` reply.
  {
    ...cgminerOp('pool.set'),
    steps: [
      rpc('addpool', '{url},{user},{password}'),
      { ...rpc('pools'), capture: LAST_POOL_INDEX },
      rpc('switchpool', '{poolIndex}'),
    ],
  },
];

export const bfgminer: FirmwareProfile = {
  id: 'bfgminer',
  name: 'BFGMiner',
  detect(replies) {
    const v = detectView(replies);
    const row = v.versionRow;
    const miner = str(row?.['Miner']);
    if (!/^bfgminer\b/i.test(miner ?? v.description)) return null;
    return {
      profile: 'bfgminer',
      model: null,
      firmwareVersion: str(row?.['CGMiner']) ?? miner ?? v.description,
      port: CGMINER_PORT,
    };
  },
  poll,
  schemas: cgminer.schemas,
  // The same reports as cgminer; only the profile named in the reading differs.
  parse: (raw, ctx) => ({ ...cgminer.parse(raw, ctx), profile: 'bfgminer' }),
  controls,
  upgrade: { kind: 'none', why: 'BFGMiner has no firmware upgrade in its API: upgrade it on its host' },
};
