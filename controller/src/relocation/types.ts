/**
 * The relocation planner's inputs and its plan. Money in USD (planning figures, not ledger
 * amounts), power in W, hashrate in TH/s, months as `YYYY-MM`.
 */

export type Cooling = 'air' | 'hydro' | 'immersion';

export type MinerInput = {
  id: string;
  serial: string | null;
  model: string;
  nominalThs: number;
  efficiencyJth: number;
  /** Recent hashrate over nominal, from telemetry (1 = as new, 0.8 = lost a fifth). */
  condition: number;
  cooling: Cooling;
  /** Last day of the vendor's exchange warranty (ISO date), null when none or unknown. */
  warrantyEnd: string | null;
  siteId: string;
  containerId: string;
  slot: string | null;
};

/** Twelve figures, January to December. */
export type ByCalendarMonth = readonly number[];

export type SiteInput = {
  id: string;
  /** Tariff in USD/kWh per calendar month (Sichuan: cheap hydro in the wet season). */
  tariffUsdPerKwh: ByCalendarMonth;
  /** Miner slots at the site in all its containers, occupied or not. */
  slots: number;
  /** Power the site may draw for miners (after cooling), MW. */
  mw: number;
  /** Mean ambient temperature per calendar month, °C (air-cooled miners derate when hot). */
  ambientC: ByCalendarMonth;
  /** Fraction of hours with power per calendar month (rationing, curtailment). */
  availability: ByCalendarMonth;
  /** The vendor's repair centre is near (miners under warranty stay at such sites). */
  repairSite: boolean;
  /** What retiring a miner here brings, USD, by model; over `policies.salvageUsd` for this site. */
  salvageUsd?: Readonly<Record<string, number>>;
};

export type ContainerInput = { id: string; siteId: string; slots: number };

/** A route; used in both directions unless the reverse is given too. */
export type RouteInput = {
  from: string;
  to: string;
  transitDays: number;
  costPerMinerUsd: number;
  costPerContainerUsd: number;
  customsPerMinerUsd: number;
};

/** A figure for the whole horizon, or one per horizon month. */
export type PerMonth = number | readonly number[];

export type MarketInput = {
  btcPriceUsd: PerMonth;
  /** Hashprice in BTC per PH/s per day: today's figure, or one per horizon month. */
  hashpriceBtcPerPhDay: PerMonth;
  /**
   * Network difficulty growth, percent per month (0 when absent): a single hashprice figure is
   * today's, and month t earns it ÷ (1 + growth/100)^t, as the same work finds fewer coins. A
   * hashprice given per month already carries each month's difficulty, so the two are not combined.
   */
  difficultyGrowthPctPerMonth?: number;
};

export type Policies = {
  /** `keep-near-repair`: a miner under warranty never moves to a site without the repair centre. */
  warranty: 'keep-near-repair' | 'ignore';
  containerMoves: 'allow' | 'never';
  minerMoves: 'allow' | 'never';
  /** Air-cooled derating (ATM-style underclock): percent hashrate lost per °C above `derateAboveC`. */
  deratePctPerC: number;
  derateAboveC: number;
  /** Miners whose condition rounds to the same step plan together (0 = exact classes). */
  conditionStep: number;
  timeLimitS: number;
  mipRelGap: number;
  /** What retiring a miner (sold or scrapped) brings, USD, by model; a model not listed gets the default. */
  salvageUsd: Readonly<Record<string, number>>;
  /** 0 (the default) keeps retirement off: an idle miner then costs nothing to keep. */
  defaultSalvageUsd: number;
};

export type PlannerInput = {
  /** First month of the horizon, `YYYY-MM`; moves happen at month starts. */
  start: string;
  horizonMonths: number;
  miners: readonly MinerInput[];
  sites: readonly SiteInput[];
  /** Containers and their slot counts; a container not listed has as many slots as miners. */
  containers: readonly ContainerInput[];
  routes: readonly RouteInput[];
  market: MarketInput;
  policies: Policies;
};

export type MoveMode = 'miner' | 'container';

export type PlannedMove = {
  minerId: string;
  serial: string | null;
  batchId: string;
  month: number;
  departDate: string;
  arriveDate: string;
  fromSite: string;
  toSite: string;
  /** The container the miner leaves; null when it leaves a slot chosen during this plan. */
  fromContainer: string | null;
  mode: MoveMode;
  costUsd: number;
  downtimeUsd: number;
  /** Margin gained at the destination until the miner's next move, minus cost and downtime. */
  gainUsd: number;
};

/** A miner the plan retires (sells or scraps) at a month start instead of running or idling it. */
export type Retirement = {
  minerId: string;
  serial: string | null;
  model: string;
  month: number;
  date: string;
  site: string;
  salvageUsd: number;
  /** Positive margin the miner would still have earned where it stood from that month on. */
  forgoneMarginUsd: number;
  /** Salvage minus the forgone margin: what retiring beats keeping it (running or idle) by. */
  gainUsd: number;
};

export type MoveBatch = {
  id: string;
  month: number;
  departDate: string;
  mode: MoveMode;
  fromSite: string;
  toSite: string;
  /** The container that moves (mode `container`) or the one the miners leave (mode `miner`). */
  containerId: string | null;
  minerIds: string[];
  costUsd: number;
  downtimeUsd: number;
  gainUsd: number;
  /** The batch's case in one line: gain over the horizon, transport cost, downtime (and `makesRoom`). */
  reason: string;
  /**
   * Set when the batch loses money on its own but frees capacity at its source site that miners
   * arriving there the same month need (room.ts); null otherwise.
   */
  makesRoom: MakesRoom | null;
};

export type MakesRoom = {
  /** Slots at the batch's source site that month (its own, less containers moved away, plus those moved in). */
  siteSlots: number;
  /** Miners at the source site that month with the batch gone: with it they would not fit. */
  minersThere: number;
  /** The batches arriving at the batch's source site in the same month. */
  forBatchIds: string[];
  arrivingMiners: number;
  /** Gain of those arrivals and every batch leaving that site at a loss that month, together. */
  togetherGainUsd: number;
};

export type SolverReport = {
  status: string;
  /** True when HiGHS proved the class model optimal within `mipRelGap`. */
  optimal: boolean;
  /** True when a solve stopped at `timeLimitS`: the plan is the best found, `mipGap` says how good. */
  timedOut: boolean;
  /** Where the plan comes from: HiGHS's own solution, or the no-move plan when HiGHS had none in time. */
  incumbent: 'solver' | 'no-move plan';
  /** Relative gap to HiGHS's best bound; null when it stopped without a finite bound. */
  mipGap: number | null;
  /** HiGHS's best bound on the profit with moves, USD; null when it had none. */
  bestBoundUsd: number | null;
  seconds: number;
  classes: number;
  containers: number;
  columns: number;
  rows: number;
};

export type Plan = {
  start: string;
  horizonMonths: number;
  /** Expected fleet profit over the horizon with no moves (idling unprofitable miners). */
  profitBeforeUsd: number;
  profitAfterUsd: number;
  moves: PlannedMove[];
  batches: MoveBatch[];
  retirements: Retirement[];
  solver: SolverReport;
};
