import { type AgentEvent, type IdentityKind, type IdentityObservation, LIMITS } from '@hashfleet/contracts';

/** What the agent knows about one miner across IP changes and control-board swaps. */
export type MinerIdentity = {
  minerKey: string;
  /** Latest value of each kind, as last observed. */
  current: Partial<Record<IdentityKind, string>>;
  observations: IdentityObservation[];
  profile: string | null;
  firmwareVersion: string | null;
  model: string | null;
  pool: string | null;
};

export type Observed = {
  ip: string;
  serial: string | null;
  mac: string | null;
  profile: string;
  model: string | null;
  firmwareVersion: string | null;
  pool: string | null;
};

/** The key a new miner gets: its first serial, else its first MAC, else its IP; never changed after. */
export function keyFor(o: Pick<Observed, 'ip' | 'serial' | 'mac'>): string {
  if (o.serial) return `SN-${o.serial}`;
  if (o.mac) return `MAC-${o.mac.toLowerCase()}`;
  return o.ip;
}

const idx = (kind: string, value: string) => `${kind}\u0000${value}`;

const normMac = (mac: string | null) => (mac ? mac.toLowerCase() : null);

/**
 * The identity table. `observe` matches a poll's serial, MAC and IP to a known miner (serial first,
 * then MAC, then IP) and returns the events that describe what changed: a new IP or MAC on a known
 * serial is an `identity_changed`, not a new miner.
 */
export class IdentityTable {
  readonly #byKey = new Map<string, MinerIdentity>();
  /** kind+value -> minerKey of its current holder, and of whoever was last seen with it. */
  readonly #current = new Map<string, string>();
  readonly #seen = new Map<string, string>();

  constructor(saved: readonly MinerIdentity[] = []) {
    for (const m of saved) {
      this.#byKey.set(m.minerKey, m);
      this.#index(m);
    }
  }

  get size(): number {
    return this.#byKey.size;
  }

  all(): MinerIdentity[] {
    return [...this.#byKey.values()];
  }

  get(minerKey: string): MinerIdentity | undefined {
    return this.#byKey.get(minerKey);
  }

  #find(kind: IdentityKind, value: string | null): MinerIdentity | undefined {
    if (!value) return undefined;
    const current = this.#byKey.get(this.#current.get(idx(kind, value)) ?? '');
    if (current?.current[kind] === value) return current;
    // An older value still identifies the miner (a board swapped back, an IP handed back).
    const seen = this.#byKey.get(this.#seen.get(idx(kind, value)) ?? '');
    if (seen?.observations.some((o) => o.kind === kind && o.value === value)) return seen;
    return undefined;
  }

  /** Which miner an IP belongs to right now, if known. */
  keyAtIp(ip: string): string | undefined {
    const m = this.#byKey.get(this.#current.get(idx('ip', ip)) ?? '');
    return m?.current.ip === ip ? m.minerKey : undefined;
  }

  #index(m: MinerIdentity): void {
    for (const [kind, value] of Object.entries(m.current)) this.#current.set(idx(kind, value), m.minerKey);
    for (const o of m.observations) this.#seen.set(idx(o.kind, o.value), m.minerKey);
  }

  observe(o: Observed, at: number): { minerKey: string; events: AgentEvent[] } {
    const mac = normMac(o.mac);
    const match = this.#find('serial', o.serial) ?? this.#find('mac', mac) ?? this.#matchIp(o.ip, o.serial);
    const events: AgentEvent[] = [];
    const base = { at, ip: o.ip };
    let m = match;
    if (!m) {
      m = {
        minerKey: keyFor({ ip: o.ip, serial: o.serial, mac }),
        current: {},
        observations: [],
        profile: o.profile,
        firmwareVersion: o.firmwareVersion,
        model: o.model,
        pool: o.pool,
      };
      this.#byKey.set(m.minerKey, m);
    }
    const isNew = !match;
    for (const [kind, value] of [
      ['serial', o.serial],
      ['mac', mac],
      ['ip', o.ip],
    ] as const) {
      if (!value) continue;
      const previous = m.current[kind] ?? null;
      if (!isNew && previous !== value) {
        events.push({
          type: 'miner.identity_changed',
          ...base,
          minerKey: m.minerKey,
          kind,
          previous,
          current: value,
        });
      }
      if (kind === 'ip') this.#releaseIp(value, m.minerKey);
      m.current[kind] = value;
      this.#current.set(idx(kind, value), m.minerKey);
      this.#seen.set(idx(kind, value), m.minerKey);
      record(m, kind, value, at);
    }
    if (isNew) {
      events.push({
        type: 'miner.appeared',
        ...base,
        minerKey: m.minerKey,
        profile: o.profile,
        model: o.model,
        identity: m.observations.map((x) => ({ ...x })),
      });
    } else {
      if (
        m.profile !== o.profile ||
        (o.firmwareVersion && m.firmwareVersion && m.firmwareVersion !== o.firmwareVersion)
      ) {
        events.push({
          type: 'miner.firmware_changed',
          ...base,
          minerKey: m.minerKey,
          previousProfile: m.profile ?? 'unknown',
          previousVersion: m.firmwareVersion,
          profile: o.profile,
          version: o.firmwareVersion,
        });
      }
      if (o.pool !== null && m.pool !== null && o.pool !== m.pool) {
        events.push({
          type: 'miner.pool_changed',
          ...base,
          minerKey: m.minerKey,
          previous: m.pool,
          current: o.pool,
        });
      }
    }
    m.profile = o.profile;
    m.firmwareVersion = o.firmwareVersion ?? m.firmwareVersion;
    m.model = o.model ?? m.model;
    m.pool = o.pool ?? m.pool;
    return { minerKey: m.minerKey, events };
  }

  /**
   * A reply with no serial and no known MAC at an IP we know is the same miner only if it does not
   * contradict it: a different serial at that IP is a different miner that took over the address.
   */
  #matchIp(ip: string, serial: string | null): MinerIdentity | undefined {
    const m = this.#find('ip', ip);
    if (!m || m.current.ip !== ip) return undefined;
    if (serial && m.current.serial && m.current.serial !== serial) return undefined;
    return m;
  }

  /** An IP now observed on `owner` no longer belongs to whichever miner had it. */
  #releaseIp(ip: string, owner: string): void {
    const holder = this.#byKey.get(this.#current.get(idx('ip', ip)) ?? '');
    if (holder && holder.minerKey !== owner && holder.current.ip === ip) delete holder.current.ip;
  }
}

function record(m: MinerIdentity, kind: IdentityKind, value: string, at: number): void {
  const existing = m.observations.find((x) => x.kind === kind && x.value === value);
  if (existing) {
    existing.lastSeenAt = Math.max(existing.lastSeenAt, at);
    return;
  }
  m.observations.push({ kind, value, firstSeenAt: at, lastSeenAt: at });
  if (m.observations.length > LIMITS.maxObservationsPerMiner) {
    // Keep the miner's first observation of each kind (the key derives from it); drop the stalest other.
    const firsts = new Set(['serial', 'mac', 'ip'].map((k) => m.observations.find((x) => x.kind === k)));
    let stalest = -1;
    for (const [i, x] of m.observations.entries()) {
      if (firsts.has(x)) continue;
      if (stalest < 0 || x.lastSeenAt < m.observations[stalest]!.lastSeenAt) stalest = i;
    }
    if (stalest >= 0) m.observations.splice(stalest, 1);
  }
}
