import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { findModel } from '@hashfleet/firmware-profiles';
import { SimClock } from './clock.js';
import { type SimFirmware, simFirmware } from './firmware/registry.js';
import type { RpcFirmware } from './firmware/types.js';
import { answerWmV3, serveFramed } from './firmware/whatsminer-v3.js';
import { ambientC } from './model/ambient.js';
import { type FaultInput, type FaultKind, FaultSchema, PERSISTENT_FAULTS } from './model/faults.js';
import { MinerModel } from './model/miner.js';
import { SimPdu, type SimPduInfo } from './pdu/pdu.js';
import { seedFor } from './rng.js';
import {
  type Container,
  type MinerSpec,
  parseScenario,
  type Scenario,
  type ScenarioInput,
  type Site,
} from './scenario/schema.js';
import type { MinerTruth, SimMinerInfo, SimulationOptions } from './sim-types.js';
import { SimSshServer } from './ssh-server.js';
import { truthOf } from './truth.js';
import { type AccessRules, parseAccess } from './wire/access.js';
import { answerRpc } from './wire/rpc-handler.js';
import { type Delivery, serveOneShot } from './wire/serve.js';

type SimMiner = {
  spec: MinerSpec;
  model: MinerModel;
  fw: RpcFirmware;
  /** Its simulated firmware's record (web API, v3 port, passwords). */
  twin: SimFirmware;
  access: AccessRules;
  site: Site;
  container: Container;
  info: SimMinerInfo;
  servers: Server[];
  listening: boolean;
  /** Serialises listen/close so a quick reboot cannot interleave them. */
  transition: Promise<void>;
};

const BIND_CONCURRENCY = 256;

