import type { Db } from '../core/storage/db.js';
import {
  type ContainerHour,
  containerEnergyLines,
  energyLines,
  type MinerHour,
  parseTariff,
  type SiteTariff,
  workByHour,
} from '../energy/index.js';
import { soloConflict } from './close.js';
import { type CloseInputs, INPUTS_SCHEMA, type InputsSchema } from './close-inputs.js';
import { AccountingError, ruleAt, type StoredRule, stakeEntriesPaged } from './register.js';
import type { Period, StakeEntry } from './types.js';

/**
 * Gathers the frozen inputs of a close from SQL. Deterministic for a given database state: every
 * list is ordered, and only what the close needs is taken (the last stake level of each holding
 * at the period start plus the changes inside it).
 */
export interface LoadedInputs {
  inputs: CloseInputs;
  /** holder -> staker id, to store payouts against stakers. */
  stakerOf: Map<string, string>;
  rule: StoredRule;
}

export async function readHours(db: Db, fromMs: number, toMs: number): Promise<ContainerHour[]> {
  const rows = await db.all<{
    site_id: string;
    container_id: string;
    hour_start: number;
    diff1_shares: number;
    energy_wh_metered: number | null;
    energy_wh_reported: number | null;
    energy_wh_estimated: number | null;
  }>(
    `SELECT site_id, container_id, hour_start, diff1_shares, energy_wh_metered, energy_wh_reported, energy_wh_estimated
     FROM container_hourly WHERE hour_start >= ? AND hour_start < ? ORDER BY site_id, container_id, hour_start`,
    [fromMs, toMs],
  );
  return rows.map((r) => ({
    siteId: r.site_id,
    containerId: r.container_id,
    hourStartMs: Number(r.hour_start),
    diff1Shares: Number(r.diff1_shares),
    energyWhMetered: r.energy_wh_metered === null ? null : Number(r.energy_wh_metered),
    energyWhReported: r.energy_wh_reported === null ? null : Number(r.energy_wh_reported),
    energyWhEstimated: r.energy_wh_estimated === null ? null : Number(r.energy_wh_estimated),
  }));
}

export async function readMinerHours(db: Db, fromMs: number, toMs: number): Promise<MinerHour[]> {
  const rows = await db.all<{
    site_id: string;
    container_id: string;
    hour_start: number;
    unit: string;
    metered_wh: number;
    metered_n: number;
    reported_wh: number;
    reported_n: number;
    estimated_wh: number;
    estimated_n: number;
    metered_s: number;
    telemetry_s: number;
  }>(
    `SELECT site_id, container_id, hour_start, unit, metered_wh, metered_n, reported_wh, reported_n,
       estimated_wh, estimated_n, metered_s, telemetry_s
     FROM miner_hourly_energy WHERE hour_start >= ? AND hour_start < ?
     ORDER BY site_id, container_id, hour_start, unit`,
    [fromMs, toMs],
  );
  return rows.map((r) => ({
    siteId: r.site_id,
    containerId: r.container_id,
    hourStartMs: Number(r.hour_start),
    unit: r.unit,
    meteredWh: Number(r.metered_wh),
    meteredN: Number(r.metered_n),
    reportedWh: Number(r.reported_wh),
    reportedN: Number(r.reported_n),
    estimatedWh: Number(r.estimated_wh),
    estimatedN: Number(r.estimated_n),
    meteredS: Number(r.metered_s),
    telemetryS: Number(r.telemetry_s),
  }));
}

async function readTariffs(db: Db, siteIds: Set<string>): Promise<Map<string, SiteTariff>> {
  const out = new Map<string, SiteTariff>();
  for (const id of [...siteIds].sort()) {
    const s = await db.get<{ timezone: string | null; tariff_json: string }>(
      'SELECT timezone, tariff_json FROM sites WHERE id = ?',
      [id],
    );
    if (!s) throw new AccountingError(`site ${id}: has hourly aggregates but is not in the inventory`, 409);
    out.set(id, { tariff: parseTariff(s.tariff_json, id), timeZone: s.timezone || 'UTC' });
  }
  return out;
}

/** Keep the last level of each holding at the period start and every change inside the period. */
export function pruneEntries(entries: StakeEntry[], startMs: number): StakeEntry[] {
  const lastBefore = new Map<string, StakeEntry>();
  const inside: StakeEntry[] = [];
  for (const e of entries) {
    if (e.effectiveAtMs <= startMs) {
      const key = `${e.holder}\u0000${e.nodeId}`;
      const prev = lastBefore.get(key);
      if (
        !prev ||
        prev.effectiveAtMs < e.effectiveAtMs ||
        (prev.effectiveAtMs === e.effectiveAtMs && prev.seq < e.seq)
      ) {
        lastBefore.set(key, e);
      }
    } else inside.push(e);
  }
  return [...lastBefore.values(), ...inside].sort((a, b) => a.seq - b.seq);
}

