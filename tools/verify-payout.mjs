#!/usr/bin/env node
/**
 * Re-run a hashfleet period close from its inputs document, with nothing but Node.
 *
 *   node verify-payout.mjs <inputs.json>... [--holder H] [--json | --outputs]
 *
 * <inputs.json> is the document a staker downloads (GET /api/v1/periods/<id>/inputs, the exact
 * bytes its `inputsSha256` covers). The script re-hashes it, recomputes the close with the rules
 * of the README's Accounting section and prints every payout and the outputs hash, which must
 * equal the `outputsSha256` on the statement. Node's standard library only, one file: read it.
 *
 *   (default)    a readable report per document: hashes; each energy line re-priced (kWh, the
 *                miner-hours of each source, the rate, kWh x rate, checked against what the close
 *                bills for it); each cost line in sats; then one line per payout
 *   --holder H   only holder H's payout (your holder id is on your statement)
 *   --json       the same facts as one line of canonical JSON per document
 *   --outputs    the whole outputs document in canonical form (its SHA-256 is the outputs hash)
 * With --json or --outputs, a refused document prints {"error": ..., "file": ...} on its line.
 *
 * Canonical form is RFC 8785 (JSON Canonicalization Scheme) for the values these documents hold:
 * objects with keys sorted by UTF-16 code units, no whitespace, strings as JSON.stringify writes
 * them, numbers as Number::toString, integers beyond 2^53 (satoshis, HSS units, stake weights) as
 * decimal strings. `tools/verify-payout.py` is the same program for Python. Exit codes: 0 verified,
 * 1 a document is refused, 2 usage.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const INPUTS_V1 = 'hashfleet/period-close-inputs@1';
const INPUTS_V2 = 'hashfleet/period-close-inputs@2';
const INPUTS_V3 = 'hashfleet/period-close-inputs@3';
const OUTPUTS_FOR = {
  [INPUTS_V1]: 'hashfleet/period-close-outputs@1',
  [INPUTS_V2]: 'hashfleet/period-close-outputs@2',
  [INPUTS_V3]: 'hashfleet/period-close-outputs@3',
};
const SOURCES = ['estimated', 'metered', 'reported'];
const SATS_PER_BTC = 100_000_000n;
const HALVING_INTERVAL = 210_000;
const RECONCILIATION_TOLERANCE_BPS = 500;

class Refused extends Error {}

// ---------------------------------------------------------------- RFC 8785 serialisation

/** ECMAScript string order is UTF-16 code-unit order, which RFC 8785 requires for keys. */
const byText = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

function canonicalString(s) {
  if (!s.isWellFormed()) throw new Refused('a string holds a lone surrogate, which has no canonical form');
  return JSON.stringify(s);
}

