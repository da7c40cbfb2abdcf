import type { Highs, ModelData } from 'highs';

/** A sparse MILP built row by row, handed to HiGHS in CSR form (maximisation). */
export class MilpBuilder {
  readonly cost: number[] = [];
  readonly lower: number[] = [];
  readonly upper: number[] = [];
  readonly integer: number[] = [];
  private readonly rowLower: number[] = [];
  private readonly rowUpper: number[] = [];
  private readonly starts: number[] = [0];
  private readonly indices: number[] = [];
  private readonly values: number[] = [];

  col(cost: number, upper: number, integer = true): number {
    this.cost.push(cost);
    this.lower.push(0);
    this.upper.push(upper);
    this.integer.push(integer ? 1 : 0);
    return this.cost.length - 1;
  }

  /** Adds `lower <= Σ coef·x <= upper`; repeated columns are summed, empty rows are dropped. */
  row(terms: Map<number, number>, lower: number, upper: number): void {
    let n = 0;
    for (const [c, v] of terms) {
      if (v === 0) continue;
      this.indices.push(c);
      this.values.push(v);
      n++;
    }
    if (n === 0) return;
    this.starts.push(this.indices.length);
    this.rowLower.push(lower);
    this.rowUpper.push(upper);
  }

  get columns(): number {
    return this.cost.length;
  }
  get rows(): number {
    return this.rowLower.length;
  }

  model(highs: Highs): ModelData {
    return {
      numCols: this.columns,
      numRows: this.rows,
      sense: highs.constants.objectiveSense.maximize,
      colCost: Float64Array.from(this.cost),
      colLower: Float64Array.from(this.lower),
      colUpper: Float64Array.from(this.upper),
      rowLower: Float64Array.from(this.rowLower, (v) => (v === -Infinity ? -highs.infinity : v)),
      rowUpper: Float64Array.from(this.rowUpper, (v) => (v === Infinity ? highs.infinity : v)),
      matrix: {
        format: 'csr',
        numRows: this.rows,
        numCols: this.columns,
        starts: Int32Array.from(this.starts),
        indices: Int32Array.from(this.indices),
        values: Float64Array.from(this.values),
      },
      integrality: Int32Array.from(this.integer),
    };
  }
}

/** Accumulates terms of one row. */
export function addTerm(terms: Map<number, number>, col: number | undefined, coef: number): void {
  if (col === undefined) return;
  terms.set(col, (terms.get(col) ?? 0) + coef);
}

export type MilpResult = {
  status: string;
  optimal: boolean;
  objective: number;
  /** Relative gap to the best bound; null when HiGHS has no finite bound (stopped early). */
  mipGap: number | null;
  /** HiGHS's best bound on the objective (maximisation: no plan can earn more); null when none. */
  bound: number | null;
  seconds: number;
  /** Column values; null when HiGHS stopped (time limit) before finding any feasible solution. */
  x: Float64Array | null;
};

const statusNames = (highs: Highs): Map<number, string> =>
  new Map(Object.entries(highs.constants.modelStatus).map(([k, v]) => [v as number, k]));

/** Solves with HiGHS, optionally from a feasible start. */
export function solveMilp(
  highs: Highs,
  b: MilpBuilder,
  opts: { timeLimitS: number; mipRelGap: number },
  start?: Float64Array,
): MilpResult {
  const t0 = performance.now();
  return highs.withModel(b.model(highs), (m) => {
    m.options.set({ output_flag: false, time_limit: opts.timeLimitS, mip_rel_gap: opts.mipRelGap });
    if (start) m.setSolution({ colValue: start });
    m.run();
    const code = m.getModelStatus() as number;
    const status = statusNames(highs).get(code) ?? String(code);
    const sol = m.getSolution();
    const optimal = code === highs.constants.modelStatus.optimal;
    const hasSolution =
      optimal || (sol.colValue.length === b.columns && Number(m.info.get('primal_solution_status')) === 2);
    const gap = Number(m.info.get('mip_gap'));
    const bound = optimal ? m.getObjectiveValue() : Number(m.info.get('mip_dual_bound'));
    return {
      status,
      optimal,
      objective: hasSolution ? m.getObjectiveValue() : Number.NaN,
      mipGap: Number.isFinite(gap) && gap < 1e20 ? gap : null,
      bound: Number.isFinite(bound) && Math.abs(bound) < 1e20 ? bound : null,
      seconds: (performance.now() - t0) / 1000,
      x: hasSolution ? Float64Array.from(sol.colValue) : null,
    };
  });
}
