import type { Db } from '../../core/storage/db.js';
import { assetCodeFor, assignAssetCode } from './asset-code.js';
import { addEvent } from './events.js';
import { normaliseMac } from './mac.js';
import { createMiner, findByIdentity, getMiner, moveMiner, observeIdentity } from './miners.js';
import { ensureSlots } from './slots.js';

/** What an agent observed about one miner (from a sample, a birth entry or an appeared event). */
export type Observation = {
  agentId: string;
  siteId: string;
  containerId: string;
  minerKey: string;
  serial: string | null;
  mac: string | null;
  ip: string | null;
  hostname?: string | null;
  model: string | null;
  profile: string | null;
  firmwareVersion: string | null;
  slot: { rack: string; slot: string } | null;
  at: number;
};

/** A `PendingCache` key prefix marking an agent whose stored fingerprints were read. */
const READ = '\u0001read\u0000';

// Identity last-seen times are refreshed at most this often per miner (not on every sample).
const REFRESH_MS = 10 * 60_000;

const fingerprint = (o: Observation) =>
  [
    o.siteId,
    o.containerId,
    o.serial,
    o.mac,
    o.ip,
    o.model,
    o.profile,
    o.firmwareVersion,
    o.slot?.rack,
    o.slot?.slot,
  ]
    .map((v) => v ?? '')
    .join('|');

/**
 * Reconciles agent observations to assets (docs/architecture.md §6.1): a new serial is a new miner;
 * a known serial elsewhere is a moved miner; a new MAC or serial on a known asset is a board swap;
 * a new IP is an IP change. Everything is appended to the asset's history, with an event.
 * A cache keeps the steady state (same observation again) free of queries; it is filled only
 * after the caller's transaction commits (`commit`), so a rollback never leaves it ahead of SQL.
 */
export type PendingCache = Map<string, { minerId: string; fp: string; refreshedAt: number }>;

export class Reconciler {
  readonly #cache = new Map<string, { minerId: string; fp: string; refreshedAt: number }>();
  /** Agents whose stored fingerprints this process has read (they are in the cache since). */
  readonly #read = new Set<string>();

  commit(pending: PendingCache): void {
    for (const [k, v] of pending) {
      if (k.startsWith(READ)) this.#read.add(k.slice(READ.length));
      else this.#cache.set(k, v);
    }
    if (this.#cache.size > 500_000) {
      this.#cache.clear();
      this.#read.clear();
    }
  }

  forget(agentId: string): void {
    for (const k of this.#cache.keys()) if (k.startsWith(`${agentId}\u0000`)) this.#cache.delete(k);
    this.#read.delete(agentId);
  }

  async resolve(db: Db, observed: Observation, pending: PendingCache): Promise<string> {
    // Firmwares report MACs in either case: compared as written, every change of case was a
    // "control board replaced" event.
    const o = observed.mac ? { ...observed, mac: normaliseMac(observed.mac) } : observed;
    const key = `${o.agentId}\u0000${o.minerKey}`;
    const fp = fingerprint(o);
    const fresh = (hit?: { fp: string; refreshedAt: number }) =>
      hit !== undefined && hit.fp === fp && o.at - hit.refreshedAt < REFRESH_MS;
    let hit = pending.get(key) ?? this.#cache.get(key);
    if (fresh(hit)) return hit!.minerId;
    // Cold for this agent (a restart, a failover, the other replica reconciled it): what any
    // replica last reconciled for its miners, read once, in place of a reconcile per miner.
    if (!this.#read.has(o.agentId) && !pending.has(READ + o.agentId)) {
      await this.#readStored(db, o.agentId, pending);
      hit = pending.get(key) ?? hit;
      if (fresh(hit)) return hit!.minerId;
    }
    const minerId = await this.#reconcile(db, o, fp);
    pending.set(key, { minerId, fp, refreshedAt: o.at });
    return minerId;
  }

  /**
   * The agent's stored fingerprints into `pending` (so into the cache only once the caller's
   * transaction commits: a row this transaction wrote and then rolled back never gets there).
   */
  async #readStored(db: Db, agentId: string, pending: PendingCache): Promise<void> {
    const rows = await db.all<{ miner_key: string; miner_id: string; fp: string; fp_at: number | string }>(
      'SELECT miner_key, miner_id, fp, fp_at FROM agent_miners WHERE agent_id = ? AND fp IS NOT NULL',
      [agentId],
    );
    for (const r of rows) {
      const key = `${agentId}\u0000${r.miner_key}`;
      if (!pending.has(key))
        pending.set(key, { minerId: r.miner_id, fp: r.fp, refreshedAt: Number(r.fp_at) });
    }
    pending.set(READ + agentId, { minerId: '', fp: '', refreshedAt: 0 });
  }