function canonical(v) {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return canonicalString(v);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Refused(`${v} has no canonical form`);
    return String(v);
  }
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${canonicalString(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  throw new TypeError(`no canonical form for ${typeof v}`);
}

const sha256Hex = (data) => createHash('sha256').update(data).digest('hex');

// ---------------------------------------------------------------- the inputs document

/** Field -> kind. "big" is an integer written as a decimal string; "ms" a non-negative integer. */
const RECORDS = {
  period: { id: 'str', startMs: 'ms', endMs: 'ms' },
  rule: {
    version: 'int',
    stakerBps: 'bps',
    reinvestBps: 'bps',
    operatorBps: 'bps',
    lossRule: ['carry_forward', 'pay_zero'],
    minNodeCollateralUnits: 'ubig',
  },
  credits: { id: 'str', pool: 'str', reference: 'str', amountSats: 'big' },
  energy: {
    siteId: 'str',
    hourStartMs: 'ms',
    provenance: ['reported', 'estimated', 'metered'],
    energyWh: 'uint',
    currency: 'str',
    ratePerKwhMicro: 'ubig',
  },
  otherCosts: { id: 'str', description: 'str', currency: 'str', amount: 'big' },
  /** @3: one line per container-hour, Wh and miner-hours of each source. */
  energyByContainer: {
    siteId: 'str',
    containerId: 'str',
    hourStartMs: 'ms',
    meteredWh: 'uint',
    reportedWh: 'uint',
    estimatedWh: 'uint',
    meteredMinerHours: 'uint',
    reportedMinerHours: 'uint',
    estimatedMinerHours: 'uint',
    currency: 'str',
    ratePerKwhMicro: 'ubig',
  },
  btcPrices: { currency: 'str', priceMicro: 'ubig', source: 'str', observedAtMs: 'ms' },
  nodes: { id: 'str', kind: ['solo', 'shared'] },
  stakes: { seq: 'int', holder: 'str', nodeId: 'str', amountUnits: 'ubig', effectiveAtMs: 'ms' },
  work: { hourStartMs: 'ms', diff1Shares: 'unum' },
  network: {
    difficulty: 'pnum',
    blockHeight: 'uint',
    feesPerBlockSats: 'ubig',
    source: 'str',
    observedAtMs: 'ms',
  },
};
const LISTS = ['credits', 'energy', 'otherCosts', 'btcPrices', 'nodes', 'stakes', 'work'];

/** Checks one field; returns its value for computing (big -> bigint). */
function field(kind, v, where) {
  if (Array.isArray(kind)) {
    if (!kind.includes(v))
      throw new Refused(`${where}: ${JSON.stringify(v)} must be one of ${kind.join(', ')}`);
    return v;
  }
  if (kind === 'str') {
    if (typeof v !== 'string') throw new Refused(`${where}: must be a string`);
    return v;
  }
  if (kind === 'big' || kind === 'ubig') {
    if (typeof v !== 'string' || !(kind === 'big' ? /^-?\d+$/ : /^\d+$/).test(v)) {
      throw new Refused(`${where}: must be ${kind === 'ubig' ? 'a non-negative' : 'an'} integer in decimal`);
    }
    return BigInt(v);
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Refused(`${where}: must be a number`);
  if (['int', 'uint', 'ms', 'bps'].includes(kind)) {
    if (!Number.isSafeInteger(v)) throw new Refused(`${where}: must be an integer`);
    if ((kind === 'uint' || kind === 'ms') && v < 0) throw new Refused(`${where}: must not be negative`);
    if (kind === 'bps' && !(v >= 0 && v <= 10_000)) throw new Refused(`${where}: must be 0..10000`);
    return v;
  }
  if (kind === 'unum' && v < 0) throw new Refused(`${where}: must not be negative`);
  if (kind === 'pnum' && v <= 0) throw new Refused(`${where}: must be positive`);
  return v;
}

/** -> [values for computing, the record as the controller re-serialises it]. */
function record(shape, v, where) {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new Refused(`${where}: must be an object`);
  const extra = Object.keys(v)
    .filter((k) => !(k in shape))
    .sort();
  if (extra.length) throw new Refused(`${where}: unknown field ${extra[0]}`);
  const values = {};
  const doc = {};
  for (const [name, kind] of Object.entries(shape)) {
    if (!(name in v)) throw new Refused(`${where}.${name}: missing`);
    values[name] = field(kind, v[name], `${where}.${name}`);
    doc[name] = typeof values[name] === 'bigint' ? values[name].toString() : v[name];
  }
  return [values, doc];
}

/** The inputs document -> [values, normalised document], refusing what the controller refuses. */
function parseInputs(raw) {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new Refused('$: must be an object');
  const schema = raw.schema;
  if (!Object.hasOwn(OUTPUTS_FOR, schema)) {
    throw new Refused(
      `$.schema: ${JSON.stringify(schema)} is not one of ${Object.keys(OUTPUTS_FOR).join(', ')}`,
    );
  }
  const { energyByContainer, ...shapes } = RECORDS;
  if (schema !== INPUTS_V1) shapes.stakes = { ...RECORDS.stakes, recordedAtMs: 'ms' };
  if (schema === INPUTS_V3) shapes.energy = energyByContainer;
  const top = ['schema', 'lossCarriedInSats', ...Object.keys(shapes)];
  const extra = Object.keys(raw)
    .filter((k) => !top.includes(k))
    .sort();
  if (extra.length) throw new Refused(`$: unknown field ${extra[0]}`);
  const values = { schema };
  const doc = { schema };
  for (const [name, shape] of Object.entries(shapes)) {
    if (name === 'network') continue;
    if (!(name in raw)) throw new Refused(`$.${name}: missing`);
    if (LISTS.includes(name)) {
      if (!Array.isArray(raw[name])) throw new Refused(`$.${name}: must be an array`);
      const pairs = raw[name].map((x, i) => record(shape, x, `$.${name}[${i}]`));
      values[name] = pairs.map((p) => p[0]);
      doc[name] = pairs.map((p) => p[1]);
    } else {
      [values[name], doc[name]] = record(shape, raw[name], `$.${name}`);
    }
  }
  if (!('lossCarriedInSats' in raw)) throw new Refused('$.lossCarriedInSats: missing');
  values.lossCarriedInSats = field('ubig', raw.lossCarriedInSats, '$.lossCarriedInSats');
  doc.lossCarriedInSats = values.lossCarriedInSats.toString();
  if (!('network' in raw)) throw new Refused('$.network: missing');
  if (raw.network === null) {
    values.network = null;
    doc.network = null;
  } else {
    [values.network, doc.network] = record(shapes.network, raw.network, '$.network');
  }
  return [values, doc];
}

// ---------------------------------------------------------------- the close (README, Accounting)

const ceilDiv = (a, b) => (a === 0n ? 0n : (a + b - 1n) / b);
const sum = (xs) => xs.reduce((s, x) => s + x, 0n);

function priceFor(inputs, currency) {
  const p = inputs.btcPrices.find((x) => x.currency === currency);
  if (!p) throw new Refused(`period ${inputs.period.id}: no BTC price in ${currency} to convert its costs`);
  if (p.priceMicro <= 0n) throw new Refused('BTC price must be positive');
  return p.priceMicro;
}

function costLines(inputs) {
  const bySite = new Map();
  for (const e of inputs.energy) {
    let s = bySite.get(e.siteId);
    if (!s) {
      s = { milliMicro: 0n, currency: e.currency, wh: new Map() };
      bySite.set(e.siteId, s);
    }
    if (s.currency !== e.currency)
      throw new Refused(`site ${e.siteId}: tariff currency changed within the period`);
    // Up to @2 a line is one source; from @3 each source with miner-hours is a part of the line.
    const parts =
      inputs.schema === INPUTS_V3
        ? SOURCES.filter((p) => e[`${p}MinerHours`] > 0).map((p) => [p, e[`${p}Wh`]])
        : [[e.provenance, e.energyWh]];
    for (const [p, wh] of parts) {
      s.milliMicro += BigInt(wh) * e.ratePerKwhMicro;
      s.wh.set(p, (s.wh.get(p) ?? 0) + wh);
    }
  }
  const lines = [];
  for (const site of [...bySite.keys()].sort(byText)) {
    const s = bySite.get(site);
    const wh = [...s.wh].sort((a, b) => byText(a[0], b[0])).map(([p, v]) => `${p} ${v} Wh`);
    const price = priceFor(inputs, s.currency);
    lines.push({
      account: `expense:energy:${site}`,
      sats: ceilDiv(s.milliMicro * SATS_PER_BTC, price * 1000n),
      detail: `${wh.join(', ')}; ${s.milliMicro / 1000n} micro-${s.currency}`,
    });
  }
  for (const c of [...inputs.otherCosts].sort((a, b) => byText(a.id, b.id))) {
    if (c.amount < 0n) throw new Refused(`period ${inputs.period.id}: cost ${c.id} is negative`);
    const sats =
      c.currency === 'BTC' ? c.amount : ceilDiv(c.amount * SATS_PER_BTC, priceFor(inputs, c.currency));
    lines.push({ account: `expense:other:${c.id}`, sats, detail: c.description });
  }
  return lines;
}

/** [at, level] changes in time order -> segments {from, to, level}; the last change at a time wins. */
function steps(changes) {
  const out = [];
  for (const [at, level] of changes) {
    const last = out[out.length - 1];
    if (last && last.from === at) {
      last.level = level;
      continue;
    }
    if (last) last.to = at;
    out.push({ from: at, to: Number.POSITIVE_INFINITY, level });
  }
  return out;
}

/** Holdings (holder, node) as step functions, and each node's total collateral. */
function timeline(inputs) {
  const known = new Set(inputs.nodes.map((n) => n.id));
  const byHolding = new Map();
  for (const e of inputs.stakes) {
    if (!known.has(e.nodeId)) throw new Refused(`stake entry ${e.seq}: unknown node ${e.nodeId}`);
    const key = `${e.holder}\u0000${e.nodeId}`;
    if (!byHolding.has(key)) byHolding.set(key, { holder: e.holder, nodeId: e.nodeId, entries: [] });
    byHolding.get(key).entries.push(e);
  }
  const holdings = [];
  const deltas = new Map();
  for (const h of byHolding.values()) {
    h.entries.sort((a, b) => a.effectiveAtMs - b.effectiveAtMs || a.seq - b.seq);
    const segments = steps(h.entries.map((e) => [e.effectiveAtMs, e.amountUnits]));
    holdings.push({ holder: h.holder, nodeId: h.nodeId, segments });
    if (!deltas.has(h.nodeId)) deltas.set(h.nodeId, []);
    let previous = 0n;
    for (const s of segments) {
      deltas.get(h.nodeId).push([s.from, s.level - previous]);
      previous = s.level;
    }
  }
  const nodes = new Map();
  for (const [nodeId, ds] of deltas) {
    ds.sort((a, b) => a[0] - b[0]);
    let total = 0n;
    const changes = ds.map(([at, d]) => {
      total += d;
      return [at, total];
    });
    nodes.set(
      nodeId,
      steps(changes).map((s) => ({ ...s, eligible: s.level >= inputs.rule.minNodeCollateralUnits })),
    );
  }
  return { holdings, nodes };
}

/** Σ units x whole eligible seconds per holder and per node over [start, end). */
function weights({ holdings, nodes }, start, end) {
  const windows = new Map();
  for (const [nodeId, segs] of nodes) {
    const w = [];
    for (const s of segs) {
      const a = Math.max(s.from, start);
      const b = Math.min(s.to, end);
      if (s.eligible && b > a) w.push([a, b]);
    }
    windows.set(nodeId, w);
  }
  const byHolder = new Map();
  const byNode = new Map();
  let total = 0n;
  for (const h of holdings) {
    let acc = 0n;
    for (const s of h.segments) {
      if (s.level === 0n || s.to <= start || s.from >= end) continue;
      for (const [a, b] of windows.get(h.nodeId) ?? []) {
        const lo = Math.max(s.from, a);
        const hi = Math.min(s.to, b);
        if (hi > lo) acc += s.level * BigInt(Math.floor((hi - lo) / 1000));
      }
    }
    if (acc === 0n) continue;
    byHolder.set(h.holder, (byHolder.get(h.holder) ?? 0n) + acc);
    byNode.set(h.nodeId, (byNode.get(h.nodeId) ?? 0n) + acc);
    total += acc;
  }
  return { byHolder, byNode, total };
}

/** First instant in [start, end) at which a solo node has two holders with stake, or null. */
function soloConflict(inputs, { holdings }, start, end) {
  const solo = inputs.nodes
    .filter((n) => n.kind === 'solo')
    .map((n) => n.id)
    .sort(byText);
  for (const nodeId of solo) {
    const events = [];
    for (const h of holdings) {
      if (h.nodeId !== nodeId) continue;
      for (const s of h.segments) {
        const lo = Math.max(s.from, start);
        const hi = Math.min(s.to, end);
        if (s.level > 0n && hi > lo) events.push([lo, 1, h.holder], [hi, 0, h.holder]);
      }
    }
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const active = new Map();
    for (const [at, kind, holder] of events) {
      if (kind === 0) {
        const n = active.get(holder) - 1;
        if (n === 0) active.delete(holder);
        else active.set(holder, n);
        continue;
      }
      active.set(holder, (active.get(holder) ?? 0) + 1);
      if (active.size > 1) return { nodeId, holders: [...active.keys()].sort(byText), at };
    }
  }
  return null;
}

/** Floors, then one satoshi each to the largest remainders, ties to the smaller key. */
function apportion(total, byKey) {
  const wSum = sum([...byKey.values()]);
  const parts = new Map();
  const rems = [];
  for (const [key, w] of byKey) {
    const q = (total * w) / wSum;
    parts.set(key, q);
    rems.push([total * w - q * wSum, key]);
  }
  const leftover = Number(total - sum([...parts.values()]));
  rems.sort((a, b) => (a[0] !== b[0] ? (a[0] > b[0] ? -1 : 1) : byText(a[1], b[1])));
  for (const [, key] of rems.slice(0, leftover)) parts.set(key, parts.get(key) + 1n);
  return parts;
}

function blockSubsidy(height) {
  const halvings = Math.floor(height / HALVING_INTERVAL);
  return halvings >= 64 ? 0n : (50n * SATS_PER_BTC) >> BigInt(halvings);
}

/** A finite non-negative double as an exact fraction [numerator, denominator]. */
function exact(x) {
  let den = 1n;
  while (!Number.isInteger(x)) {
    x *= 2; // exact: doubling a double only changes its exponent
    den *= 2n;
  }
  return [BigInt(x), den];
}

function expectedSats(schema, diff1, network) {
  const reward = blockSubsidy(network.blockHeight) + network.feesPerBlockSats;
  // Version 1 floored a float product; kept so that periods closed under it still verify.
  if (schema === INPUTS_V1) return BigInt(Math.floor((diff1 / network.difficulty) * Number(reward)));
  const [wn, wd] = exact(diff1);
  const [dn, dd] = exact(network.difficulty);
  return (wn * reward * dd) / (wd * dn);
}

function journal(periodId, a) {
  const lines = [];
  const add = (tx, account, debitSats, creditSats, memo) => {
    if (debitSats === 0n && creditSats === 0n) return;
    lines.push({ tx: `${periodId}/${tx}`, account, debitSats, creditSats, memo });
  };
  add('credit', 'asset:pool_receivable', a.credited, 0n, 'BTC credited by the pool');
  add('credit', 'income:mining', 0n, a.credited, 'BTC credited by the pool');
  for (const c of a.costs) add('costs', c.account, c.sats, 0n, c.detail);
  add(
    'costs',
    'liability:opex_payable',
    0n,
    sum(a.costs.map((c) => c.sats)),
    'operating costs of the period',
  );
  add('close', 'income:mining', a.credited, 0n, 'close income');
  for (const c of a.costs) add('close', c.account, 0n, c.sats, 'close expense');
  add('close', 'equity:loss_carryforward', a.lossOut, a.lossIn, 'loss carried out / in');
  for (const p of a.payouts) add('close', `liability:staker:${p.holder}`, 0n, p.sats, 'staker share');
  add('close', 'equity:staker_unallocated', 0n, a.unallocated, 'staker share with no eligible stake');
  add('close', 'equity:reinvest', 0n, a.reinvest, 'reinvestment share');
  if (a.operator >= 0n) add('close', 'equity:operator', 0n, a.operator, 'operator share');
  else add('close', 'equity:operator', -a.operator, 0n, 'loss absorbed by the operator (pay_zero rule)');
  const sums = new Map();
  for (const l of lines) {
    if (l.debitSats < 0n || l.creditSats < 0n)
      throw new Refused(`period ${periodId}: journal has a negative amount`);
    sums.set(l.tx, (sums.get(l.tx) ?? 0n) + l.debitSats - l.creditSats);
  }
  for (const s of sums.values())
    if (s !== 0n) throw new Refused(`period ${periodId}: journal does not balance`);
  return lines;
}

function close(inputs, inputsSha256) {
  const { period, rule } = inputs;
  if (rule.stakerBps + rule.reinvestBps + rule.operatorBps !== 10_000) {
    throw new Refused(`rule ${rule.version}: shares must sum to 10000 bps`);
  }
  const credited = sum(inputs.credits.map((c) => c.amountSats));
  if (credited < 0n) throw new Refused(`period ${period.id}: credited total is negative`);
  const costs = costLines(inputs);
  const costsSats = sum(costs.map((c) => c.sats));
  const lossIn = inputs.lossCarriedInSats;
  const net = credited - costsSats - lossIn;
  let pool = 0n;
  let reinvest = 0n;
  let operator = 0n;
  let lossOut = 0n;
  if (net >= 0n) {
    pool = (net * BigInt(rule.stakerBps)) / 10_000n;
    reinvest = (net * BigInt(rule.reinvestBps)) / 10_000n;
    operator = net - pool - reinvest;
  } else if (rule.lossRule === 'carry_forward') lossOut = -net;
  else operator = net;

  const tl = timeline(inputs);
  if (inputs.schema !== INPUTS_V1) {
    const c = soloConflict(inputs, tl, period.startMs, period.endMs);
    if (c) {
      throw new Refused(
        `period ${period.id}: solo node ${c.nodeId} has more than one staker at ${c.at} ms: holders ${c.holders.join(', ')}`,
      );
    }
  }
  const w = weights(tl, period.startMs, period.endMs);
  let unallocated = 0n;
  const payouts = [];
  if (w.total === 0n) unallocated = pool;
  else {
    const parts = pool > 0n ? apportion(pool, w.byHolder) : new Map();
    for (const holder of [...w.byHolder.keys()].sort(byText)) {
      payouts.push({ holder, weight: w.byHolder.get(holder), sats: parts.get(holder) ?? 0n });
    }
  }

  const diff1 = inputs.work.reduce((s, x) => s + x.diff1Shares, 0);
  const seconds = (period.endMs - period.startMs) / 1000;
  let reconciliation = null;
  if (inputs.network) {
    const expected = expectedSats(inputs.schema, diff1, inputs.network);
    const shortfall = expected - credited;
    const bps = expected > 0n ? Number((shortfall * 10_000n) / expected) : 0;
    reconciliation = {
      expectedSats: expected,
      creditedSats: credited,
      shortfallSats: shortfall,
      shortfallBps: bps,
      flagged: bps > RECONCILIATION_TOLERANCE_BPS,
    };
  }
  return {
    schema: OUTPUTS_FOR[inputs.schema],
    periodId: period.id,
    inputsSha256,
    ruleVersion: rule.version,
    creditedSats: credited,
    costs,
    costsSats,
    lossCarriedInSats: lossIn,
    netSats: net,
    stakerPoolSats: pool,
    reinvestSats: reinvest,
    operatorSats: operator,
    unallocatedSats: unallocated,
    lossCarriedOutSats: lossOut,
    totalWeight: w.total,
    fleet: { diff1Shares: diff1, hashrateThs: seconds > 0 ? (diff1 * 2 ** 32) / seconds / 1e12 : 0 },
    nodes: [...w.byNode.keys()].sort(byText).map((nodeId) => ({ nodeId, weight: w.byNode.get(nodeId) })),
    payouts,
    reconciliation,
    journal: journal(period.id, {
      credited,
      costs,
      lossIn,
      lossOut,
      payouts,
      reinvest,
      operator,
      unallocated,
    }),
  };
}

/** Money, units and weights are integers of any size: written as decimal strings. */
function asDocument(v) {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(asDocument);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asDocument(x)]));
  return v;
}

