import { describe, expect, it } from 'vitest';
import { IdentityTable, keyFor, type Observed } from '../src/identity.js';

const obs = (o: Partial<Observed>): Observed => ({
  ip: '10.0.4.17',
  serial: 'HTM3X1',
  mac: '02:00:00:AA:BB:CC',
  profile: 'antminer-stock',
  model: 'Antminer S19 Pro',
  firmwareVersion: 'v1',
  pool: 'stratum+tcp://pool:3333',
  ...o,
});

describe('identity table: serial, MAC and IP are observations of one miner', () => {
  it('the key is the first serial, else MAC, else IP', () => {
    expect(keyFor({ ip: '1.2.3.4', serial: 'X', mac: 'M' })).toBe('SN-X');
    expect(keyFor({ ip: '1.2.3.4', serial: null, mac: 'AA' })).toBe('MAC-aa');
    expect(keyFor({ ip: '1.2.3.4', serial: null, mac: null })).toBe('1.2.3.4');
  });

  it('a new miner is one appeared event with its observations', () => {
    const t = new IdentityTable();
    const { minerKey, events } = t.observe(obs({}), 100);
    expect(minerKey).toBe('SN-HTM3X1');
    expect(events.map((e) => e.type)).toEqual(['miner.appeared']);
  });

  it('an IP change keeps the key and reports identity_changed(ip)', () => {
    const t = new IdentityTable();
    t.observe(obs({}), 100);
    const { minerKey, events } = t.observe(obs({ ip: '10.0.4.99' }), 200);
    expect(minerKey).toBe('SN-HTM3X1');
    expect(events).toEqual([
      expect.objectContaining({
        type: 'miner.identity_changed',
        kind: 'ip',
        previous: '10.0.4.17',
        current: '10.0.4.99',
      }),
    ]);
    expect(t.keyAtIp('10.0.4.17')).toBeUndefined();
    expect(t.keyAtIp('10.0.4.99')).toBe('SN-HTM3X1');
  });

  it('a control-board swap (new MAC, same serial) is identity_changed(mac), not a new miner', () => {
    const t = new IdentityTable();
    t.observe(obs({}), 100);
    const { minerKey, events } = t.observe(obs({ mac: '02:00:00:11:22:33' }), 200);
    expect(minerKey).toBe('SN-HTM3X1');
    expect(events).toEqual([
      expect.objectContaining({ kind: 'mac', previous: '02:00:00:aa:bb:cc', current: '02:00:00:11:22:33' }),
    ]);
    expect(t.size).toBe(1);
  });

  it('a board swap that also changes the serial, at the same IP, stays the same miner', () => {
    const t = new IdentityTable();
    t.observe(obs({}), 100);
    // The serial matches nothing and the MAC matches nothing: the IP says which miner this is, unless
    // the old record's serial contradicts it.
    const r = t.observe(obs({ serial: null, mac: '02:00:00:11:22:33' }), 200);
    expect(r.minerKey).toBe('SN-HTM3X1');
    expect(r.events.map((e) => e.type === 'miner.identity_changed' && e.kind)).toEqual(['mac']);
  });

  it('a different serial at a known IP is another miner that took the address', () => {
    const t = new IdentityTable();
    t.observe(obs({}), 100);
    const r = t.observe(obs({ serial: 'OTHER', mac: '02:00:00:99:99:99' }), 200);
    expect(r.minerKey).toBe('SN-OTHER');
    expect(r.events[0]?.type).toBe('miner.appeared');
    expect(t.keyAtIp('10.0.4.17')).toBe('SN-OTHER');
  });

  it('pool and firmware changes are events', () => {
    const t = new IdentityTable();
    t.observe(obs({}), 100);
    const r = t.observe(obs({ pool: 'stratum+tcp://evil:3333', firmwareVersion: 'v2' }), 200);
    expect(r.events.map((e) => e.type).sort()).toEqual(['miner.firmware_changed', 'miner.pool_changed']);
  });

  it('survives a save and reload with the same keys', () => {
    const t = new IdentityTable();
    t.observe(obs({}), 100);
    const copy = new IdentityTable(JSON.parse(JSON.stringify(t.all())));
    expect(copy.observe(obs({ ip: '10.0.4.50' }), 300).minerKey).toBe('SN-HTM3X1');
  });
});
