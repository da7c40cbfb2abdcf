import { PDU_VENDOR_IDS } from '@hashfleet/firmware-profiles/pdus/registry';
import { z } from 'zod';
import { SIM_PROFILES } from '../firmware/registry.js';
import { FaultSchema } from '../model/faults.js';

const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'an id: letters, digits, . _ -');
const Ipv4 = z.string().regex(/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/, 'a loopback IPv4 address (127.x.y.z)');
const Cidr = z
  .string()
  .regex(/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}\/(8|9|1\d|2\d|3[0-2])$/, 'a loopback block, e.g. 127.20.1.0/24');

/** Ambient temperature at a site: a yearly and a daily cosine around a mean. */
export const AmbientSchema = z.object({
  meanC: z.number().describe('yearly mean outdoor temperature'),
  annualAmplitudeC: z.number().min(0).default(0).describe('half the summer-winter swing'),
  warmestDayOfYear: z.number().int().min(0).max(365).default(200),
  dailyAmplitudeC: z.number().min(0).default(0).describe('half the day-night swing'),
  warmestHourLocal: z.number().min(0).max(24).default(15),
});

export const SiteSchema = z.object({
  id: Id,
  name: z.string(),
  utcOffsetH: z.number().min(-12).max(14).describe('local time = UTC + this'),
  /** The site's IANA zone (its daylight rules, its name on screen); absent: derived from utcOffsetH. */
  timezone: z.string().min(1).optional(),
  capacityMw: z.number().positive(),
  /** USD/kWh by month (12 rows, January first) and local hour (24 columns). */
  tariffUsdPerKwh: z.array(z.array(z.number().nonnegative()).length(24)).length(12),
  ambient: AmbientSchema,
});

export const ContainerSchema = z.object({
  id: Id,
  siteId: Id,
  name: z.string(),
  ipBlock: Cidr,
  racks: z.number().int().positive(),
  slotsPerRack: z.number().int().positive(),
  /** Inlet air is this much warmer than outdoors (recirculation, sun on the steel). */
  inletOffsetC: z.number().default(3),
});

export const PduRefSchema = z.object({ pduId: Id, outlet: z.number().int().min(1) });

export const MinerSpecSchema = z.object({
  id: Id,
  serial: z.string().min(1),
  mac: z.string().regex(/^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/, 'MAC as AA:BB:CC:DD:EE:FF'),
  model: z.string().describe('canonical model name from the model table'),
  profile: z.string().refine((p) => SIM_PROFILES.includes(p), {
    error: (i) => `no simulated firmware ${JSON.stringify(i.input)} (known: ${SIM_PROFILES.join(', ')})`,
  }),
  firmwareVersion: z.string(),
  containerId: Id,
  rack: z.string(),
  slot: z.string(),
  ip: Ipv4,
  pdu: PduRefSchema.nullable().default(null),
  worker: z.string().describe('pool worker name'),
  /** cgminer --api-allow; null = the firmware's shipped default. */
  apiAllow: z.string().nullable().default(null),
  /** API/admin password; null = the firmware's default (btminer admin, v3 super, root). */
  password: z.string().nullable().default(null),
  /** A bad unit: it takes a firmware image and never answers again (issue 20 rollout tests). */
  failsUpgrade: z
    .boolean()
    .optional()
    .describe('takes a firmware image and never comes back (default false)'),
});

export const PduSchema = z.object({
  id: Id,
  vendor: z.enum(PDU_VENDOR_IDS).describe('PDU vendor (firmware-profiles/src/pdus/)'),
  containerId: Id,
  host: Ipv4,
  port: z.number().int().min(1).max(65535),
  outlets: z.number().int().min(1).max(96),
  community: z.string().default('public'),
  writeCommunity: z.string().default('private'),
  /**
   * Lines of the feed; outlet o sits on phase ((o - 1) mod phases) + 1, so a filling rack stays
   * balanced. 0: a model that meters no phases (its phase tables are empty).
   */
  phases: z.union([z.literal(0), z.literal(1), z.literal(3)]).default(3),
  /**
   * Per-phase current the PDU calls an overload (APC overload threshold, Raritan inlet rating).
   * 125 A: a container PDU feeding 20-odd miners of 3-3.5 kW (about 7 per phase at 15 A each).
   */
  phaseRatingA: z.number().positive().default(125),
  v3: z
    .object({ user: z.string(), authKey: z.string().min(8), privKey: z.string().min(8) })
    .default({ user: 'hashfleet', authKey: 'hashfleet-auth', privKey: 'hashfleet-priv' }),
});