// ---------------------------------------------------------------- energy lines, re-priced by hand

/** A non-negative integer scaled by 10^places, written with that many decimals. */
function decimal(n, places) {
  const t = n.toString().padStart(places + 1, '0');
  return `${t.slice(0, -places)}.${t.slice(-places)}`;
}

/** An hour as YYYY-MM-DDTHH:MMZ (UTC); past the year 9999, its milliseconds. */
function hourText(ms) {
  return ms >= 253_402_300_800_000 ? `${ms} ms` : `${new Date(ms).toISOString().slice(0, 16)}Z`;
}

/** Priority order of the sources, as a line lists its miner-hours. */
const SHOWN = ['metered', 'reported', 'estimated'];

/**
 * Each energy line as a staker re-prices it from what the line shows (README, Accounting): kWh
 * (its Wh ÷ 1000, exact to 3 decimals) × its rate = its cost, in the line's currency. That must be
 * what the close bills for the line, the Wh of its sources with miner-hours at the same rate; a
 * line whose Wh the close would not bill (a source with Wh and no miner-hours) is refused, named.
 */
function energyLines(inputs) {
  const v3 = inputs.schema === INPUTS_V3;
  return inputs.energy.map((e) => {
    const line = `${v3 ? `${e.siteId}/${e.containerId}` : e.siteId} ${hourText(e.hourStartMs)}`;
    const shownWh = v3 ? SHOWN.reduce((n, p) => n + e[`${p}Wh`], 0) : e.energyWh;
    const billedWh = v3
      ? SHOWN.filter((p) => e[`${p}MinerHours`] > 0).reduce((n, p) => n + e[`${p}Wh`], 0)
      : shownWh;
    const kWh = decimal(BigInt(shownWh), 3);
    const rate = decimal(e.ratePerKwhMicro, 6);
    // From the printed figures, as by hand: kWh in Wh times the rate in micro-units = 10^-9 units.
    const cost = decimal(BigInt(kWh.replace('.', '')) * BigInt(rate.replace('.', '')), 9);
    const billed = decimal(BigInt(billedWh) * e.ratePerKwhMicro, 9);
    // Refused even where the costs agree (a rate of 0): the close refuses the line (close.ts).
    if (cost !== billed || shownWh !== billedWh) {
      throw new Refused(
        `energy line ${line}: ${kWh} kWh x ${rate} ${e.currency}/kWh = ${cost} ${e.currency}, but the close bills ${billed} ${e.currency}: ${shownWh - billedWh} Wh of a source with no miner-hours`,
      );
    }
    const sources = v3 ? SHOWN.map((p) => `${p} ${e[`${p}MinerHours`]} h`).join(', ') : e.provenance;
    return { line, kWh, sources, ratePerKwh: rate, currency: e.currency, cost };
  });
}