/** Closing without the pool's credit would book a loss and lock the period: refused instead. */
export const noCreditError = (where: string): AccountingError =>
  new AccountingError(
    `${where}: no pool credit entered; POST /credits first (amountSats 0 if the pool paid nothing)`,
    409,
  );

/**
 * `pruneEntries` of entries that come each holding together in time and seq order (a page of
 * `stakeEntriesPaged`): one pass, no map keyed by holding; the same entries, not yet in seq order.
 */
export function pruneHoldings(entries: readonly StakeEntry[], startMs: number, into: StakeEntry[]): void {
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.effectiveAtMs > startMs) {
      into.push(e);
      continue;
    }
    // The last level at the start is the holding's last entry at or before it.
    const next = entries[i + 1];
    if (!next || next.holder !== e.holder || next.nodeId !== e.nodeId || next.effectiveAtMs > startMs)
      into.push(e);
  }
}

/**
 * `close` checks that the period may be closed now; `drift` re-reads the sources of a closed
 * period as they are today, to compare with what its close froze.
 */
export async function loadCloseInputs(
  db: Db,
  period: Period,
  mode: 'close' | 'drift' = 'close',
  schema: InputsSchema = INPUTS_SCHEMA,
  minerHours?: readonly MinerHour[],
): Promise<LoadedInputs> {
  const rule = await ruleAt(db, period.startMs);
  const where = `period ${period.id}`;
  if (mode === 'close') await assertClosable(db, period, where);
  const prev = await db.get<{ loss_carried_out_sats: bigint }>(
    'SELECT loss_carried_out_sats FROM acct_closes WHERE end_ms <= ? ORDER BY end_ms DESC LIMIT 1',
    [period.startMs],
  );
  const loaded = await readInputs(
    db,
    period,
    rule,
    prev?.loss_carried_out_sats ?? 0n,
    where,
    schema,
    minerHours,
  );
  if (mode === 'close') assertOneStakerPerSoloNode(loaded, where);
  return loaded;
}

/** The close refuses this too (by holder); here the operator is told which stakers to fix. */
function assertOneStakerPerSoloNode({ inputs, stakerOf }: LoadedInputs, where: string): void {
  const c = soloConflict(inputs);
  if (!c) return;
  const stakers = c.holders.map((h) => stakerOf.get(h) ?? h).sort();
  throw new AccountingError(
    `${where}: solo node ${c.nodeId} has more than one staker at ${new Date(c.atMs).toISOString()} (stakers ${stakers.join(', ')}); a solo node belongs to one staker: end all but one holding or make the node shared`,
    409,
  );
}

/**
 * The refusals of a close that read a few rows (the rule in force and its period length, a later
 * or overlapping closed period); the close runs them before its completeness report.
 */
export async function closableUnderRule(db: Db, period: Period): Promise<StoredRule> {
  const rule = await ruleAt(db, period.startMs);
  if ((period.endMs - period.startMs) / 1000 !== rule.periodSeconds) {
    throw new AccountingError(
      `period ${period.id}: rule ${rule.version} closes periods of ${rule.periodSeconds} s`,
    );
  }
  await assertClosable(db, period, `period ${period.id}`);
  return rule;
}

async function assertClosable(db: Db, period: Period, where: string): Promise<void> {
  const later = await db.get<{ period_id: string }>(
    'SELECT period_id FROM acct_closes WHERE start_ms > ? ORDER BY start_ms LIMIT 1',
    [period.startMs],
  );
  if (later)
    throw new AccountingError(
      `${where}: a later period ${later.period_id} is already closed; close periods in order`,
      409,
    );
  const overlapping = await db.get<{ period_id: string }>(
    'SELECT period_id FROM acct_closes WHERE start_ms < ? AND end_ms > ? LIMIT 1',
    [period.endMs, period.startMs],
  );
  if (overlapping)
    throw new AccountingError(`${where}: overlaps closed period ${overlapping.period_id}`, 409);
}

