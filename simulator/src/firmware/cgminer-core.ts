import { statusOnly } from '../wire/cgminer.js';
import { poolState, restartPools, switchPool } from './pool-priority.js';
import type { CommandHandler, RpcCall, RpcFirmware } from './types.js';

/**
 * Upstream cgminer's privileged pool and process commands (API-README; codes from api.c),
 * shared by every cgminer fork that keeps them. `description` is the firmware's STATUS text.
 */
export function coreCommands(description: RpcFirmware['description']): Record<string, CommandHandler> {
  const ok = (call: RpcCall, code: number, msg: string, letter = 'S') =>
    statusOnly(letter, code, msg, call.now, description(call.miner));
  const poolIndex = (call: RpcCall): number | null => {
    const n = Number(call.parameter);
    return Number.isInteger(n) && n >= 0 && n < call.miner.pools.length ? n : null;
  };
  return {
    restart: (call) => ({
      doc: { STATUS: 'RESTART' },
      wire: '{"STATUS":"RESTART"}',
      after: () => {
        restartPools(call.miner);
        call.miner.restartDaemon(call.now);
      },
    }),
    quit: (call) => ({
      doc: { STATUS: 'BYE' },
      wire: '{"STATUS":"BYE"}',
      // A quit cgminer stays down until someone restarts it; a watchdog on the miner does after a while.
      after: () => call.miner.restartDaemon(call.now + 60_000),
    }),
    switchpool: (call) => {
      const n = poolIndex(call);
      if (n === null) return { doc: ok(call, 26, `Invalid pool id ${call.parameter ?? ''}`, 'E') };
      switchPool(call.miner, n, call.now);
      return { doc: ok(call, 27, `Switching to pool ${n}:'${call.miner.pools[n]!.url}'`) };
    },
    enablepool: (call) => {
      const n = poolIndex(call);
      return { doc: n === null ? ok(call, 26, 'Invalid pool id', 'E') : ok(call, 47, `Enabling pool ${n}`) };
    },
    disablepool: (call) => {
      const n = poolIndex(call);
      return { doc: n === null ? ok(call, 26, 'Invalid pool id', 'E') : ok(call, 48, `Disabling pool ${n}`) };
    },
    removepool: (call) => {
      const n = poolIndex(call);
      if (n === null || call.miner.pools.length <= 1) return { doc: ok(call, 26, 'Invalid pool id', 'E') };
      const st = poolState(call.miner);
      const [removed] = call.miner.pools.splice(n, 1);
      st.prio.splice(n, 1);
      st.draining = null;
      if (call.miner.activePool >= call.miner.pools.length) call.miner.activePool = 0;
      return { doc: ok(call, 68, `Removed pool ${n}:'${removed!.url}'`) };
    },
    addpool: (call) => {
      const [url, user, password] = (call.parameter ?? '').split(',');
      if (!url || user === undefined) return { doc: ok(call, 52, 'Missing addpool details', 'E') };
      poolState(call.miner); // the configured pools, before this one
      call.miner.pools.push({ url, user, password: password ?? '' });
      return { doc: ok(call, 55, `Added pool ${call.miner.pools.length - 1}: '${url}'`) };
    },
  };
}

export const CORE_PRIVILEGED = [
  'restart',
  'quit',
  'switchpool',
  'enablepool',
  'disablepool',
  'removepool',
  'addpool',
];