export class Simulation {
  readonly miners: SimMinerInfo[];
  readonly pdus: SimPduInfo[];
  readonly clock: SimClock;
  private readonly byId = new Map<string, SimMiner>();
  private readonly pduObjects: SimPdu[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly events: { atMs: number; run: (atMs: number) => void }[] = [];
  private readonly usedIps = new Set<string>();
  private ticker: NodeJS.Timeout | null = null;
  private readonly ssh: SimSshServer | null;
  private http: HttpServer | null = null;
  private readonly byIp = new Map<string, SimMiner>();
  private stopped = false;
  readonly delivery: Delivery;

  constructor(
    readonly scenario: Scenario,
    private readonly opts: SimulationOptions,
  ) {
    // Options win over the scenario's own ports, so a test can turn SSH/HTTP on for any scenario.
    opts = {
      ...opts,
      sshPort: opts.sshPort ?? scenario.ports.ssh,
      httpPort: opts.httpPort ?? scenario.ports.http,
    };
    this.opts = opts;
    this.clock = new SimClock(opts.clock ?? 'manual', opts.startMs);
    this.delivery = {
      track: (socket) => {
        this.sockets.add(socket);
        socket.once('close', () => this.sockets.delete(socket));
      },
      timer: (fn, ms) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          fn();
        }, ms);
        this.timers.add(t);
      },
    };
    const now = this.clock.now();
    const sites = new Map(scenario.sites.map((s) => [s.id, s]));
    const containers = new Map(scenario.containers.map((c) => [c.id, c]));
    for (const spec of scenario.miners) {
      const info = findModel(spec.model);
      if (!info)
        throw new Error(
          `scenario ${scenario.name}: miner ${spec.id}: model ${spec.model} not in the model table`,
        );
      const twin = simFirmware(spec.profile);
      const fw = twin.rpc;
      const container = containers.get(spec.containerId)!;
      const site = sites.get(container.siteId)!;
      const pools = [
        { url: scenario.pool.url, user: spec.worker, password: 'x' },
        { url: scenario.pool.backupUrl, user: spec.worker, password: 'x' },
      ];
      const model = new MinerModel(
        { ...spec, model: info, hostname: spec.id },
        pools,
        seedFor(scenario.seed, spec.id),
        now,
        {
          bootS: scenario.timing.bootS,
          restartS: scenario.timing.restartS,
          upgradeBootS: scenario.timing.upgradeBootS,
        },
      );
      model.failsUpgrade = spec.failsUpgrade ?? false;
      model.password = spec.password ?? twin.password;
      model.sshPassword = spec.password ?? twin.sshPassword;
      model.advance(now, ambientC(site, now) + container.inletOffsetC);
      const access = parseAccess(spec.apiAllow ?? fw.defaultApiAllow, fw.defaultApiGroups);
      const minerInfo: SimMinerInfo = {
        id: spec.id,
        ip: spec.ip,
        ports: {
          rpc: scenario.ports.rpc,
          ...(twin.wmV3 ? { wmV3: scenario.ports.wmV3 } : {}),
          ...(opts.sshPort !== undefined ? { ssh: opts.sshPort } : {}),
          ...(opts.httpPort !== undefined && twin.web ? { http: opts.httpPort } : {}),
        },
        profile: spec.profile,
        model: info.model,
        firmwareVersion: spec.firmwareVersion,
        serial: spec.serial,
        mac: spec.mac,
        worker: spec.worker,
        siteId: site.id,
        containerId: container.id,
        rack: spec.rack,
        slot: spec.slot,
        pduId: spec.pdu?.pduId ?? null,
        outlet: spec.pdu?.outlet ?? null,
      };
      this.usedIps.add(spec.ip);
      this.byId.set(spec.id, {
        spec,
        model,
        fw,
        twin,
        access,
        site,
        container,
        info: minerInfo,
        servers: [],
        listening: false,
        transition: Promise.resolve(),
      });
    }
    this.miners = [...this.byId.values()].map((m) => m.info);
    for (const m of this.byId.values()) this.byIp.set(m.info.ip, m);
    this.ssh =
      opts.sshPort === undefined
        ? null
        : new SimSshServer({
            minerAt: (address) => this.byIp.get(address)?.model ?? null,
            now: () => this.clock.now(),
            changed: (model) => void this.sync(this.get(model.id)),
          });
    for (const p of scenario.pdus) {
      this.pduObjects.push(
        new SimPdu(p, {
          now: () => this.clock.now(),
          outletMiner: (outlet) => this.minerOnOutlet(p.id, outlet),
          truth: (id) => this.miner(id),
          site: () => sites.get(containers.get(p.containerId)!.siteId)!,
          switchOutlet: (outlet, action) => this.switchOutlet(p.id, outlet, action),
        }),
      );
    }
    this.pdus = this.pduObjects.map((p) => p.info);
  }

  /** Binds every listener and PDU agent. */
  async start(): Promise<void> {
    const all = [...this.byId.values()];
    let done = 0;
    for (let i = 0; i < all.length; i += BIND_CONCURRENCY) {
      await Promise.all(all.slice(i, i + BIND_CONCURRENCY).map((m) => this.sync(m)));
      done = Math.min(all.length, i + BIND_CONCURRENCY);
      this.opts.onProgress?.(done, all.length);
    }
    if (this.opts.pdus !== false) for (const p of this.pduObjects) await p.start();
    for (const f of this.scenario.faults) await this.setFault(f.minerId, f.fault);
    this.ticker = setInterval(() => void this.runDue(), 200);
    this.ticker.unref();
  }

  private get(minerId: string): SimMiner {
    const m = this.byId.get(minerId);
    if (!m) throw new Error(`simulation: unknown miner ${minerId}`);
    return m;
  }

  private advance(m: SimMiner): number {
    const now = this.clock.now();
    m.model.advance(now, ambientC(m.site, now) + m.container.inletOffsetC);
    return now;
  }

  /** Opens or closes a miner's listeners to match whether its API is up (refused when down). */
  private sync(m: SimMiner): Promise<void> {
    m.transition = m.transition.then(async () => {
      if (this.stopped) return;
      const now = this.clock.now();
      const up = m.model.apiUp(now);
      if (up && !m.listening) {
        await this.listen(m);
      } else if (!up) {
        if (m.listening) {
          m.listening = false;
          for (const s of m.servers) s.close();
          m.servers = [];
        }
        // Also when already closed: a miner powered back on boots while its listeners are down,
        // and must open them once booted.
        if (Number.isFinite(m.model.apiReadyMs) && !m.model.faults.has('dead')) {
          this.schedule(m.model.apiReadyMs, () => void this.sync(m));
        }
      }
    });
    return m.transition;
  }

  private async listen(m: SimMiner): Promise<void> {
    const endpoints: [number, (socket: Socket) => void][] = [
      [
        m.info.ports.rpc,
        (socket) =>
          serveOneShot(
            socket,
            this.delivery,
            (req, peer) => this.answer(m, req, peer),
            () => m.model.faults,
          ),
      ],
    ];
    if (m.info.ports.wmV3 !== undefined) {
      endpoints.push([
        m.info.ports.wmV3,
        (socket) =>
          serveFramed(
            socket,
            this.delivery,
            (frame) => {
              const now = this.advance(m);
              const out = answerWmV3(m.model, frame, now);
              queueMicrotask(() => {
                out.after?.();
                void this.sync(m);
              });
              return out.body;
            },
            () => m.model.faults,
          ),
      ]);
    }
    if (m.info.ports.http !== undefined) {
      const http = this.webServer();
      endpoints.push([
        m.info.ports.http,
        (socket) => {
          this.delivery.track(socket);
          if (m.model.faults.has('hung')) return;
          http.emit('connection', socket);
        },
      ]);
    }
    if (this.ssh && m.info.ports.ssh !== undefined) {
      const ssh = this.ssh;
      endpoints.push([
        m.info.ports.ssh,
        (socket) => {
          this.delivery.track(socket);
          if (m.model.faults.has('hung')) return;
          ssh.accept(socket);
        },
      ]);
    }
    const servers: Server[] = [];
    try {
      for (const [port, handler] of endpoints) {
        const server = createServer({ noDelay: true }, handler);
        servers.push(server);
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: m.info.ip, port, backlog: 128, exclusive: true }, () => {
            server.off('error', reject);
            resolve();
          });
        });
      }
    } catch (err) {
      for (const s of servers) s.close();
      throw Object.assign(new Error(`miner ${m.info.id} ${m.info.ip}: listen: ${(err as Error).message}`), {
        code: (err as NodeJS.ErrnoException).code,
      });
    }
    m.servers = servers;
    m.listening = true;
  }

  /** One HTTP server for every miner's web port; the miner is the one bound to the local address. */
  private webServer(): HttpServer {
    if (!this.http) {
      this.http = createHttpServer((req, res) => {
        const m = this.byIp.get((req.socket.localAddress ?? '').replace(/^::ffff:/, ''));
        if (!m) {
          res.writeHead(404).end();
          return;
        }
        this.advance(m);
        if (!m.twin.web) {
          res.writeHead(404).end();
          return;
        }
        m.twin
          .web(
            m.model,
            () => this.clock.now(),
            req,
            res,
            () => void this.sync(m),
          )
          .catch(() => res.destroy());
      });
    }
    return this.http;
  }

  private answer(m: SimMiner, request: string, peer: string): Buffer | null {
    const now = this.advance(m);
    if (!m.model.apiUp(now)) return null;
    const out = answerRpc(m.fw, m.access, m.model, request, peer, now);
    if (out.after.length) {
      // Effects (reboot, restart) land after the reply is written, as on the real daemon.
      queueMicrotask(() => {
        for (const fn of out.after) fn();
        void this.sync(m);
      });
    }
    return Buffer.from(out.body, 'latin1');
  }

  /** Runs `run(atMs)` once simulated time reaches `atMs` (it gets its own time, not the late one). */
  private schedule(atMs: number, run: (atMs: number) => void): void {
    this.events.push({ atMs, run });
  }

  private async runDue(): Promise<void> {
    const now = this.clock.now();
    const due = this.events.filter((e) => e.atMs <= now);
    if (!due.length) return;
    this.events.splice(0, this.events.length, ...this.events.filter((e) => e.atMs > now));
    for (const e of due.sort((a, b) => a.atMs - b.atMs)) e.run(e.atMs);
    await Promise.all([...this.byId.values()].map((m) => m.transition));
  }

  /** Moves simulated time forward (both clock modes) and lets due events (boots) happen. */
  async tick(ms = 0): Promise<void> {
    this.clock.advance(ms);
    for (const p of this.pduObjects) p.invalidate();
    await this.runDue();
    await Promise.all([...this.byId.values()].map((m) => m.transition));
  }

  /** The miner's true state now (advances its model). */
  miner(minerId: string): MinerTruth {
    const m = this.get(minerId);
    return truthOf(m.model, this.advance(m));
  }

  /** The SSH host key every simulated miner presents (`ssh-rsa AAAA...`), to pin; null without SSH. */
  get sshHostKey(): string | null {
    return this.ssh?.hostKey ?? null;
  }

  info(minerId: string): SimMinerInfo {
    return this.get(minerId).info;
  }

  /** Gives a miner a fault (see FaultSchema); one-shot faults happen now. */
  async setFault(minerId: string, input: FaultInput): Promise<void> {
    const m = this.get(minerId);
    const fault = FaultSchema.parse(input);
    const now = this.advance(m);
    const x = m.model;
    if (PERSISTENT_FAULTS.has(fault.kind)) x.faults.set(fault.kind, fault);
    switch (fault.kind) {
      case 'pool-changed':
        x.setPool(x.activePool, { url: fault.url, user: fault.user, password: 'x' });
        break;
      case 'counter-reset':
        x.resetCounters(now);
        break;
      case 'swapped-control-board':
        x.mac = x.newMac();
        m.info.mac = x.mac;
        x.reboot(now);
        break;
      case 'changed-ip':
        await this.moveIp(m);
        break;
      default:
        break;
    }
    await this.sync(m);
  }

  /** Clears one fault kind, or all of them. */
  async clearFault(minerId: string, kind?: FaultKind): Promise<void> {
    const m = this.get(minerId);
    this.advance(m);
    if (kind) m.model.faults.delete(kind);
    else m.model.faults.clear();
    await this.sync(m);
  }

  private async moveIp(m: SimMiner): Promise<void> {
    const [base, bits] = m.container.ipBlock.split('/') as [string, string];
    const start = ipToInt(base);
    const size = 2 ** (32 - Number(bits));
    const offset = m.model.rng.int(size - 2) + 1;
    for (let i = 0; i < size - 2; i++) {
      const candidate = intToIp(start + 1 + ((offset + i) % (size - 2)));
      if (this.usedIps.has(candidate) || candidate.endsWith('.255') || candidate.endsWith('.0')) continue;
      await m.transition;
      for (const s of m.servers) s.close();
      m.servers = [];
      m.listening = false;
      this.usedIps.delete(m.info.ip);
      this.usedIps.add(candidate);
      this.byIp.delete(m.info.ip);
      this.byIp.set(candidate, m);
      m.info.ip = candidate;
      m.model.ip = candidate;
      return;
    }
    throw new Error(`miner ${m.info.id}: changed-ip: no free address in ${m.container.ipBlock}`);
  }

  private minerOnOutlet(pduId: string, outlet: number): string | null {
    for (const m of this.byId.values())
      if (m.spec.pdu?.pduId === pduId && m.spec.pdu.outlet === outlet) return m.info.id;
    return null;
  }

  /** PDU outlet control: the miner on it really loses power (API refused, counters reset on power-on). */
  private switchOutlet(pduId: string, outlet: number, action: 'on' | 'off' | 'cycle'): void {
    const id = this.minerOnOutlet(pduId, outlet);
    if (!id) return;
    const m = this.get(id);
    const now = this.advance(m);
    if (action === 'off' || action === 'cycle') m.model.powerOff(now);
    if (action === 'on') m.model.powerOn(now);
    if (action === 'cycle') {
      this.schedule(now + this.scenario.timing.outletCycleS * 1000, (at) => {
        m.model.powerOn(at);
        void this.sync(m);
      });
    }
    void this.sync(m);
  }

  /** Sets a PDU outlet's energy counter (Wh): 0 for a user reset, or near the wrap point. */
  setPduEnergy(pduId: string, outlet: number, wh: number): void {
    const pdu = this.pduObjects.find((p) => p.info.id === pduId);
    if (!pdu) throw new Error(`simulation: unknown pdu ${pduId}`);
    pdu.setEnergy(outlet, wh);
    pdu.invalidate();
  }

  /** Powers a miner off or on directly (as if its outlet were switched). */
  async power(minerId: string, on: boolean): Promise<void> {
    const m = this.get(minerId);
    const now = this.advance(m);
    if (on) m.model.powerOn(now);
    else m.model.powerOff(now);
    await this.sync(m);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.byId.values()].map((m) => m.transition));
    for (const s of this.sockets) s.destroy();
    const closes: Promise<void>[] = [];
    for (const m of this.byId.values()) {
      for (const s of m.servers) closes.push(new Promise((r) => s.close(() => r())));
      m.servers = [];
      m.listening = false;
    }
    for (const p of this.pduObjects) closes.push(p.stop());
    await Promise.all(closes);
  }
}