async function readInputs(
  db: Db,
  period: Period,
  rule: StoredRule,
  lossCarriedInSats: bigint,
  where: string,
  schema: InputsSchema,
  read?: readonly MinerHour[],
): Promise<LoadedInputs> {
  const hours = await readHours(db, period.startMs, period.endMs);
  // @3 prices the best source of each miner-hour; @1/@2 (a drift check of an older period) one
  // source per container-hour, as they were closed.
  const minerHours =
    schema === INPUTS_SCHEMA ? (read ?? (await readMinerHours(db, period.startMs, period.endMs))) : [];
  const tariffs = await readTariffs(db, new Set([...hours, ...minerHours].map((h) => h.siteId)));
  const energy =
    schema === INPUTS_SCHEMA ? containerEnergyLines(minerHours, tariffs) : energyLines(hours, tariffs);

  const credits = (
    await db.all<{ id: string; pool: string; reference: string; amount_sats: bigint }>(
      'SELECT id, pool, reference, amount_sats FROM acct_credits WHERE period_id = ? ORDER BY pool, reference',
      [period.id],
    )
  ).map((c) => ({ id: c.id, pool: c.pool, reference: c.reference, amountSats: c.amount_sats }));
  if (credits.length === 0) throw noCreditError(where);
  const otherCosts = (
    await db.all<{
      id: string;
      description: string;
      currency: string;
      amount_sats: bigint | null;
      amount_micro: number | null;
    }>(
      'SELECT id, description, currency, amount_sats, amount_micro FROM acct_costs WHERE period_id = ? ORDER BY id',
      [period.id],
    )
  ).map((c) => ({
    id: c.id,
    description: c.description,
    currency: c.currency,
    amount: c.currency === 'BTC' ? (c.amount_sats ?? 0n) : BigInt(c.amount_micro ?? 0),
  }));

  const currencies = new Set<string>([
    ...energy.map((e) => e.currency),
    ...otherCosts.map((c) => c.currency),
  ]);
  currencies.delete('BTC');
  const btcPrices = [];
  const missing: string[] = [];
  for (const currency of [...currencies].sort()) {
    const p = await db.get<{ price_micro: number; source: string; observed_at: number }>(
      'SELECT price_micro, source, observed_at FROM acct_btc_prices WHERE currency = ? AND observed_at <= ? ORDER BY observed_at DESC, entered_at DESC LIMIT 1',
      [currency, period.endMs],
    );
    if (!p) missing.push(currency);
    else
      btcPrices.push({
        currency,
        priceMicro: BigInt(p.price_micro),
        source: p.source,
        observedAtMs: Number(p.observed_at),
      });
  }
  if (missing.length) {
    throw new AccountingError(
      `${where}: no BTC price in ${missing.join(', ')} observed before the period end; enter one (POST /btc-prices)`,
      409,
    );
  }

  // A page holds every entry of its stakers, so pruning page by page keeps what pruning all does.
  const stakes: StakeEntry[] = [];
  const holderOf = new Map<string, string>();
  await stakeEntriesPaged(db, period.endMs, (entries, holders) => {
    pruneHoldings(entries, period.startMs, stakes);
    for (const [h, id] of holders) holderOf.set(h, id);
  });
  stakes.sort((a, b) => a.seq - b.seq);
  const nodeIds = new Set(stakes.map((s) => s.nodeId));
  const nodes = (
    await db.all<{ id: string; kind: 'solo' | 'shared' }>('SELECT id, kind FROM acct_nodes ORDER BY id')
  ).filter((n) => nodeIds.has(n.id));
  const net = await db.get<{
    difficulty: number;
    block_height: number;
    fees_per_block_sats: bigint;
    source: string;
    observed_at: number;
  }>(
    'SELECT difficulty, block_height, fees_per_block_sats, source, observed_at FROM acct_network WHERE observed_at <= ? ORDER BY observed_at DESC, entered_at DESC LIMIT 1',
    [period.endMs],
  );

  const inputs: CloseInputs = {
    schema,
    period,
    rule: {
      version: rule.version,
      stakerBps: rule.stakerBps,
      reinvestBps: rule.reinvestBps,
      operatorBps: rule.operatorBps,
      lossRule: rule.lossRule,
      minNodeCollateralUnits: rule.minNodeCollateralUnits,
    },
    credits,
    energy,
    otherCosts,
    btcPrices,
    nodes,
    stakes,
    lossCarriedInSats,
    work: workByHour(hours),
    network: net
      ? {
          difficulty: Number(net.difficulty),
          blockHeight: Number(net.block_height),
          feesPerBlockSats: net.fees_per_block_sats,
          source: net.source,
          observedAtMs: Number(net.observed_at),
        }
      : null,
  };
  return { inputs, stakerOf: holderOf, rule };
}
