import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageOf } from '../src/alerts/message-key.js';
import { testApp } from './helpers.js';

/**
 * Issue 19 item 2, the API side: people name a miner by its serial or asset code, never its id.
 * Tickets accept either and carry the miner's names; GET /miners?q= finds a miner by asset code,
 * rack/slot and model and lists its IP, MAC and asset code; an alert's message has a catalogue
 * key with its parameters for the UI's languages.
 */
describe('human names', () => {
  let t: Awaited<ReturnType<typeof testApp>>;
  const api = async (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: t.auth('operator'),
      ...(payload ? { payload } : {}),
    });

  beforeAll(async () => {
    t = await testApp();
    const csv =
      'serial,model,site,container,rack,slot,ip,mac\n' +
      'K1,Antminer S21,kz,kz-c2,R2,S9,10.0.0.1,AA:BB:CC:DD:EE:01\n' +
      'K2,Whatsminer M50S,kz,kz-c2,R2,S10,10.0.0.2,\n';
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/inventory/miners.csv',
      headers: { ...t.auth('operator'), 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(res.statusCode).toBe(200);
  });
  afterAll(async () => t.close());

  it('opens a ticket by serial or asset code and shows the miner names with it', async () => {
    const bySerial = await api('POST', '/tickets', { title: 'fan noise', minerId: 'K1' });
    expect(bySerial.statusCode).toBe(201);
    expect(bySerial.json()).toMatchObject({
      serial: 'K1',
      assetCode: 'KZ-C2-R2-S09',
      model: 'Antminer S21',
      rack: 'R2',
      slot: 'S9',
    });
    const byCode = await api('POST', '/tickets', { title: 'dust', minerId: 'kz-c2-r2-s10' });
    expect(byCode.statusCode).toBe(201);
    expect(byCode.json()).toMatchObject({ serial: 'K2', assetCode: 'KZ-C2-R2-S10' });
    const unknown = await api('POST', '/tickets', { title: 'x', minerId: 'NOPE' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toContain('no miner has this id, serial or asset code');
    const list = (await api('GET', '/tickets')).json();
    expect(list.map((x: { serial: string }) => x.serial).sort()).toEqual(['K1', 'K2']);
  });

  it('finds miners by asset code, rack/slot and model, with IP, MAC and asset code in each row', async () => {
    const q = async (s: string) =>
      (await api('GET', `/miners?q=${encodeURIComponent(s)}`))
        .json()
        .miners.map((m: { serial: string }) => m.serial);
    expect(await q('r2-s09')).toEqual(['K1']);
    expect(await q('R2/S10')).toEqual(['K2']);
    expect(await q('m50s')).toEqual(['K2']);
    const [row] = (await api('GET', '/miners?q=K1')).json().miners;
    expect(row).toMatchObject({ assetCode: 'KZ-C2-R2-S09', ip: '10.0.0.1', mac: 'aa:bb:cc:dd:ee:01' });
  });

  it('names the miner of each event: serial, asset code, model, container, rack and slot', async () => {
    const events = (await api('GET', '/events')).json();
    const k1 = events.find((e: { serial: string | null }) => e.serial === 'K1');
    expect(k1).toMatchObject({
      assetCode: 'KZ-C2-R2-S09',
      model: 'Antminer S21',
      containerId: 'kz-c2',
      rack: 'R2',
      slot: 'S9',
    });
    const own = (await api('GET', `/miners/${k1.minerId}/events`)).json();
    expect(own.length).toBeGreaterThan(0);
    for (const e of own) expect(e).toMatchObject({ minerId: k1.minerId, serial: 'K1', slot: 'S9' });
  });

  it('gives an alert message a catalogue key and its parameters', () => {
    expect(
      messageOf({ kind: 'offline', value: 40, threshold: 180, details: { error: 'timeout', fansRpm: [0] } }),
    ).toEqual({ messageKey: 'alertMessage.offline.noAnswer', messageParams: {} });
    expect(messageOf({ kind: 'chip_overtemp', value: 96, threshold: 90, details: {} })).toEqual({
      messageKey: 'alertMessage.chip_overtemp',
      messageParams: { chipC: 96, thresholdC: 90 },
    });
    // An alert stored before the figures its wording needs keeps the English line only.
    expect(messageOf({ kind: 'fan_failed', value: 1, threshold: 1, details: {} })).toEqual({});
  });
});
