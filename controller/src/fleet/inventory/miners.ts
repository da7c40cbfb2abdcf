import { randomUUID } from 'node:crypto';
import type { Db } from '../../core/storage/db.js';
import { addEvent } from './events.js';
import type { Location, MinerStatus } from './types.js';

export type MinerRow = {
  id: string;
  serial: string | null;
  /** The short name people read (issue 19 item 2), null until the miner is placed or tagged. */
  asset_code: string | null;
  model: string | null;
  profile: string | null;
  firmware_version: string | null;
  status: MinerStatus;
  site_id: string | null;
  container_id: string | null;
  slot_id: string | null;
  purchase_date: string | null;
  warranty_end: string | null;
  created_at: number;
  updated_at: number;
};

export type NewMiner = {
  id?: string;
  serial?: string | null;
  model?: string | null;
  profile?: string | null;
  firmwareVersion?: string | null;
  purchaseDate?: string | null;
  warrantyEnd?: string | null;
};

export async function getMiner(db: Db, id: string): Promise<MinerRow | undefined> {
  return db.get<MinerRow>('SELECT * FROM miners WHERE id = ?', [id]);
}

/** Creates an asset (in storage, nowhere) and returns its id; place it with `moveMiner`. */
export async function createMiner(db: Db, m: NewMiner, now: number): Promise<string> {
  const id = m.id ?? randomUUID();
  await db.run(
    `INSERT INTO miners (id, serial, model, profile, firmware_version, status, site_id, container_id, slot_id,
       purchase_date, warranty_end, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 'in_storage', NULL, NULL, NULL, ?, ?, ?, ?)`,
    [
      id,
      m.serial ?? null,
      m.model ?? null,
      m.profile ?? null,
      m.firmwareVersion ?? null,
      m.purchaseDate ?? null,
      m.warrantyEnd ?? null,
      now,
      now,
    ],
  );
  if (m.serial) await observeIdentity(db, id, 'serial', m.serial, now);
  return id;
}

/**
 * Moves an asset (location and/or status) and appends the move to its location history, in one
 * transaction. A slot holds one miner: an occupied target slot is an error unless `displace`,
 * which unslots the previous occupant (kept in the same container, with its own history row).
 */
export async function moveMiner(
  db: Db,
  minerId: string,
  to: Location,
  opts: { now: number; displace?: boolean },
): Promise<void> {
  const { now } = opts;
  await db.tx(async (tx) => {
    const miner = await getMiner(tx, minerId);
    if (!miner) throw new Error(`miner ${minerId}: not found`);
    if (to.slotId) {
      const slot = await tx.get<{ container_id: string; miner_id: string | null }>(
        'SELECT container_id, miner_id FROM slots WHERE id = ?',
        [to.slotId],
      );
      if (!slot) throw new Error(`miner ${minerId}: slot ${to.slotId} does not exist`);
      if (to.containerId && slot.container_id !== to.containerId) {
        throw new Error(`miner ${minerId}: slot ${to.slotId} is not in container ${to.containerId}`);
      }
      if (slot.miner_id && slot.miner_id !== minerId) {
        if (!opts.displace)
          throw new Error(`miner ${minerId}: slot ${to.slotId} is occupied by miner ${slot.miner_id}`);
        const other = await getMiner(tx, slot.miner_id);
        await tx.run('UPDATE miners SET slot_id = NULL, updated_at = ? WHERE id = ?', [now, slot.miner_id]);
        await tx.run(
          'INSERT INTO miner_locations (miner_id, at, site_id, container_id, slot_id, status, reason) VALUES (?, ?, ?, ?, NULL, ?, ?)',
          [
            slot.miner_id,
            now,
            other?.site_id ?? null,
            other?.container_id ?? null,
            other?.status ?? 'in_service',
            `displaced by ${minerId}`,
          ],
        );
      }
    }
    if (miner.slot_id && miner.slot_id !== to.slotId) {
      await tx.run('UPDATE slots SET miner_id = NULL WHERE id = ? AND miner_id = ?', [
        miner.slot_id,
        minerId,
      ]);
    }
    if (to.slotId) await tx.run('UPDATE slots SET miner_id = ? WHERE id = ?', [minerId, to.slotId]);
    await tx.run(
      'UPDATE miners SET site_id = ?, container_id = ?, slot_id = ?, status = ?, updated_at = ? WHERE id = ?',
      [to.siteId, to.containerId, to.slotId, to.status, now, minerId],
    );
    await tx.run(
      'INSERT INTO miner_locations (miner_id, at, site_id, container_id, slot_id, status, reason) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [minerId, now, to.siteId, to.containerId, to.slotId, to.status, to.reason],
    );
    const moved = miner.container_id !== to.containerId || miner.slot_id !== to.slotId;
    if (moved || miner.status !== to.status) {
      await addEvent(tx, {
        at: now,
        kind: moved ? 'miner.moved' : 'miner.status_changed',
        minerId,
        details: {
          from: {
            siteId: miner.site_id,
            containerId: miner.container_id,
            slotId: miner.slot_id,
            status: miner.status,
          },
          to,
        },
      });
    }
  });
}

/** Records that an identifier was seen on a miner (first/last seen kept per value). */
export async function observeIdentity(
  db: Db,
  minerId: string,
  kind: string,
  value: string,
  firstSeen: number,
  lastSeen = firstSeen,
): Promise<void> {
  await db.run(
    `INSERT INTO miner_identities (miner_id, kind, value, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (miner_id, kind, value) DO UPDATE SET
       first_seen = CASE WHEN excluded.first_seen < miner_identities.first_seen THEN excluded.first_seen ELSE miner_identities.first_seen END,
       last_seen = CASE WHEN excluded.last_seen > miner_identities.last_seen THEN excluded.last_seen ELSE miner_identities.last_seen END`,
    [minerId, kind, value, firstSeen, lastSeen],
  );
}

/** The asset that currently carries an identifier value, if any. */
export async function findByIdentity(db: Db, kind: string, value: string): Promise<string | null> {
  if (kind === 'serial') {
    const m = await db.get<{ id: string }>('SELECT id FROM miners WHERE serial = ?', [value]);
    if (m) return m.id;
  }
  const row = await db.get<{ miner_id: string }>(
    'SELECT miner_id FROM miner_identities WHERE kind = ? AND value = ? ORDER BY last_seen DESC LIMIT 1',
    [kind, value],
  );
  return row?.miner_id ?? null;
}
