import { createSocket } from 'node:dgram';
import { pduVendor } from '@hashfleet/firmware-profiles/pdus/registry';
import type {
  OutletReading,
  PduReadings,
  PhaseReading,
  SimulatedMib,
} from '@hashfleet/firmware-profiles/pdus/types';
import snmp from 'net-snmp';
import { ambientC } from '../model/ambient.js';
import type { PduSpec, Site } from '../scenario/schema.js';
import type { MinerTruth } from '../sim-types.js';
import { snmpAccess, snmpType } from './vendors.js';

export type SimPduInfo = {
  id: string;
  vendor: PduSpec['vendor'];
  containerId: string;
  host: string;
  port: number;
  community: string;
  writeCommunity: string;
  v3: { user: string; authProtocol: 'sha'; authKey: string; privProtocol: 'aes'; privKey: string };
  outlets: number;
  /** Outlet number -> miner id (null when nothing is plugged in). */
  outletMiner: Record<number, string | null>;
};

export type PduHost = {
  now(): number;
  outletMiner(outlet: number): string | null;
  truth(minerId: string): MinerTruth;
  site(): Site;
  switchOutlet(outlet: number, action: 'on' | 'off' | 'cycle'): void;
};

const VOLTAGE_V = 230;
const POWER_FACTOR = 0.98;
/** PSU losses: the outlet meters what the PSU draws, not what the miner reports. */
const PSU_EFFICIENCY = 0.94;
const REFRESH_MS = 100;

/**
 * One simulated PDU: a net-snmp agent on its own loopback address answering the vendor's real
 * OIDs (v2c communities and a v3 authPriv SHA/AES user). Outlet energy integrates the metered
 * power over simulated time; writing the control object switches the miner on that outlet.
 */
export class SimPdu {
  readonly info: SimPduInfo;
  private agent: { close(cb?: () => void): void; getMib(): unknown } | null = null;
  private readonly energyWh: number[];
  private readonly switchedOff: boolean[];
  private lastMs: number;
  private lastRefresh = 0;

  constructor(
    readonly spec: PduSpec,
    private readonly host: PduHost,
  ) {
    const outletMiner: Record<number, string | null> = {};
    for (let o = 1; o <= spec.outlets; o++) outletMiner[o] = host.outletMiner(o);
    this.info = {
      id: spec.id,
      vendor: spec.vendor,
      containerId: spec.containerId,
      host: spec.host,
      port: spec.port,
      community: spec.community,
      writeCommunity: spec.writeCommunity,
      v3: {
        user: spec.v3.user,
        authProtocol: 'sha',
        authKey: spec.v3.authKey,
        privProtocol: 'aes',
        privKey: spec.v3.privKey,
      },
      outlets: spec.outlets,
      outletMiner,
    };
    this.energyWh = new Array(spec.outlets).fill(0);
    this.switchedOff = new Array(spec.outlets).fill(false);
    this.lastMs = host.now();
  }

  /** Sets an outlet's energy counter (Wh), e.g. near the wrap point in a test, or 0 for a reset. */
  setEnergy(outlet: number, wh: number): void {
    this.integrate();
    this.energyWh[outlet - 1] = wh;
  }

  /** Current readings (advances the energy counters). */
  readings(): PduReadings {
    this.integrate();
    const outlets: OutletReading[] = [];
    for (let o = 1; o <= this.spec.outlets; o++) {
      const id = this.info.outletMiner[o];
      const on = !this.switchedOff[o - 1];
      const powerW = on && id ? this.minerPower(id) : 0;
      outlets.push({
        outlet: o,
        name: id ?? `Outlet ${o}`,
        on,
        powerW,
        currentA: powerW / (VOLTAGE_V * POWER_FACTOR),
        voltageV: VOLTAGE_V,
        energyWh: this.energyWh[o - 1]!,
      });
    }
    const site = this.host.site();
    return {
      outlets,
      phases: phaseReadings(outlets, this.spec.phases, this.spec.phaseRatingA),
      temperatureC: ambientC(site, this.host.now()) + 3,
      humidityPct: 35,
      serial: `${pduVendor(this.spec.vendor).simulated.serialPrefix}${this.spec.id
        .replace(/[^A-Za-z0-9]/g, '')
        .toUpperCase()
        .slice(-10)}`,
    };
  }

  private minerPower(id: string): number {
    const t = this.host.truth(id);
    return t.poweredOn ? t.powerW / PSU_EFFICIENCY : 0;
  }

  private integrate(): void {
    const now = this.host.now();
    const dtH = (now - this.lastMs) / 3_600_000;
    if (dtH <= 0) return;
    this.lastMs = now;
    for (let o = 1; o <= this.spec.outlets; o++) {
      const id = this.info.outletMiner[o];
      if (id && !this.switchedOff[o - 1]) this.energyWh[o - 1]! += this.minerPower(id) * dtH;
    }
  }