  async #reconcile(db: Db, o: Observation, fp: string): Promise<string> {
    const bySerial = o.serial ? await findByIdentity(db, 'serial', o.serial) : null;
    const byMac = o.mac ? await findByIdentity(db, 'mac', o.mac) : null;
    const mapped = await db.get<{ miner_id: string }>(
      'SELECT miner_id FROM agent_miners WHERE agent_id = ? AND miner_key = ?',
      [o.agentId, o.minerKey],
    );
    // A serial is the strongest identity; a MAC next (a control board swap changes it); then what
    // this agent called the miner before. The agent keeps one key per miner across IP changes and
    // board swaps, so its mapping also holds when a MAC or serial shows up for the first time
    // (Whatsminer v2 reports its MAC only after the first cycles) — unless the mapped asset
    // carries a different serial: then another unit took the key's place.
    let minerId =
      bySerial ??
      byMac ??
      (await this.#mappedUnlessContradicted(db, mapped?.miner_id ?? null, o)) ??
      (await this.#expectedInSlot(db, o));
    if (!minerId) {
      minerId = await createMiner(
        db,
        { serial: o.serial, model: o.model, profile: o.profile, firmwareVersion: o.firmwareVersion },
        o.at,
      );
      await addEvent(db, {
        at: o.at,
        kind: 'miner.new',
        minerId,
        agentId: o.agentId,
        details: {
          serial: o.serial,
          mac: o.mac,
          ip: o.ip,
          model: o.model,
          containerId: o.containerId,
          slot: o.slot,
        },
      });
    } else {
      await this.#noteChanges(db, minerId, o, bySerial, byMac);
    }
    for (const [kind, value] of [
      ['serial', o.serial],
      ['mac', o.mac],
      ['ip', o.ip],
      ['hostname', o.hostname ?? null],
    ] as const) {
      if (value) await observeIdentity(db, minerId, kind, value, o.at);
    }
    await this.#place(db, minerId, o);
    // Last, so the stored fingerprint stands for a reconcile done to the end.
    await db.run(
      `INSERT INTO agent_miners (agent_id, miner_key, miner_id, updated_at, fp, fp_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (agent_id, miner_key) DO UPDATE SET miner_id = excluded.miner_id, updated_at = excluded.updated_at,
         fp = excluded.fp, fp_at = excluded.fp_at`,
      [o.agentId, o.minerKey, minerId, o.at, fp, o.at],
    );
    return minerId;
  }

  async #mappedUnlessContradicted(db: Db, mappedId: string | null, o: Observation): Promise<string | null> {
    if (!mappedId) return null;
    const miner = await getMiner(db, mappedId);
    if (!miner) return null;
    return o.serial && miner.serial && miner.serial !== o.serial ? null : mappedId;
  }

