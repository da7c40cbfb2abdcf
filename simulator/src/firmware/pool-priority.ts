import type { MinerModel } from '../model/miner.js';

/**
 * Pool priorities and stratum connections of the cgminer family, from its API documentation and
 * source (API-README `switchpool`/`addpool`; cgminer.c switch_pools) and one observation of a real
 * cgminer 4.11.1 (issue 16). `wire/cgminer.ts` fillPools writes every `pools` row from this.
 *
 * How long the old pool's stratum connection lingers after `switchpool`: real cgminer 4.11.1 kept
 * `Stratum Active: true` on both pools for 85-95 s (issue 16, observed on a real miner).
 */
export const OLD_CONNECTION_S = 90;

type PoolState = {
  prio: number[];
  draining: { index: number; untilMs: number } | null;
  /** Pools from the configuration; ones `addpool` added after them live only until a restart. */
  configured: number;
};

/** cgminer's per-pool priorities (pool->prio), kept per miner; a pool without one is the lowest. */
export function poolState(miner: MinerModel): PoolState {
  const st = (miner.session.get('cgminer-pools') as PoolState | undefined) ?? {
    prio: [],
    draining: null,
    configured: miner.pools.length,
  };
  st.prio = st.prio.slice(0, miner.pools.length);
  for (let i = st.prio.length; i < miner.pools.length; i++)
    st.prio.push(i === 0 ? 0 : Math.max(...st.prio) + 1);
  miner.session.set('cgminer-pools', st);
  return st;
}

/**
 * `switchpool|n` as cgminer.c switch_pools does it: pools above n's priority move down one, n
 * gets priority 0 and mining moves to it; the old pool's connection stays up a while.
 */
export function switchPool(miner: MinerModel, n: number, nowMs: number): void {
  const st = poolState(miner);
  const was = st.prio[n]!;
  if (was !== 0) for (let i = 0; i < st.prio.length; i++) if (st.prio[i]! < was) st.prio[i]! += 1;
  st.prio[n] = 0;
  if (miner.activePool !== n)
    st.draining = { index: miner.activePool, untilMs: nowMs + OLD_CONNECTION_S * 1000 };
  miner.activePool = n;
}

/** Priority and stratum state of a `pools` row, from the miner's pool state. */
export function poolRowState(
  miner: MinerModel,
  i: number,
  nowMs: number,
): { priority: number; stratumActive: boolean } {
  const st = poolState(miner);
  const draining = st.draining !== null && st.draining.index === i && nowMs < st.draining.untilMs;
  return { priority: st.prio[i]!, stratumActive: i === miner.activePool || draining };
}

/**
 * A daemon restart re-reads the configuration: pools added through the API are gone, priorities
 * are the configured order again (seen on a real cgminer 4.11.1 in issue 16: the pool added at run
 * time was lost by a restart).
 */
export function restartPools(miner: MinerModel): void {
  const st = poolState(miner);
  miner.pools.splice(st.configured);
  miner.activePool = 0;
  miner.session.set('cgminer-pools', { prio: [], draining: null, configured: miner.pools.length });
}
