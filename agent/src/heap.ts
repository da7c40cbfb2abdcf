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

/**
 * Node options the shipped agent runs with: deploy/agent/hashfleet-agent.service sets them as
 * NODE_OPTIONS (V8 sizes its young generation when the process starts, so, unlike the bound above,
 * they cannot be set from inside), and the agent bench launches its agent with them
 * (agent/bench/poll.bench.ts).
 *
 * `--max-semi-space-size`: V8's young generation on 64-bit Node 20 grows to two 16 MB semi-spaces
 * plus room for large objects when a process allocates as fast as the agent does (every reply,
 * reading and sample is short-lived), about 32 MB of RSS that holds only garbage between
 * scavenges. 4 MB semi-spaces scavenge more often, each scavenge cheaper.
 */
export const AGENT_NODE_OPTIONS = ['--max-semi-space-size=4'] as const;
