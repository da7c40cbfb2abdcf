import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningAgent, startAgent } from '@hashfleet/agent/agent';
import { loadAgentConfig } from '@hashfleet/agent/config';
import { decodeMessage, type Power } from '@hashfleet/contracts';
import { importStakes, writeAttribution } from '@hashfleet/controller/accounting/service';
import { buildApp } from '@hashfleet/controller/core/app';
import { SYSTEM } from '@hashfleet/controller/core/auth/roles';
import { loadControllerConfig } from '@hashfleet/controller/core/config';
import { toLine } from '@hashfleet/controller/core/influx/line';
import type { InfluxPoint } from '@hashfleet/controller/core/influx/sink';
import { upsertSite } from '@hashfleet/controller/fleet/inventory/sites';
import { dashboards, INFLUX_DATABASE } from '@hashfleet/dashboards';
import { dashboardQueries, substitute } from '@hashfleet/dashboards/template';
import { type Simulation, smallScenario, startSimulation } from '@hashfleet/simulator';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Consumer, TestBroker } from '../agent/test/helpers.js';
import { INFLUXD, type Influxd, type InfluxResult, startInfluxd } from './lib/influxd.js';

/**
 * Every InfluxQL query of every generated dashboard, Grafana's macros expanded, against a real
 * InfluxDB 1.x holding what the controller really writes for a simulated day: two real agents
 * poll a simulated site (2 containers x 10 miners of 4 firmwares, 2 PDUs over SNMP) every 5
 * minutes for 24 h of manual clock, publish over MQTT, the controller ingests every message, and
 * the points it hands its InfluxDB sink go through its own `toLine` to influxd's /write.
 */

const runOrSkip = !existsSync(INFLUXD) && !process.env.CI ? describe.skip : describe;

const DAY0 = Date.UTC(2026, 5, 1);
const STEP_MS = 300_000;
const CYCLES = 288;
const CONTAINERS = ['c1', 'c2'] as const;
const PROFILES = ['antminer-stock', 'braiins-os', 'whatsminer-v2', 'avalon'] as const;
/** A miner of c1 that goes dead for an hour mid-day, so its dashboard has events. */
const FAULTY = 'm0003';
const FAULT_FROM = 120;
const FAULT_TO = 132;

// Sichuan-style time of use, in the site's local time (UTC+8): 0.05 USD/kWh 08:00-22:00, else 0.03.
const rateAtLocalHour = (h: number) => (h >= 8 && h < 22 ? 0.05 : 0.03);
const rateAt = (ms: number) => rateAtLocalHour((new Date(ms).getUTCHours() + 8) % 24);

/** smallScenario's one container split in two, each with its own PDU and address block. */
function scenario() {
  const s = smallScenario({ miners: 20, profiles: [...PROFILES], seed: 11 });
  const pdu = s.pdus![0]!;
  s.pdus = CONTAINERS.map((c, i) => ({
    ...pdu,
    id: `pdu-${c}`,
    vendor: i === 0 ? 'apc-rpdu2' : 'raritan-pdu2',
    containerId: c,
    host: `127.99.0.${200 + i}`,
  }));
  s.containers = CONTAINERS.map((c, i) => ({
    ...s.containers![0]!,
    id: c,
    name: `Container ${c}`,
    ipBlock: `127.99.${i + 1}.0/24`,
  }));
  s.miners = s.miners!.map((m, i) => {
    const c = CONTAINERS[Math.floor(i / 10)]!;
    return {
      ...m,
      containerId: c,
      ip: `127.99.${Math.floor(i / 10) + 1}.${10 + (i % 10)}`,
      rack: 'R1',
      slot: `S${(i % 10) + 1}`,
      pdu: { pduId: `pdu-${c}`, outlet: (i % 10) + 1 },
    };
  });
  return s;
}

