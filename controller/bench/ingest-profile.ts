/**
 * Where the ingest bench's CPU time goes (BENCH_PROFILE=1, controller/bench/ingest.bench.ts): the
 * V8 sampling profiler over the throughput phase only, self time summed by part of the path, so a
 * goal that is not met comes with the profile that shows why.
 */
import { Session } from 'node:inspector/promises';

type Node = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber?: number };
  children?: number[];
};
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[] };

// First match wins: the part of the path a function's own time is counted to.
const PARTS: [string, RegExp][] = [
  ['idle (waiting on the database, broker or timers)', /^\(idle\)/],
  ['garbage collection', /^\(garbage collector\)/],
  // The inspector handing over the profile (Profiler.stop), not the path.
  ['the profiler itself', /^dispatch $/],
  // better-sqlite3's native methods carry no script URL: SQLite's own work (statements, commits).
  [
    'SQLite statements and commits (better-sqlite3)',
    /better-sqlite3|core\/storage\/sqlite\.ts|^(run|exec|all|get|iterate|prepare) $/,
  ],
  ['PostgreSQL driver (pg)', /node_modules\/pg|core\/storage\/postgres\.ts/],
  ['socket writes (broker and database)', /^(writev|writeUtf8String|writeBuffer|writeLatin1String) /],
  ['decode and validation (contracts, zod)', /contracts\/src|zod/],
  ['MQTT link (mqtt, acks)', /node_modules\/mqtt|node_modules\/readable-stream|core\/mqtt/],
  ['ingest: stored rows and roll-ups', /fleet\/ingest|fleet\/hourly|fleet\/work|core\/storage\/bulk/],
  ['ingest: reconciliation, plausibility', /fleet\/inventory|firmware-profiles/],
  ['metrics (prom-client)', /prom-client/],
  ['bench bookkeeping', /controller\/bench/],
];

export type Profiled<T> = { result: T; parts: [string, number][]; frames: [string, number][] };

export async function profiled<T>(run: () => Promise<T>, frames = 10): Promise<Profiled<T>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    const result = await run();
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
    return { result, parts: summarise(profile), frames: topFrames(profile, frames) };
  } finally {
    session.disconnect();
  }
}

/** Self time per part of the path, in ms, largest first. */
export function summarise(profile: Profile): [string, number][] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const sums = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = byNode.get(id)!.callFrame;
    const key = `${frame.functionName} ${frame.url}`;
    const part =
      PARTS.find(([, re]) => re.test(key) || re.test(frame.url))?.[0] ?? 'other (node internals, timers)';
    sums.set(part, (sums.get(part) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...sums].sort((a, b) => b[1] - a[1]);
}

/** The `n` functions with the most self time, in ms, largest first, named by file and line. */
export function topFrames(profile: Profile, n = 10): [string, number][] {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const sums = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const f = byNode.get(id)!.callFrame;
    const where = f.url
      ? ` ${f.url.replace(/^.*\/(node_modules|src|bench)\//, '$1/')}:${(f.lineNumber ?? 0) + 1}`
      : '';
    const key = `${f.functionName || '(anonymous)'}${where}`;
    sums.set(key, (sums.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...sums].sort((a, b) => b[1] - a[1]).slice(0, n);
}