  /** Applies an outlet command as the vendor's control object would. */
  control(outlet: number, action: 'on' | 'off' | 'cycle'): void {
    if (outlet < 1 || outlet > this.spec.outlets) return;
    this.integrate();
    this.switchedOff[outlet - 1] = action === 'off';
    this.host.switchOutlet(outlet, action);
  }

  async start(): Promise<void> {
    await assertUdpFree(this.spec.host, this.spec.port);
    const vendor = pduVendor(this.spec.vendor).simulated;
    const agent = snmp.createAgent(
      {
        port: this.spec.port,
        address: this.spec.host,
        accessControlModelType: snmp.AccessControlModelType.Simple,
      },
      () => {},
    );
    const authorizer = agent.getAuthorizer();
    authorizer.addCommunity(this.spec.community);
    authorizer.addCommunity(this.spec.writeCommunity);
    authorizer.addUser({
      name: this.spec.v3.user,
      level: snmp.SecurityLevel.authPriv,
      authProtocol: snmp.AuthProtocols.sha,
      authKey: this.spec.v3.authKey,
      privProtocol: snmp.PrivProtocols.aes,
      privKey: this.spec.v3.privKey,
    });
    const acm = authorizer.getAccessControlModel();
    acm.setCommunityAccess(this.spec.community, snmp.AccessLevel.ReadOnly);
    acm.setCommunityAccess(this.spec.writeCommunity, snmp.AccessLevel.ReadWrite);
    acm.setUserAccess(this.spec.v3.user, snmp.AccessLevel.ReadWrite);
    const mib = agent.getMib();
    const refresh = () => this.refresh(mib, vendor);
    for (const table of vendor.tables) {
      const isControl = table.name === vendor.control.table;
      mib.registerProvider({
        name: table.name,
        type: snmp.MibProviderType.Table,
        oid: table.oid,
        maxAccess: snmp.MaxAccess['not-accessible'],
        tableColumns: [
          ...table.index.map((i) => ({
            number: i.number,
            name: i.name,
            type: snmp.ObjectType.Integer,
            maxAccess: snmpAccess(i.access),
          })),
          ...table.columns.map((c) => ({
            number: c.number,
            name: c.name,
            type: snmpType(c.type),
            maxAccess: snmpAccess(c.access),
          })),
        ],
        tableIndex: table.index.map((i) => ({ columnName: i.name })),
        handler: (req: { operation: number; setValue?: unknown; oid: string; done: () => void }) => {
          if (isControl && req.operation === snmp.PduType.SetRequest) {
            const action = vendor.control.decode(Number(req.setValue));
            const outlet = Number(req.oid.split('.').at(-1));
            if (action) this.control(outlet, action);
            req.done();
            // Reads of the control column report the state, not the last command written.
            setImmediate(() => refresh());
            return;
          }
          refresh();
          req.done();
        },
      });
      const readings = this.readings();
      for (const row of table.rows(readings)) {
        mib.addTableRow(table.name, [...row, ...table.columns.map((c) => c.read(readings, row))]);
      }
    }
    this.agent = agent;
  }

  private refresh(
    mib: { setTableSingleCell(t: string, col: number, idx: number[], v: unknown): void },
    vendor: SimulatedMib,
  ): void {
    const now = Date.now();
    if (now - this.lastRefresh < REFRESH_MS) return;
    this.lastRefresh = now;
    const readings = this.readings();
    for (const table of vendor.tables) {
      for (const row of table.rows(readings)) {
        for (const c of table.columns)
          mib.setTableSingleCell(table.name, c.number, row, c.read(readings, row));
      }
    }
  }

  /** Forces the next request to see fresh values (after tick() in tests). */
  invalidate(): void {
    this.lastRefresh = 0;
  }

  stop(): Promise<void> {
    const agent = this.agent;
    this.agent = null;
    return new Promise((resolve) => (agent ? agent.close(() => resolve()) : resolve()));
  }
}

/** The phase an outlet is wired to: outlets alternate L1, L2, L3 so a filling rack stays balanced. */
export const phaseOfOutlet = (outlet: number, phases: number): number => ((outlet - 1) % phases) + 1;

/** Each phase carries the sum of its outlets; its voltage is the line-to-neutral supply. */
export function phaseReadings(
  outlets: OutletReading[],
  phases: number,
  ratedCurrentA: number,
): PhaseReading[] {
  return Array.from({ length: phases }, (_, i) => {
    const on = outlets.filter((o) => phaseOfOutlet(o.outlet, phases) === i + 1);
    return {
      phase: i + 1,
      currentA: on.reduce((s, o) => s + o.currentA, 0),
      voltageV: VOLTAGE_V,
      powerW: on.reduce((s, o) => s + o.powerW, 0),
      ratedCurrentA,
    };
  });
}

/** net-snmp reports bind errors only to its callback; check first so EADDRINUSE surfaces. */
function assertUdpFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', (err) => {
      s.close();
      reject(
        Object.assign(new Error(`pdu ${host}:${port}: ${err.message}`), {
          code: (err as NodeJS.ErrnoException).code,
        }),
      );
    });
    s.bind(port, host, () => s.close(() => resolve()));
  });
}
