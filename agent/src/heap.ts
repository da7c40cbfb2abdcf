import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what its last full collection kept, in percent.
 * Left to itself V8 grows it by a factor of up to 4 when collecting is cheap, as it is for the
 * agent (its full collections take a few ms): polling 5,000 miners it kept about 50 MB and grew to
 * 120-150 MB before collecting, most of the agent's resident memory (issue 15, goal < 150 MB).
 */
export const HEAP_GROWING_PERCENT = 30;

/**
 * Bounds the old generation's growth for the rest of the process (read by V8 at each full
 * collection, so it takes effect when set after start). `run` (cli.ts) calls it before the agent
 * starts. Measured with the built agent at 5,000 simulated miners, 25-s runs at load 4.6-5.3: RSS
 * median over its passes 163-164 MB instead of 253-268 MB, CPU per sample unchanged (0.72 vs 0.75-0.77 ms).
 */
export function boundHeapGrowth(percent: number = HEAP_GROWING_PERCENT): void {
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}

/*
 * Not set: a smaller young generation (`--max-semi-space-size`, a Node option, as V8 sizes it at
 * start; setFlagsFromString has no effect on it). V8's young generation on 64-bit Node 20 grows to
 * two 16 MB semi-spaces when a process allocates as fast as the agent does, about 32 MB of RSS
 * that holds only garbage between scavenges; but smaller semi-spaces cost CPU (likely because
 * replies and samples live across the awaits of 128 polls in flight and get promoted; not profiled).
 * Built agent at 5,000 simulated miners, two passes after the first, runs alternated (2026-12-07):
 * 4 MB: RSS median 138.0-138.2 MB against 158.5-163.7 MB, CPU per 1,000 samples 1.272-1.295
 * against 0.921-0.965 CPU-s (load 3.6-4.4), and in the agent bench at load 6 fixed-rate cycles
 * of 13.1-14.3 s for a 10 s interval; 8 MB: 151.9 MB against 162.1, 1.897 against 1.384 CPU-s (load 6-8); 2 MB: 132.4-132.7 MB,
 * CPU 1.15-1.6x. RSS bought with a third more CPU and late cycles: V8's default stays.
 */

/*
 * Measured again after the MQTT client's packet-id table and the safety guard's whole samples went
 * (2026-12-07, built agent launched at 5,000 simulated miners, two passes after the first, runs
 * alternated in one run at load 1.5-4.2), to see whether the young generation had become cheap to
 * shrink: V8's default 144.0-144.8 MB median RSS, 0.606-0.717 CPU-s per 1,000 polls; 8 MB
 * semi-spaces 128.2-129.6 MB, 0.841-0.884; 4 MB 116.3-120.0 MB, 0.944-0.998. Still a quarter to a
 * half more CPU: not set.
 * Also tried, no change beyond the noise of the same run (load 4.6-7.8): --heap-growing-percent
 * 15 and 5 instead of 30 (RSS median 143.9-146.7 and 143.5-145.9 MB against 139.0-144.3; the old
 * generation is now close to what it keeps); a spread poll cycle that waits out its targets' offsets
 * with one timer at a time instead of a timer and a pending promise per target from the cycle's
 * start (140.6-146.4 MB and 0.722-0.727 CPU-s against 143.3-144.4 and 0.680-0.753; reverted);
 * MALLOC_ARENA_MAX=2 in the environment (137.8-139.5 MB against 141.8-144.1, load 3.3-3.5; it
 * would go in the systemd unit, outside this folder).
 */