  /**
   * The asset an import or slot plan put in the observed slot (or at its address), when nothing
   * contradicts it (its serial, if both have one, is the same): firmwares that report no serial
   * over their API are still the unit the plan expects there (issue 19 item 1).
   */
  async #expectedInSlot(db: Db, o: Observation): Promise<string | null> {
    // By the slot the agent saw it in, else by the address the plan gave it (a birth entry or
    // an appeared event carries no slot).
    const occupant = o.slot
      ? await db.get<{ id: string; serial: string | null }>(
          `SELECT m.id, m.serial FROM slots s JOIN miners m ON m.id = s.miner_id
           WHERE s.container_id = ? AND s.rack = ? AND s.slot = ?`,
          [o.containerId, o.slot.rack, o.slot.slot],
        )
      : o.ip
        ? await db.get<{ id: string; serial: string | null }>(
            `SELECT m.id, m.serial FROM miner_identities i JOIN miners m ON m.id = i.miner_id
             WHERE i.kind = 'ip' AND i.value = ? AND m.container_id = ? ORDER BY i.last_seen DESC LIMIT 1`,
            [o.ip, o.containerId],
          )
        : undefined;
    if (!occupant) return null;
    return o.serial && occupant.serial && occupant.serial !== o.serial ? null : occupant.id;
  }

  async #noteChanges(db: Db, minerId: string, o: Observation, bySerial: string | null, byMac: string | null) {
    const event = (kind: string, details: unknown) =>
      addEvent(db, { at: o.at, kind, minerId, agentId: o.agentId, details });
    const known = await db.all<{ kind: string; value: string; last_seen: number }>(
      'SELECT kind, value, last_seen FROM miner_identities WHERE miner_id = ? ORDER BY last_seen DESC',
      [minerId],
    );
    const latest = (kind: string) => known.find((k) => k.kind === kind)?.value ?? null;
    // MACs stored before they were normalised compare by their normal form too.
    const norm = (kind: string, v: string) => (kind === 'mac' ? normaliseMac(v) : v);
    const has = (kind: string, value: string) =>
      known.some((k) => k.kind === kind && norm(kind, k.value) === value);
    if (o.mac && bySerial && !has('mac', o.mac) && latest('mac')) {
      await event('miner.board_swap', { part: 'control_board', previousMac: latest('mac'), mac: o.mac });
    }
    if (o.serial && !bySerial && byMac && latest('serial') && !has('serial', o.serial)) {
      await event('miner.board_swap', {
        part: 'serial_changed',
        previousSerial: latest('serial'),
        serial: o.serial,
      });
    }
    if (o.ip && latest('ip') && latest('ip') !== o.ip) {
      await event('miner.ip_changed', { previous: latest('ip'), ip: o.ip });
    }
    const miner = await getMiner(db, minerId);
    if (!miner) return;
    // Some firmwares never report a serial in their API; another source (web page, label) may.
    if (o.serial && !miner.serial && !bySerial) {
      await db.run('UPDATE miners SET serial = ?, updated_at = ? WHERE id = ?', [o.serial, o.at, minerId]);
    }
    const changed =
      (o.model && o.model !== miner.model) ||
      (o.profile && o.profile !== miner.profile) ||
      (o.firmwareVersion && o.firmwareVersion !== miner.firmware_version);
    if (changed) {
      if (miner.firmware_version && o.firmwareVersion && o.firmwareVersion !== miner.firmware_version) {
        await event('miner.firmware_changed', {
          previous: { profile: miner.profile, version: miner.firmware_version },
          current: { profile: o.profile, version: o.firmwareVersion },
        });
      }
      await db.run(
        `UPDATE miners SET model = COALESCE(?, model), profile = COALESCE(?, profile),
           firmware_version = COALESCE(?, firmware_version), updated_at = ? WHERE id = ?`,
        [o.model, o.profile, o.firmwareVersion, o.at, minerId],
      );
    }
  }

  async #place(db: Db, minerId: string, o: Observation): Promise<void> {
    const miner = await getMiner(db, minerId);
    if (!miner) return;
    const [slotId] = o.slot ? await ensureSlots(db, o.containerId, [o.slot]) : [null];
    // Seen once in a slot: from now on it is expected there, under a code people can read.
    if (o.slot && !miner.asset_code)
      await assignAssetCode(db, minerId, assetCodeFor(o.containerId, o.slot.rack, o.slot.slot));
    const target = slotId ?? (miner.container_id === o.containerId ? miner.slot_id : null);
    // Seen by an agent means installed: storage/transit end here; repair or sleep states stay.
    const status =
      miner.status === 'in_storage' || miner.status === 'in_transit' || miner.status === 'decommissioned'
        ? 'in_service'
        : miner.status;
    if (miner.container_id === o.containerId && miner.slot_id === target && miner.status === status) return;
    await moveMiner(
      db,
      minerId,
      {
        siteId: o.siteId,
        containerId: o.containerId,
        slotId: target ?? null,
        status,
        reason: `observed by agent ${o.agentId}`,
      },
      { now: o.at, displace: true },
    );
  }
}
