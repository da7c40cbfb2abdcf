import { loadavg } from 'node:os';

/** One goal's result, compared run to run: the figure beside its baseline from the same run. */
export type BenchLine = {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  goal: string;
  met: boolean;
  [extra: string]: unknown;
};

/** Prints `BENCH {json}` with the ratio to the baseline and the 1-min load average at the time. */
export function bench(line: BenchLine): void {
  const ratio = line.baseline ? Number((line.value / line.baseline).toFixed(3)) : null;
  console.log(`BENCH ${JSON.stringify({ ratio, ...line, load: Number(loadavg()[0]!.toFixed(2)) })}`);
}