export const ScenarioSchema = z.object({
  name: z.string(),
  seed: z.number().int(),
  /** `fixed`: bind the IPs as written; `free-block`: move the whole scenario to a random unused 127.N.0.0/16 (tests). */
  addressing: z.enum(['fixed', 'free-block']).default('fixed'),
  /** Ports at every miner's address; ssh/http are off unless set (22 and 80 need root: 2222, 8080). */
  ports: z
    .object({
      rpc: z.number().int().default(4028),
      wmV3: z.number().int().default(4433),
      ssh: z.number().int().min(1).max(65535).optional().describe('SSH for every miner'),
      http: z.number().int().min(1).max(65535).optional().describe('Antminer web CGI'),
    })
    .default({ rpc: 4028, wmV3: 4433 }),
  timing: z
    .object({
      bootS: z.number().min(0).default(90),
      restartS: z.number().min(0).default(10),
      outletCycleS: z.number().min(0).default(5),
      upgradeBootS: z
        .number()
        .min(0)
        .default(120)
        .describe('seconds from taking a firmware image to answering with the new version'),
    })
    .default({ bootS: 90, restartS: 10, outletCycleS: 5, upgradeBootS: 120 }),
  pool: z.object({ url: z.string(), backupUrl: z.string(), account: z.string() }).default({
    url: 'stratum+tcp://btc.hashfleet-pool.example:3333',
    backupUrl: 'stratum+tcp://btc-backup.hashfleet-pool.example:443',
    account: 'hashshare',
  }),
  sites: z.array(SiteSchema).min(1),
  containers: z.array(ContainerSchema).min(1),
  miners: z.array(MinerSpecSchema),
  pdus: z.array(PduSchema).default([]),
  faults: z.array(z.object({ minerId: Id, fault: FaultSchema })).default([]),
});

export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type Site = z.infer<typeof SiteSchema>;
export type Container = z.infer<typeof ContainerSchema>;
export type MinerSpec = z.infer<typeof MinerSpecSchema>;
export type PduSpec = z.infer<typeof PduSchema>;

/** Validates a scenario and its cross-references; throws one error listing every problem. */
export function parseScenario(input: unknown): Scenario {
  const result = ScenarioSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues
      .slice(0, 20)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`scenario: invalid:\n  ${lines.join('\n  ')}`);
  }
  const s = result.data;
  const problems: string[] = [];
  const sites = new Set(s.sites.map((x) => x.id));
  const containers = new Set(s.containers.map((x) => x.id));
  const pdus = new Map(s.pdus.map((p) => [p.id, p]));
  const ips = new Set<string>();
  const ids = new Set<string>();
  for (const c of s.containers)
    if (!sites.has(c.siteId)) problems.push(`containers.${c.id}: unknown site ${c.siteId}`);
  for (const m of s.miners) {
    if (ids.has(m.id)) problems.push(`miners.${m.id}: duplicate id`);
    ids.add(m.id);
    if (!containers.has(m.containerId)) problems.push(`miners.${m.id}: unknown container ${m.containerId}`);
    if (ips.has(m.ip)) problems.push(`miners.${m.id}: ip ${m.ip} used twice`);
    ips.add(m.ip);
    if (m.pdu) {
      const p = pdus.get(m.pdu.pduId);
      if (!p) problems.push(`miners.${m.id}: unknown pdu ${m.pdu.pduId}`);
      else if (m.pdu.outlet > p.outlets)
        problems.push(`miners.${m.id}: pdu ${p.id} has no outlet ${m.pdu.outlet}`);
    }
  }
  for (const f of s.faults) if (!ids.has(f.minerId)) problems.push(`faults: unknown miner ${f.minerId}`);
  if (problems.length)
    throw new Error(`scenario ${s.name}: invalid:\n  ${problems.slice(0, 20).join('\n  ')}`);
  return s;
}
