import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { getProfile, upgradePath } from '@hashfleet/firmware-profiles';
import type { Audit } from '../core/audit.js';
import type { Principal } from '../core/auth/roles.js';
import type { Db } from '../core/storage/db.js';

export type FirmwareImage = {
  id: string;
  family: string;
  version: string;
  name: string;
  sizeBytes: number;
  sha256: string;
  createdAt: number;
  createdBy: string;
};

type Row = {
  id: string;
  family: string;
  version: string;
  name: string;
  size_bytes: number | string;
  sha256: string;
  created_at: number | string;
  created_by: string;
};

const view = (r: Row): FirmwareImage => ({
  id: r.id,
  family: r.family,
  version: r.version,
  name: r.name,
  sizeBytes: Number(r.size_bytes),
  sha256: r.sha256,
  createdAt: Number(r.created_at),
  createdBy: r.created_by,
});

/** A request the store refuses, with the HTTP status it means and a sentence naming what is wrong. */
export class FirmwareError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 413,
    message: string,
  ) {
    super(message);
  }
}

export type NewImage = {
  family: string;
  version: string;
  name: string;
  /** The SHA-256 the uploader says the bytes have: a different one refuses the upload. */
  sha256?: string;
};

/** The largest image kept: a miner firmware tarball is tens of MB; this bounds a runaway upload. */
export const MAX_IMAGE_BYTES = 512 * 1024 * 1024;

/** Firmware images kept by the controller: stored with their SHA-256, listed, read back checked. */
export function firmwareStore(deps: { db: Db; audit: Audit; dataDir: string }) {
  const dir = join(deps.dataDir, 'firmware');
  const fileOf = (sha256: string) => join(dir, `${sha256}.img`);

  /** SHA-256 and size of a stored file, read through. */
  async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
    return { sha256: hash.digest('hex'), size };
  }

  return {
    /**
     * Stores an upload: the family must be a firmware with an upgrade path (refused up front with
     * the reason otherwise); the SHA-256 is computed as the bytes are written, and an upload whose
     * hash is not the one declared is refused and nothing kept.
     */
    async add(actor: Principal, meta: NewImage, bytes: Readable, now: number): Promise<FirmwareImage> {
      const profile = getProfile(meta.family);
      if (!profile)
        throw new FirmwareError(400, `family: ${meta.family} is not a firmware this controller knows`);
      const path = upgradePath(profile, meta.family);
      if (!path.ok) throw new FirmwareError(400, `family: ${path.why}`);
      mkdirSync(dir, { recursive: true });
      const tmp = join(dir, `upload-${randomUUID()}.part`);
      const hash = createHash('sha256');
      let size = 0;
      try {
        await pipeline(
          bytes,
          async function* (source: AsyncIterable<Buffer>) {
            for await (const chunk of source) {
              size += chunk.length;
              if (size > MAX_IMAGE_BYTES)
                throw new FirmwareError(413, `body: the image is over ${MAX_IMAGE_BYTES} bytes`);
              hash.update(chunk);
              yield chunk;
            }
          },
          createWriteStream(tmp),
        );
        const sha256 = hash.digest('hex');
        if (size === 0) throw new FirmwareError(400, 'body: the image is empty');
        if (meta.sha256 && meta.sha256 !== sha256)
          throw new FirmwareError(
            400,
            `sha256: the upload's SHA-256 is ${sha256}, not the declared ${meta.sha256}`,
          );
        renameSync(tmp, fileOf(sha256));
        const image: FirmwareImage = {
          id: randomUUID(),
          family: meta.family,
          version: meta.version,
          name: meta.name,
          sizeBytes: size,
          sha256,
          createdAt: now,
          createdBy: actor.name,
        };
        await deps.db.tx(async (tx) => {
          await tx.run(
            `INSERT INTO firmware_images (id, family, version, name, size_bytes, sha256, created_at, created_by)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
            [image.id, image.family, image.version, image.name, size, sha256, now, actor.name],
          );
          await deps.audit.record({
            actor,
            action: 'firmware.image.add',
            subject: `firmware image ${image.name}: ${image.family} ${image.version}`,
            details: image,
          });
        });
        return image;
      } finally {
        rmSync(tmp, { force: true });
      }
    },

    async list(): Promise<FirmwareImage[]> {
      const rows = await deps.db.all<Row>('SELECT * FROM firmware_images ORDER BY created_at DESC, id');
      return rows.map(view);
    },

    async get(id: string): Promise<FirmwareImage | null> {
      const row = await deps.db.get<Row>('SELECT * FROM firmware_images WHERE id = ?', [id]);
      return row ? view(row) : null;
    },

    /** The image stored with these bytes (a desired state names its image by SHA-256); the oldest if kept twice. */
    async bySha256(sha256: string): Promise<FirmwareImage | null> {
      const row = await deps.db.get<Row>(
        'SELECT * FROM firmware_images WHERE sha256 = ? ORDER BY created_at, id LIMIT 1',
        [sha256],
      );
      return row ? view(row) : null;
    },

    /**
     * The stored bytes of an image, checked against the recorded SHA-256 and size before a byte is
     * sent: a file changed on disk is refused (409) instead of handed to agents.
     */
    async open(id: string): Promise<{ image: FirmwareImage; stream: Readable }> {
      const image = await this.get(id);
      if (!image) throw new FirmwareError(404, `firmware image ${id}: not found`);
      const path = fileOf(image.sha256);
      let seen: { sha256: string; size: number };
      try {
        seen = await hashFile(path);
      } catch (err) {
        throw new FirmwareError(
          409,
          `firmware image ${image.name}: its file cannot be read (${(err as Error).message})`,
        );
      }
      if (seen.sha256 !== image.sha256 || seen.size !== image.sizeBytes)
        throw new FirmwareError(
          409,
          `firmware image ${image.name}: the stored bytes' SHA-256 is ${seen.sha256}, not the recorded ${image.sha256}; not sent`,
        );
      return { image, stream: createReadStream(path) };
    },
  };
}

export type FirmwareStore = ReturnType<typeof firmwareStore>;