function agentConfig(sim: Simulation, container: string, brokerUrl: string) {
  const miners = sim.miners.filter((m) => m.containerId === container);
  const [a, b, c] = miners[0]!.ip.split('.');
  process.env['TEST_SNMP_COMMUNITY'] = 'public';
  process.env['TEST_SNMP_WRITE'] = 'private';
  return loadAgentConfig({
    agentId: `lab-${container}`,
    siteId: 'lab',
    containerId: container,
    miners: {
      ranges: [`${a}.${b}.${c}.0/27`],
      ports: { rpc: miners[0]!.ports.rpc, wmV3: 4433 },
      slots: miners.map((m) => ({ ip: m.ip, rack: m.rack, slot: m.slot })),
    },
    pdus: sim.pdus
      .filter((p) => p.containerId === container)
      .map((p) => ({
        id: p.id,
        vendor: p.vendor,
        host: p.host,
        port: p.port,
        timeoutMs: 1000,
        snmp: {
          version: '2c',
          community: { env: 'TEST_SNMP_COMMUNITY' },
          writeCommunity: { env: 'TEST_SNMP_WRITE' },
        },
        outlets: Object.entries(p.outletMiner)
          .filter(([, id]) => id)
          .map(([outlet, id]) => ({
            outlet: Number(outlet),
            rack: sim.info(id!).rack,
            slot: sim.info(id!).slot,
          })),
      })),
    polling: { requestTimeoutMs: 2000, intervalMs: STEP_MS, concurrency: 16, backoffInitialMs: 30_000 },
    discovery: { timeoutMs: 2000, concurrency: 64 },
    spool: { dir: mkdtempSync(join(tmpdir(), 'agent-spool-')), fsync: 'never' },
    mqtt: { url: brokerUrl, reconnectMs: 100 },
  });
}

