/**
 * The synthetic fleet of the alert benches: containers of 300 miners, a PDU outlet per miner, 1-minute
 * history, and a realistic share of trouble (1 % hot, 1 % slow, 0.5 % a failed fan, 0.5 %
 * unreachable). Deterministic (a fixed-seed generator), so two runs evaluate the same fleet.
 */
import { exampleSample, type MinerSample } from '@hashfleet/contracts';
import { insertMany } from '../src/core/storage/bulk.js';
import type { Db, SqlValue } from '../src/core/storage/db.js';
import { LATEST_INSERT_COLUMNS, LATEST_UPDATE, latestRowValues } from '../src/fleet/latest-row.js';

export const PER_CONTAINER = 300;
export const HISTORY_MIN = 10;
export const BENCH_NOW = Date.UTC(2026, 10, 24, 12, 0, 0);

/** The head of ingest's insert into miner_latest, and how many columns it names. */
export const LATEST_HEAD = `INSERT INTO miner_latest (${LATEST_INSERT_COLUMNS.join(', ')})`;
export const LATEST_WIDTH = LATEST_INSERT_COLUMNS.length;
/** Its upsert, newest sample winning (the change stamp is left to the table's trigger). */
export const LATEST_TAIL = `ON CONFLICT (miner_id) DO UPDATE SET ${LATEST_UPDATE} WHERE excluded.at >= miner_latest.at`;

/** The miner_latest row ingest writes for a bench sample (fleet/latest-row.ts), online or not. */
export function benchLatestRow(
  id: string,
  sample: MinerSample & { agentId: string },
  receivedAt: number,
  error: string | null = null,
): SqlValue[] {
  const { agentId, ...own } = sample;
  const row = latestRowValues(id, own, receivedAt, agentId, []);
  row[LATEST_INSERT_COLUMNS.indexOf('online')] = error === null ? 1 : 0;
  row[LATEST_INSERT_COLUMNS.indexOf('error')] = error;
  return row;
}

/** One miner's stored sample as ingest writes it (`miner_latest.sample_json`). */
export function benchSample(
  n: number,
  c: number,
  rack: string,
  slot: string,
  ths: number,
  chipC: number,
  fansRpm: number[],
  powerW: number,
  at: number,
) {
  return {
    ...exampleSample,
    minerKey: `SN${n}`,
    serial: `SN${n}`,
    at,
    slot: { rack, slot },
    hashrate5sThs: ths,
    boards: [1, 2, 3].map((index) => ({ ...exampleSample.boards[0]!, index })),
    chipTempMaxC: chipC,
    fansRpm,
    powerW,
    powerProvenance: 'reported' as const,
    agentId: `agent-${c}`,
  };
}

/**
 * Long because it builds every table's rows in one pass over the miners (slot, outlet, history and
 * PDU rows share the loop's placement), then inserts them in one transaction.
 */