// ---------------------------------------------------------------- command line

/** Bytes of an inputs document -> { report, outputsText }. */
function verify(data) {
  let raw;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch (e) {
    throw new Refused(`not JSON: ${e.message}`);
  }
  const [inputs, doc] = parseInputs(raw);
  const inputsSha256 = sha256Hex(canonical(doc));
  const outputs = asDocument(close(inputs, inputsSha256));
  const outputsText = canonical(outputs);
  const report = {
    periodId: outputs.periodId,
    fileSha256: sha256Hex(data),
    inputsSha256,
    outputsSha256: sha256Hex(outputsText),
    energy: energyLines(inputs),
    costs: outputs.costs,
    stakerPoolSats: outputs.stakerPoolSats,
    payouts: outputs.payouts,
  };
  return { report, outputsText };
}

function readable(report, holder) {
  const payouts = report.payouts.filter((p) => holder === undefined || p.holder === holder);
  const note = report.fileSha256 === report.inputsSha256 ? '' : '  (the file is not in canonical form)';
  const out = [
    `period          ${report.periodId}`,
    `file sha256     ${report.fileSha256}`,
    `inputs sha256   ${report.inputsSha256}${note}`,
    `outputs sha256  ${report.outputsSha256}`,
    ...report.energy.map(
      (e) =>
        `energy ${e.line}  ${e.kWh} kWh (${e.sources}) x ${e.ratePerKwh} ${e.currency}/kWh = ${e.cost} ${e.currency}`,
    ),
    ...report.costs.map((c) => `cost ${c.account} ${c.sats} sats (${c.detail})`),
    `staker pool     ${report.stakerPoolSats} sats`,
    ...payouts.map((p) => `payout ${p.holder} ${p.sats} sats (weight ${p.weight} HSS units x s)`),
  ];
  if (holder !== undefined && payouts.length === 0)
    out.push(`payout ${holder} none: no eligible stake in this period`);
  return out.join('\n');
}