const waitFor = async (what: string, ok: () => boolean, ms = 10_000) => {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

runOrSkip('dashboards: every panel query against a real InfluxDB 1.x holding a simulated day', () => {
  let sim: Simulation;
  let broker: TestBroker;
  let consumer: Consumer;
  let app: FastifyInstance;
  let influxd: Influxd;
  const agents: RunningAgent[] = [];
  const points: InfluxPoint[] = [];
  /** Sum of the simulator's true hashrate per cycle, by container. */
  const truthThs: Record<string, number>[] = [];
  const power: Power[] = [];
  let faultyMiner = '';
  let lines = 0;
  let dir = '';

  beforeAll(async () => {
    sim = await startSimulation(scenario(), { startMs: DAY0 });
    broker = new TestBroker();
    await broker.start();
    consumer = await Consumer.connect(broker.url);
    dir = mkdtempSync(join(tmpdir(), 'hashfleet-dash-'));
    app = await buildApp(
      loadControllerConfig(
        // Its agents are not bound to containers (controller/test/agent-places.test.ts tests binding).
        {
          dataDir: dir,
          storage: { url: 'sqlite::memory:' },
          log: { level: 'silent' },
          ingest: { unboundAgents: 'accept' },
        },
        {},
      ),
      { now: () => sim.clock.now() },
    );
    const db = app.hashfleet.db;
    await upsertSite(
      db,
      {
        id: 'lab',
        name: 'Lab',
        timezone: 'Asia/Shanghai',
        tariff: {
          currency: 'USD',
          perKwh: Array.from({ length: 12 }, () => Array.from({ length: 24 }, (_, h) => rateAtLocalHour(h))),
        },
      },
      DAY0,
    );
    // The sink the controller hands its points to: captured here, written to influxd below.
    app.hashfleet.influx = {
      write: (p) => void points.push(...p),
      flush: async () => {},
      stats: () => ({
        linesQueued: 0,
        linesWritten: 0,
        linesSpilled: 0,
        linesReplayed: 0,
        linesDropped: 0,
        spillBytes: 0,
        writeErrors: 0,
      }),
      close: async () => {},
    };
    const logger = pino({ level: 'silent' });
    for (const c of CONTAINERS) {
      const agent = await startAgent(agentConfig(sim, c, broker.url), {
        schedule: 'manual',
        now: () => sim.clock.now(),
        logger,
      });
      agents.push(agent);
      await agent.scanNow();
    }
    let fed = 0;
    const feed = async () => {
      for (; fed < consumer.received.length; fed++) {
        const r = consumer.received[fed]!;
        const outcome = await app.hashfleet.ingest.handle(r.topic, new TextEncoder().encode(r.raw));
        if (outcome !== 'applied' && outcome !== 'duplicate' && outcome !== 'ignored')
          throw new Error(`ingest ${r.topic}: ${outcome}`);
        if (r.kind === 'power') {
          const d = decodeMessage('power', r.raw, r.topic.split('/')[3]!);
          if (d.ok) power.push(d.value as Power);
        }
      }
    };
    const count = (kind: string) => consumer.received.filter((r) => r.kind === kind).length;
    for (let k = 0; k < CYCLES; k++) {
      if (k > 0) await sim.tick(STEP_MS);
      if (k === FAULT_FROM) await sim.setFault(FAULTY, { kind: 'dead' });
      if (k === FAULT_TO) await sim.clearFault(FAULTY);
      await Promise.all(agents.map((a) => a.pollNow()));
      truthThs.push(
        Object.fromEntries(
          CONTAINERS.map((c) => [
            c,
            sim.miners
              .filter((m) => m.containerId === c)
              .reduce((sum, m) => sum + sim.miner(m.id).hashrateThs, 0),
          ]),
        ),
      );
      await Promise.all(agents.map((a) => a.drained()));
      await waitFor(`cycle ${k}: both agents' telemetry and power`, () => {
        return count('telemetry') >= 2 * (k + 1) && count('power') >= 2 * (k + 1);
      });
      await feed();
    }
    // Stakers: two solo nodes, attributed per hour as a period close does.
    const csv = [
      'staker_id,staker_name,node_id,node_kind,amount_hss,effective_at',
      'alice,Alice,node-a,solo,20000,2026-05-31T00:00:00Z',
      'bob,Bob,node-b,solo,15000,2026-05-31T00:00:00Z',
    ].join('\n');
    const deps = { db, audit: app.hashfleet.audit, influx: app.hashfleet.influx, now: () => sim.clock.now() };
    await importStakes(deps, csv, 'interop', SYSTEM);
    await writeAttribution(deps, '2026-06-01');

    faultyMiner =
      points.find((p) => p.measurement === 'miner_event' && p.tags['kind'] === 'miner.lost')?.tags['miner'] ??
      '';
    influxd = await startInfluxd(INFLUX_DATABASE);
    const text = points.map(toLine).filter((l): l is string => l !== null);
    lines = text.length;
    await influxd.write(text);
  }, 240_000);

  afterAll(async () => {
    for (const a of agents) await a.stop();
    await consumer?.end();
    await broker?.kill();
    await sim?.stop();
    await app?.close();
    await influxd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const dayEnd = DAY0 + (CYCLES - 1) * STEP_MS;
  const dayFilter = `time >= ${DAY0}ms and time <= ${dayEnd}ms`;
  /** A panel's relative `timeFrom` (15m, 24h...) as Grafana applies it, "now" being the day's last sample. */
  const windowFilter = (timeFrom: string | undefined) => {
    const m = /^(\d+)([mhd])$/.exec(timeFrom ?? '');
    if (!m) return dayFilter;
    const ms = Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
    return `time >= ${dayEnd - ms}ms and time <= ${dayEnd}ms`;
  };
  const variables = (all: boolean) => ({
    site: all ? '.*' : 'lab',
    container: all ? '.*' : 'c1',
    miner: faultyMiner,
    staker: all ? '.*' : 'alice',
    node: all ? '.*' : 'node-a',
  });
  async function run(query: string, all: boolean, timeFrom?: string, interval = '5m'): Promise<InfluxResult> {
    return influxd.query(
      substitute(query, { timeFilter: windowFilter(timeFrom), interval, variables: variables(all) }),
    );
  }

  it('the controller produced points of every measurement the dashboards read, and the fault produced events', () => {
    expect(lines).toBeGreaterThan(CYCLES * 20);
    expect([...new Set(points.map((p) => p.measurement))].sort()).toEqual(
      [
        'agent',
        'board',
        'container',
        'energy',
        'miner',
        'miner_event',
        'miner_shares',
        'outlet',
        'pdu',
        'pdu_phase',
        'sensor',
        'staker_hashrate',
      ].sort(),
    );
    expect(faultyMiner, 'a miner.lost event of the miner given the dead fault').toBeTruthy();
  });

  for (const [name, build] of Object.entries(dashboards)) {
    const dashboard = build();
    const timeFromOf = new Map<string, string | undefined>();
    const visit = (p: { title?: string; timeFrom?: string; panels?: unknown[] }) => {
      if (p.title) timeFromOf.set(p.title, p.timeFrom);
      for (const c of (p.panels ?? []) as (typeof p)[]) visit(c);
    };
    for (const p of dashboard.panels ?? []) visit(p as never);
    for (const { where, query } of dashboardQueries(dashboard)) {
      const title = where.split(' / ')[1]!;
      for (const all of [false, true]) {
        it(`${where} (${all ? 'All' : 'one site, container, miner, staker'}) returns data${all ? ' for both containers' : ''}`, async () => {
          const result = await run(query, all, timeFromOf.get(title));
          const context = `${name}: ${where}: ${query}`;
          expect(result.error, context).toBeUndefined();
          const series = result.series ?? [];
          const values = series.flatMap((s) => s.values.flatMap((row) => row.slice(1)));
          expect(
            values.some((v) => v !== null),
            `${context}: no data in ${JSON.stringify(result).slice(0, 300)}`,
          ).toBe(true);
          const containers = new Set(series.map((s) => s.tags?.['container']).filter(Boolean));
          // A dashboard without the container variable (fleet overview) shows both in either case.
          const oneContainer = !all && query.includes('$container');
          if (containers.size > 0)
            expect([...containers].sort(), context).toEqual(oneContainer ? ['c1'] : ['c1', 'c2']);
        });
      }
    }
  }

  const panelQuery = (uid: string, title: string, refId = 'A') => {
    const q = Object.values(dashboards)
      .map((b) => b())
      .filter((d) => d.uid === uid)
      .flatMap(dashboardQueries)
      .find((x) => x.where === `${uid} / ${title} / ${refId}`);
    if (!q) throw new Error(`no panel ${uid} / ${title} / ${refId}`);
    return q.query;
  };
  const column = (result: InfluxResult, name: string, at: number) => {
    const s = result.series?.[0];
    const row = s?.values.find((r) => r[0] === at);
    return row ? (row[s!.columns.indexOf(name)] as number) : undefined;
  };

  it("fleet overview: the site's hashrate at noon is the sum of the simulator's miners' hashrates", async () => {
    const k = 144;
    const at = DAY0 + k * STEP_MS;
    const result = await run(panelQuery('hashfleet-fleet', 'Hashrate vs expected'), true);
    const got = column(result, 'hashrate', at);
    const truth = truthThs[k]!.c1! + truthThs[k]!.c2!;
    // The firmwares print hashrate rounded (GH/s or MH/s with 2 decimals, Avalon's MHS av as an
    // integer): 0.1 % of a site's sum covers that and nothing else.
    expect(got).toBeDefined();
    expect(Math.abs(got! - truth) / truth).toBeLessThan(0.001);
  });

  it("stakers: at a 6-hour zoom the attributed-hashrate panel still shows each hour's figure as the close wrote it", async () => {
    // The definition (accounting/attribution.ts) is per window; a mean of hours over a wider
    // Grafana interval is a different figure, so the panel keeps one-hour buckets at any zoom.
    const written = points.filter((p) => p.measurement === 'staker_hashrate' && p.tags['staker'] === 'alice');
    expect(written.length, 'hourly staker_hashrate points of alice').toBeGreaterThan(12);
    const result = await run(
      panelQuery('hashfleet-stakers', 'Attributed hashrate by staker (1-hour windows)'),
      false,
      undefined,
      '6h',
    );
    const got = new Map((result.series?.[0]?.values ?? []).map((r) => [r[0] as number, r[1] as number]));
    expect(got.size, JSON.stringify(result).slice(0, 300)).toBe(written.length);
    for (const p of written) {
      const value = got.get(p.at);
      expect(value, `hour ${new Date(p.at).toISOString()}`).toBeDefined();
      expect(Math.abs(value! - (p.fields['hashrate_ths'] as number))).toBeLessThan(1e-9);
    }
  });

  /** Each outlet's raw energy counter as the PDUs reported it, by time. */
  const counters = () => {
    const out = new Map<string, { at: number; wh: number }[]>();
    for (const m of power)
      for (const p of m.pdus)
        for (const o of p.outlets) {
          if (!o.slot || o.energyWh === null) continue;
          const key = `${p.pduId}/${o.outlet}`;
          out.set(key, [...(out.get(key) ?? []), { at: p.at, wh: o.energyWh }]);
        }
    return out;
  };

  it("power and cost: the day's metered energy is what the PDUs' counters advanced", async () => {
    const result = await run(panelQuery('hashfleet-power', 'Energy per day by source'), true);
    const got = column(result, 'metered', DAY0);
    let expected = 0;
    for (const series of counters().values()) expected += series.at(-1)!.wh - series[0]!.wh;
    expect(expected).toBeGreaterThan(20 * 2000); // 20 miners, > 2 kW each for most of a day
    // Both are sums of the same counter readings (1 mWh resolution); only float order differs.
    expect(Math.abs(got! - expected)).toBeLessThan(0.01);
  });

  it("power and cost: the day's cost is each hour's metered energy at that local hour's tariff", async () => {
    const result = await run(panelQuery('hashfleet-power', 'Cost per day by site and tariff currency'), true);
    const got = column(result, 'cost', DAY0);
    let expected = 0;
    for (const series of counters().values()) {
      for (let i = 1; i < series.length; i++) {
        const { at, wh } = series[i]!;
        expected += ((wh - series[i - 1]!.wh) / 1000) * rateAt(at);
      }
    }
    expect(expected).toBeGreaterThan(0);
    expect(Math.abs(got! - expected) / expected).toBeLessThan(1e-9);
  });

  it("container: at noon each PDU phase's current is its outlets' power over the phase voltage", async () => {
    const at = DAY0 + 144 * STEP_MS;
    const result = await run(panelQuery('hashfleet-container', 'PDU phases'), true);
    const checked: string[] = [];
    for (const c of CONTAINERS) {
      const sample = power.flatMap((m) => m.pdus).find((p) => p.pduId === `pdu-${c}` && p.at === at)!;
      expect(sample.phases, `pdu-${c} phases`).toHaveLength(3);
      for (const ph of sample.phases!) {
        const series = result.series?.find(
          (s) => s.tags?.['pdu'] === `pdu-${c}` && s.tags?.['phase'] === String(ph.phase),
        );
        const got = series?.values.find((r) => r[0] === at)?.[1] as number | undefined;
        // Outlets alternate L1, L2, L3 (outlet o on ((o - 1) mod 3) + 1), as the simulator wires them.
        const watts = sample.outlets
          .filter((o) => ((o.outlet - 1) % 3) + 1 === ph.phase)
          .reduce((t, o) => t + (o.powerW ?? 0), 0);
        const expected = watts / ph.voltageV!;
        expect(got, `pdu-${c} L${ph.phase}`).toBeDefined();
        expect(expected).toBeGreaterThan(5);
        // Current is apparent (I = P / (V x PF)): miner PSUs run at a power factor of 0.98-0.99, so the
        // phase reads up to ~2 % over P/V; APC rounds it to 0.1 A. 3 % covers both and no wiring error
        // (one miner more or less on a phase of three or four is 25-33 %).
        expect(
          Math.abs(got! - expected) / expected,
          `pdu-${c} L${ph.phase}: ${got} A vs ${expected} A`,
        ).toBeLessThan(0.03);
        expect(got!).toBeGreaterThanOrEqual(expected);
        checked.push(`pdu-${c}/L${ph.phase}`);
      }
    }
    expect(checked).toHaveLength(6);
    const rating = await run(panelQuery('hashfleet-container', 'PDU phases', 'RATING'), true);
    expect(rating.series?.[0]?.values[0]?.[1]).toBe(125);
  });

  it('a misspelt field returns no series, so the data checks above can fail', async () => {
    const result = await influxd.query(`SELECT mean("hashrate_th") FROM "miner" WHERE ${dayFilter}`);
    expect(result.series ?? []).toEqual([]);
  });
});