export async function buildFleet(
  db: Db,
  miners: number,
): Promise<{ containers: number; faults: Record<string, number> }> {
  const NOW = BENCH_NOW;
  let seed = 7;
  const rand = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };

  const containers = Math.ceil(miners / PER_CONTAINER);
  const rows = {
    sites: [] as SqlValue[][],
    containers: [] as SqlValue[][],
    slots: [] as SqlValue[][],
    miners: [] as SqlValue[][],
  };
  const latest: SqlValue[][] = [];
  const history: SqlValue[][] = [];
  const outlets: SqlValue[][] = [];
  const pdus: SqlValue[][] = [];
  const agents: SqlValue[][] = [];
  const faults = { hot: 0, low: 0, fan: 0, offline: 0 };
  for (const site of ['sichuan', 'pavlodar'])
    rows.sites.push([site, site, 'UTC', '{"currency":"USD","perKwh":[]}', NOW, NOW]);
  for (let c = 0; c < containers; c++) {
    const site = c % 2 ? 'pavlodar' : 'sichuan';
    const cid = `${site}-c${c}`;
    rows.containers.push([cid, site, cid, `agent-${c}`, NOW, NOW]);
    agents.push([
      `agent-${c}`,
      site,
      cid,
      'online',
      NOW,
      NOW,
      JSON.stringify({ spoolMessages: 0, spoolDropped: 0 }),
    ]);
    const pduOutlets: { outlet: number; powerW: number; currentA: number; state: string }[][] = [
      [],
      [],
      [],
      [],
      [],
      [],
    ];
    for (let i = 0; i < PER_CONTAINER; i++) {
      const n = c * PER_CONTAINER + i;
      if (n >= miners) break;
      const id = `m${n}`;
      const rack = `R${Math.floor(i / 50) + 1}`;
      const slot = `S${(i % 50) + 1}`;
      const slotId = `${cid}/${rack}/${slot}`;
      rows.slots.push([slotId, cid, rack, slot, id]);
      rows.miners.push([
        id,
        `SN${n}`,
        'Antminer S19 Pro',
        'antminer-stock',
        'in_service',
        site,
        cid,
        slotId,
        NOW,
        NOW,
      ]);
      // A realistic share of trouble: 1 % hot, 1 % slow, 0.5 % a failed fan, 0.5 % unreachable.
      const r = rand();
      const hot = r < 0.01;
      const low = r >= 0.01 && r < 0.02;
      const fan = r >= 0.02 && r < 0.025;
      const offline = r >= 0.025 && r < 0.03;
      if (hot) faults.hot++;
      if (low) faults.low++;
      if (fan) faults.fan++;
      if (offline) faults.offline++;
      const ths = (low ? 60 : 110) * (1 + 0.01 * (rand() - 0.5));
      const sample = {
        ...exampleSample,
        minerKey: `SN${n}`,
        serial: `SN${n}`,
        at: NOW - 5_000,
        slot: { rack, slot },
        hashrate5sThs: ths,
        boards: [1, 2, 3].map((index) => ({ ...exampleSample.boards[0]!, index })),
        chipTempMaxC: hot ? 96 : 65 + rand() * 10,
        fansRpm: fan ? [5400, 5400, 5400] : [5400, 5460, 5380, 5420],
        powerW: 3250 * (1 + 0.02 * (rand() - 0.5)),
        powerProvenance: 'reported' as const,
        agentId: `agent-${c}`,
      };
      latest.push(benchLatestRow(id, sample, NOW - 4_000, offline ? 'connect ECONNREFUSED' : null));
      for (let k = 0; k < HISTORY_MIN; k++) {
        const minute = Math.floor((NOW - k * 60_000) / 60_000) * 60_000;
        history.push([id, minute, minute + 1_000, ths, sample.chipTempMaxC, sample.powerW]);
      }
      const pdu = Math.floor(i / 50);
      const outlet = (i % 50) + 1;
      outlets.push([`${cid}-pdu${pdu}`, outlet, slotId]);
      pduOutlets[pdu]!.push({ outlet, powerW: sample.powerW, currentA: sample.powerW / 230, state: 'on' });
    }
    pduOutlets.forEach((o, p) => {
      if (o.length === 0) return;
      const sample = {
        totalPowerW: o.reduce((s, x) => s + x.powerW, 0) / 3,
        outlets: o,
        sensors: [{ kind: 'temperature', location: 'inlet', value: 28 }],
      };
      pdus.push([`${cid}-pdu${p}`, cid, NOW - 5_000, JSON.stringify(sample), sample.totalPowerW]);
    });
  }
  await db.tx(async (tx) => {
    await insertMany(
      tx,
      'INSERT INTO sites (id, name, timezone, tariff_json, created_at, updated_at)',
      6,
      rows.sites,
    );
    await insertMany(
      tx,
      'INSERT INTO containers (id, site_id, name, agent_id, created_at, updated_at)',
      6,
      rows.containers,
    );
    await insertMany(tx, 'INSERT INTO slots (id, container_id, rack, slot, miner_id)', 5, rows.slots);
    await insertMany(
      tx,
      'INSERT INTO miners (id, serial, model, profile, status, site_id, container_id, slot_id, created_at, updated_at)',
      10,
      rows.miners,
    );
    await insertMany(tx, LATEST_HEAD, LATEST_WIDTH, latest);
    await insertMany(
      tx,
      'INSERT INTO miner_history (miner_id, minute, at, hashrate_ths, chip_temp_max_c, power_w)',
      6,
      history,
    );
    await insertMany(tx, 'INSERT INTO pdu_outlets (pdu_id, outlet, slot_id)', 3, outlets);
    await insertMany(tx, 'INSERT INTO pdu_latest (pdu_id, container_id, at, sample_json, power_w)', 5, pdus);
    await insertMany(
      tx,
      'INSERT INTO agents (id, site_id, container_id, state, state_at, last_seen_at, metrics_json)',
      7,
      agents,
    );
  });
  return { containers, faults };
}