const USAGE = 'usage: verify-payout.mjs <inputs.json>... [--holder H] [--json | --outputs]\n';

function main(argv) {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { holder: { type: 'string' }, json: { type: 'boolean' }, outputs: { type: 'boolean' } },
    });
  } catch (e) {
    process.stderr.write(`${e.message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = args;
  if (positionals.length === 0 || (values.json && values.outputs)) {
    process.stderr.write(USAGE);
    return 2;
  }
  let code = 0;
  const out = [];
  positionals.forEach((path, i) => {
    let result;
    try {
      result = verify(readFileSync(path));
    } catch (e) {
      if (!(e instanceof Refused) && !e.code) throw e;
      process.stderr.write(`${path}: ${e.message}\n`);
      if (values.json || values.outputs) out.push(canonical({ error: e.message, file: path }));
      code = 1;
      return;
    }
    if (values.outputs) out.push(result.outputsText);
    else if (values.json) {
      const r = result.report;
      if (values.holder !== undefined) r.payouts = r.payouts.filter((p) => p.holder === values.holder);
      out.push(canonical(r));
    } else out.push((i ? '\n' : '') + readable(result.report, values.holder));
  });
  if (out.length) process.stdout.write(`${out.join('\n')}\n`);
  return code;
}

process.exitCode = main(process.argv.slice(2));