const ipToInt = (ip: string): number => ip.split('.').reduce((n, p) => n * 256 + Number(p), 0);
const intToIp = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** Rewrites every 127.A.x.y in a scenario to 127.N.x.y. */
export function moveScenario(s: Scenario, second: number): Scenario {
  const re = /^127\.\d{1,3}\./;
  const to = `127.${second}.`;
  return {
    ...s,
    containers: s.containers.map((c) => ({ ...c, ipBlock: c.ipBlock.replace(re, to) })),
    miners: s.miners.map((m) => ({ ...m, ip: m.ip.replace(re, to) })),
    pdus: s.pdus.map((p) => ({ ...p, host: p.host.replace(re, to) })),
  };
}

/**
 * Starts a scenario: one listener per miner on its own loopback IP, SNMP agents for its PDUs.
 * With `addressing: free-block` the scenario moves to a random 127.N.0.0/16 and retries on
 * EADDRINUSE, so parallel test files never collide.
 */
export async function startSimulation(
  input: Scenario | ScenarioInput,
  opts: SimulationOptions = {},
): Promise<Simulation> {
  const scenario = parseScenario(input);
  if (scenario.addressing === 'fixed') {
    const sim = new Simulation(scenario, opts);
    try {
      await sim.start();
    } catch (err) {
      await sim.stop();
      throw err;
    }
    return sim;
  }
  let lastError: unknown;
  for (let attempt = 0; attempt < 12; attempt++) {
    const second = 30 + Math.floor(Math.random() * 220);
    const sim = new Simulation(moveScenario(scenario, second), opts);
    try {
      await sim.start();
      return sim;
    } catch (err) {
      lastError = err;
      await sim.stop();
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  throw lastError;
}

export type { MinerTruth, SimMinerInfo, SimulationOptions } from './sim-types.js';
