import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulation, smallScenario, startSimulation } from '../src/index.js';
import { recordedText } from '../src/templates.js';
import { digestFetch, json, rpc } from './client.js';

/** Antminer's web CGI behind Digest auth: system info, new-style stats with watt, conf, reboot. */
let sim: Simulation;
const PORT = 8080;
beforeAll(async () => {
  const s = smallScenario({ miners: 2, profiles: ['antminer-stock'], pdus: false, seed: 8, bootS: 60 });
  s.miners[1]!.model = 'Antminer S9';
  sim = await startSimulation(s, { httpPort: PORT });
});
afterAll(() => sim?.stop());

const url = (ip: string, path: string) => `http://${ip}:${PORT}/cgi-bin/${path}`;
const keys = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.slice(0, 1).map(keys)
    : v && typeof v === 'object'
      ? Object.entries(v).map(([k, x]) => [k, keys(x)])
      : typeof v;

describe('Antminer web CGI', () => {
  it('challenges with realm antMiner Configuration and refuses a wrong password', async () => {
    const m = sim.miners[0]!;
    const r = await digestFetch(url(m.ip, 'get_system_info.cgi'), 'root', 'wrong');
    expect(r.challenge).toMatch(/^Digest realm="antMiner Configuration", nonce="[0-9a-f]+", qop="auth"/);
    expect(r.status).toBe(401);
  });

  it('get_system_info.cgi and stats.cgi have the recorded shapes; watt is the model power', async () => {
    const m = sim.miners[0]!;
    const info = JSON.parse((await digestFetch(url(m.ip, 'get_system_info.cgi'), 'root', 'root')).text);
    expect(info).toMatchObject({
      minertype: 'Antminer S19 Pro',
      serinum: m.serial,
      macaddr: m.mac,
      ipaddress: m.ip,
    });
    expect(keys(info)).toEqual(
      keys(JSON.parse(recordedText('antminer-stock/s21-get_system_info-cgi.json.txt'))),
    );
    const stats = JSON.parse((await digestFetch(url(m.ip, 'stats.cgi'), 'root', 'root')).text);
    // The recorded unit is hydro-cooled (`fan: []`); an air-cooled S19 Pro lists its four fans there.
    expect(stats.STATS[0].fan).toHaveLength(4);
    expect(keys({ ...stats, STATS: [{ ...stats.STATS[0], fan: [] }] })).toEqual(
      keys(JSON.parse(recordedText('antminer-stock/s23-hyd-stats-cgi.json.txt'))),
    );
    expect(stats.STATS[0].watt).toBe(Math.round(sim.miner(m.id).powerW));
    expect(stats.STATS[0].chain).toHaveLength(3);
  });

  it('S9 firmware has no new-style stats.cgi (404)', async () => {
    const s9 = sim.miners[1]!;
    expect((await digestFetch(url(s9.ip, 'stats.cgi'), 'root', 'root')).status).toBe(404);
  });

  it('set_miner_conf.cgi miner-mode 1 puts the miner to sleep; get_miner_conf shows bitmain-work-mode "1"', async () => {
    const m = sim.miners[0]!;
    const set = await digestFetch(url(m.ip, 'set_miner_conf.cgi'), 'root', 'root', {
      method: 'POST',
      body: JSON.stringify({ 'miner-mode': 1 }),
    });
    expect(set.status).toBe(200);
    expect(sim.miner(m.id).mode).toBe('sleep');
    const conf = (await digestFetch(url(m.ip, 'get_miner_conf.cgi'), 'root', 'root')).text;
    expect(conf.startsWith('\n\n{\n"pools" : [')).toBe(true);
    expect(conf).toContain('"bitmain-work-mode" : "1"');
    await digestFetch(url(m.ip, 'set_miner_conf.cgi'), 'root', 'root', {
      method: 'POST',
      body: JSON.stringify({ 'miner-mode': 0 }),
    });
    expect(sim.miner(m.id).mode).toBe('normal');
  });

  it('blink.cgi {"blink":true} turns the locate LED on', async () => {
    const m = sim.miners[0]!;
    const r = await digestFetch(url(m.ip, 'blink.cgi'), 'root', 'root', {
      method: 'POST',
      body: JSON.stringify({ blink: true }),
    });
    expect(r.status).toBe(200);
    expect(sim.miner(m.id).led).toBe(true);
  });

  it('reboot.cgi reboots: RPC refused until the boot is over', async () => {
    const m = sim.miners[0]!;
    expect((await digestFetch(url(m.ip, 'reboot.cgi'), 'root', 'root')).status).toBe(200);
    await sim.tick(0);
    await expect(rpc(m.ip, 4028, json('summary'))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await sim.tick(61_000);
    expect((await rpc(m.ip, 4028, json('summary'))).length).toBeGreaterThan(100);
  });
});
