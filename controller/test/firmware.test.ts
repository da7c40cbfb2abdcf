import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleBirth, exampleTelemetry, topics } from '@hashfleet/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from './helpers.js';

/**
 * Firmware images kept by the controller (issue 20 item 4): an upload is stored with the SHA-256
 * the controller computes (a declared hash that differs refuses it; a family without an upgrade
 * path is refused up front); agents fetch the bytes with their token, and bytes changed on disk
 * are refused before they are sent; POST /firmware/upgrades makes a bulk job of firmware.upgrade
 * commands (absolute URL, hash, size, version), refusing a miner whose firmware cannot take the
 * image with the profile's reason, and waiting for a second person like a pool change.
 */
const T0 = exampleTelemetry.sentAt;
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const IMAGE = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7 + 3) & 0xff));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let t: Awaited<ReturnType<typeof testApp>>;
let minerId: string;

beforeAll(async () => {
  t = await testApp({}, () => T0 + 5_000);
  await t.app.hashfleet.ingest.handle(topics.birth('sc-c01'), enc(exampleBirth));
  await t.app.hashfleet.ingest.handle(topics.telemetry('sc-c01'), enc({ ...exampleTelemetry, seq: 1 }));
  minerId = (await t.app.hashfleet.db.get<{ id: string }>('SELECT id FROM miners'))!.id;
});
afterAll(async () => t.close());

const upload = (query: string, body: Buffer, role: Parameters<typeof t.auth>[0] = 'operator') =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/firmware/images?${query}`,
    payload: body,
    headers: { ...t.auth(role), 'content-type': 'application/octet-stream' },
  });

describe('firmware images', () => {
  let id: string;

  it('stores an upload with the SHA-256 the controller computes, and lists it', async () => {
    const res = await upload(
      `family=antminer-stock&version=49.0.2&name=s19-49.0.2.tar.gz&sha256=${sha(IMAGE)}`,
      IMAGE,
    );
    expect(res.statusCode, res.body).toBe(201);
    const image = res.json();
    expect(image).toMatchObject({
      family: 'antminer-stock',
      version: '49.0.2',
      sizeBytes: IMAGE.length,
      sha256: sha(IMAGE),
    });
    id = image.id;
    const list = await t.app.inject({ url: '/api/v1/firmware/images', headers: t.auth('technician') });
    expect(list.json().map((i: { id: string }) => i.id)).toEqual([id]);
  });

  it('refuses an upload whose SHA-256 is not the declared one, keeping nothing', async () => {
    const corrupt = Buffer.from(IMAGE);
    corrupt[1000] = corrupt[1000]! ^ 1;
    const res = await upload(`family=antminer-stock&version=49.0.3&sha256=${sha(IMAGE)}`, corrupt);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toBe(
      `sha256: the upload's SHA-256 is ${sha(corrupt)}, not the declared ${sha(IMAGE)}`,
    );
    const list = await t.app.inject({ url: '/api/v1/firmware/images', headers: t.auth('operator') });
    expect(list.json()).toHaveLength(1);
  });

  it.each([
    ['cgminer', /^family: cgminer has no upgrade path: /],
    ['no-such-firmware', /^family: no-such-firmware is not a firmware this controller knows$/],
  ])('refuses an image for %s up front', async (family, message) => {
    const res = await upload(`family=${family}&version=1`, IMAGE);
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(message);
  });

  it('is uploaded by operators and admins only', async () => {
    expect((await upload('family=antminer-stock&version=1', IMAGE, 'technician')).statusCode).toBe(403);
  });

  it('serves the bytes to an agent token, not to a staker', async () => {
    const res = await t.app.inject({
      url: `/api/v1/firmware/images/${id}/content`,
      headers: t.auth('agent'),
    });
    expect(res.statusCode).toBe(200);
    expect(sha(res.rawPayload)).toBe(sha(IMAGE));
    const staker = await t.app.inject({
      url: `/api/v1/firmware/images/${id}/content`,
      headers: t.auth('staker'),
    });
    expect(staker.statusCode).toBe(403);
  });

  it('sends firmware.upgrade to selected miners as a bulk job waiting for a second person', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/firmware/upgrades',
      payload: { imageId: id, selector: { minerIds: [minerId] }, batchSize: 5, pauseS: 0 },
      headers: t.auth('operator'),
    });
    expect(res.statusCode, res.body).toBe(202);
    const job = res.json();
    expect(job.state).toBe('pending_approval');
    const item = await t.app.hashfleet.db.get<{ state: string; actions_json: string }>(
      'SELECT state, actions_json FROM bulk_items WHERE job_id = ?',
      [job.id],
    );
    expect(item!.state).toBe('queued');
    const [action] = JSON.parse(item!.actions_json);
    expect(action).toEqual({
      op: 'firmware.upgrade',
      family: 'antminer-stock',
      image: {
        url: `http://${t.config.http.host}:${t.config.http.port}/api/v1/firmware/images/${id}/content`,
        sha256: sha(IMAGE),
        sizeBytes: IMAGE.length,
        version: '49.0.2',
      },
    });
  });

  it('refuses a miner whose firmware cannot take the image, with the profile reason', async () => {
    const other = (await upload('family=braiins-os&version=23.1', IMAGE)).json();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/firmware/upgrades',
      payload: { imageId: other.id, selector: { minerIds: [minerId] } },
      headers: t.auth('operator'),
    });
    expect(res.statusCode).toBe(202);
    expect(res.json().state).toBe('done');
    const item = await t.app.hashfleet.db.get<{ state: string; reason: string }>(
      'SELECT state, reason FROM bulk_items WHERE job_id = ?',
      [res.json().id],
    );
    expect(item!.state).toBe('refused');
    expect(item!.reason).toMatch(/: the image is for braiins-os, the miner runs antminer-stock$/);
  });

  it('refuses to serve bytes changed on disk, naming both hashes', async () => {
    const path = join(t.config.dataDir, 'firmware', `${sha(IMAGE)}.img`);
    const bytes = readFileSync(path);
    bytes[5] = bytes[5]! ^ 0xff;
    writeFileSync(path, bytes);
    const res = await t.app.inject({
      url: `/api/v1/firmware/images/${id}/content`,
      headers: t.auth('agent'),
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toContain(
      `SHA-256 is ${sha(bytes)}, not the recorded ${sha(IMAGE)}; not sent`,
    );
  });
});
