import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Simulation,
  smallScenario,
  startSimulation,
  wmV2Decrypt,
  wmV2Encrypt,
  wmV2Key,
  wmV2Sign,
  wmV3Token,
} from '../src/index.js';
import { json, parse, rpc, wmV3 } from './client.js';

let sim: Simulation;
const byProfile = (profile: string, n = 0) => sim.miners.filter((m) => m.profile === profile)[n]!;

beforeAll(async () => {
  sim = await startSimulation(
    smallScenario({
      miners: 16,
      seed: 3,
      pdus: false,
      models: { 'antminer-stock': 'Antminer S19 Pro' },
      bootS: 60,
      restartS: 10,
    }),
  );
});
afterAll(() => sim?.stop());

describe('cgminer RPC framing', () => {
  it('answers JSON with a NUL terminator on Antminer and without one on btminer', async () => {
    const am = await rpc(byProfile('antminer-stock').ip, 4028, json('summary'));
    expect(am.at(-1)).toBe(0);
    expect((parse(am).SUMMARY as unknown[]).length).toBe(1);
    const wm = await rpc(byProfile('whatsminer-v2').ip, 4028, json('summary'));
    expect(wm.at(-1)).not.toBe(0);
    expect(parse(wm).STATUS).toBeInstanceOf(Array);
  });

  it('answers a text request in cgminer text format', async () => {
    const text = (await rpc(byProfile('antminer-stock').ip, 4028, 'summary')).toString('latin1');
    expect(text).toMatch(
      /^STATUS=S,When=\d+,Code=11,Msg=Summary,Description=cgminer 1\.0\.0\|SUMMARY,Elapsed=\d+,GHS 5s=/,
    );
    expect(text.endsWith('\0')).toBe(true);
    expect(text.split('|')).toHaveLength(2);
  });

  it('joins `+` commands where the firmware can (BOSminer) and refuses where it cannot (S19 stock)', async () => {
    const bos = parse(await rpc(byProfile('braiins-os').ip, 4028, json('summary+temps+fans')));
    expect(Object.keys(bos)).toEqual(['summary', 'temps', 'fans', 'id']);
    expect((bos.temps as { TEMPS: unknown[] }[])[0]!.TEMPS.length).toBe(3);
    const am = parse(await rpc(byProfile('antminer-stock').ip, 4028, json('summary+pools')));
    expect((am.STATUS as { Code: number }[])[0]!.Code).toBe(14);
  });

  it('denies privileged and ungrouped commands on stock Antminer with Code 45, allows them on cgminer with W:', async () => {
    const denied = parse(await rpc(byProfile('antminer-stock').ip, 4028, json('devdetails')));
    expect(denied.STATUS).toEqual([
      expect.objectContaining({ STATUS: 'E', Code: 45, Msg: "Access denied to 'devdetails' command" }),
    ]);
    const restart = parse(await rpc(byProfile('antminer-stock').ip, 4028, json('restart')));
    expect((restart.STATUS as { Code: number }[])[0]!.Code).toBe(45);
    const cg = parse(await rpc(byProfile('cgminer').ip, 4028, json('switchpool', '1')));
    expect((cg.STATUS as { Code: number }[])[0]!.Code).toBe(27);
    expect(sim.miner(byProfile('cgminer').id).pool.url).toContain('backup');
  });

  it('answers unknown commands with Code 14 and bad JSON with Code 23', async () => {
    const m = byProfile('vnish').ip;
    expect((parse(await rpc(m, 4028, json('nosuch'))).STATUS as { Code: number }[])[0]!.Code).toBe(14);
    expect((parse(await rpc(m, 4028, '{"command":')).STATUS as { Code: number }[])[0]!.Code).toBe(23);
  });
});

describe('Whatsminer', () => {
  it('v2: get_token, then an AES envelope with the md5crypt sign reboots the miner', async () => {
    const m = byProfile('whatsminer-v2');
    const token = parse(await rpc(m.ip, 4028, '{"cmd":"get_token"}')) as {
      Msg: { time: string; salt: string; newsalt: string };
    };
    const { time, salt, newsalt } = token.Msg;
    const key = wmV2Key('admin', salt);
    const sign = wmV2Sign('admin', salt, time, newsalt);
    const data = wmV2Encrypt(key, JSON.stringify({ cmd: 'set_led', param: 'auto', token: sign }));
    const sealed = parse(await rpc(m.ip, 4028, JSON.stringify({ enc: 1, data }))) as { enc: string };
    expect(JSON.parse(wmV2Decrypt(key, sealed.enc))).toMatchObject({
      STATUS: 'S',
      Code: 131,
      Msg: 'API command OK',
    });
    const forged = wmV2Encrypt(key, JSON.stringify({ cmd: 'reboot', token: 'forged' }));
    const refused = parse(await rpc(m.ip, 4028, JSON.stringify({ enc: 1, data: forged }))) as { enc: string };
    expect(JSON.parse(wmV2Decrypt(key, refused.enc))).toMatchObject({ STATUS: 'E', Code: 135 });
    expect(sim.miner(m.id).apiUp).toBe(true);
  });

  it('v2: a cgminer read sent with `cmd` gets Code 24 as real btminer does', async () => {
    const reply = parse(await rpc(byProfile('whatsminer-v2').ip, 4028, '{"cmd":"summary"}'));
    expect((reply.STATUS as { Code: number }[])[0]!.Code).toBe(24);
  });

  it('v3: length-prefixed frames on 4433, reads free, set.* only with the per-command token', async () => {
    const m = byProfile('whatsminer-v3');
    const [info, status] = await wmV3(m.ip, 4433, [
      { cmd: 'get.device.info' },
      { cmd: 'get.miner.status', param: 'summary+pools+edevs' },
    ]);
    const msg = info!.msg as { salt: string; miner: { 'miner-sn': string } };
    expect(msg.miner['miner-sn']).toBe(m.serial);
    const s = status!.msg as { summary: { 'hash-realtime': number }; edevs: unknown[]; pools: unknown[] };
    expect(s.summary['hash-realtime']).toBeCloseTo(sim.miner(m.id).hashrateThs, 2);
    expect(s.edevs).toHaveLength(3);
    const ts = 1_700_000_000;
    const [bad] = await wmV3(m.ip, 4433, [
      { cmd: 'set.system.led', param: 'auto', ts, account: 'super', token: 'xxxxxxxx' },
    ]);
    expect(bad!.code).toBe(-4);
    const token = wmV3Token('set.system.led', 'super', msg.salt, ts);
    const [good] = await wmV3(m.ip, 4433, [
      { cmd: 'set.system.led', param: 'on', ts, account: 'super', token },
    ]);
    expect(good!.code).toBe(0);
    expect(sim.miner(m.id).led).toBe(true);
  });
});

describe('faults', () => {
  const errorCode = (p: Promise<unknown>) =>
    p.then(
      () => 'answered',
      (e: NodeJS.ErrnoException) => e.code ?? e.message,
    );

  it('dead refuses the connection; clearing it brings the API back', async () => {
    const m = byProfile('luxos');
    await sim.setFault(m.id, { kind: 'dead' });
    expect(await errorCode(rpc(m.ip, 4028, json('summary')))).toBe('ECONNREFUSED');
    await sim.clearFault(m.id);
    expect(parse(await rpc(m.ip, 4028, json('summary'))).SUMMARY).toBeDefined();
  });

  it('hung accepts and never answers; slow answers only a patient client', async () => {
    const m = byProfile('avalon');
    await sim.setFault(m.id, { kind: 'hung' });
    expect(await errorCode(rpc(m.ip, 4028, json('summary'), 300))).toBe('ETIMEDOUT');
    await sim.clearFault(m.id);
    await sim.setFault(m.id, { kind: 'slow', seconds: 0.6 });
    expect(await errorCode(rpc(m.ip, 4028, json('summary'), 150))).toBe('ETIMEDOUT');
    expect(parse(await rpc(m.ip, 4028, json('summary'), 5000)).SUMMARY).toBeDefined();
    await sim.clearFault(m.id);
  });

  it('truncated sends a cut reply; garbage sends bytes that are no reply', async () => {
    const m = byProfile('vnish');
    const full = await rpc(m.ip, 4028, json('stats'));
    await sim.setFault(m.id, { kind: 'truncated' });
    const cut = await rpc(m.ip, 4028, json('stats'));
    expect(cut.length).toBeLessThan(full.length);
    expect(() => parse(cut)).toThrow();
    await sim.setFault(m.id, { kind: 'garbage' });
    const junk = await rpc(m.ip, 4028, json('stats'));
    expect(junk.length).toBeGreaterThan(0);
    expect(() => parse(junk)).toThrow();
    await sim.clearFault(m.id);
  });

  it('a cgminer restart makes the API unavailable, then counters start from zero', async () => {
    const m = byProfile('cgminer');
    const before = sim.miner(m.id);
    expect(before.accepted).toBeGreaterThan(100);
    const bye = await rpc(m.ip, 4028, json('restart'));
    expect(bye.toString()).toContain('RESTART');
    await sim.tick(0);
    expect(await errorCode(rpc(m.ip, 4028, json('summary')))).toBe('ECONNREFUSED');
    await sim.tick(11_000);
    const after = parse(await rpc(m.ip, 4028, json('summary'))) as {
      SUMMARY: { Accepted: number; Elapsed: number }[];
    };
    expect(after.SUMMARY[0]!.Elapsed).toBeLessThan(5);
    expect(after.SUMMARY[0]!.Accepted).toBeLessThan(before.accepted);
  });

  it('changed-ip moves the miner to another free address; swapped control board keeps serial, changes MAC', async () => {
    const m = byProfile('antminer-stock', 1);
    const oldIp = m.ip;
    const oldMac = m.mac;
    await sim.setFault(m.id, { kind: 'changed-ip' });
    expect(m.ip).not.toBe(oldIp);
    expect(await errorCode(rpc(oldIp, 4028, json('version')))).toBe('ECONNREFUSED');
    expect(parse(await rpc(m.ip, 4028, json('version'))).VERSION).toBeDefined();
    await sim.setFault(m.id, { kind: 'swapped-control-board' });
    expect(sim.miner(m.id).mac).not.toBe(oldMac);
    expect(sim.miner(m.id).serial).toBe(m.serial);
  });

  it('a failed fan overheats the miner; a dead board takes a third of the hashrate', async () => {
    const m = byProfile('whatsminer-v2', 1);
    const cool = Math.max(...sim.miner(m.id).chipTempC);
    await sim.setFault(m.id, { kind: 'failed-fan', fan: 0 });
    await sim.tick(600_000);
    const hot = sim.miner(m.id);
    expect(hot.fanRpm[0]).toBe(0);
    expect(Math.max(...hot.chipTempC)).toBeGreaterThan(cool + 10);
    await sim.clearFault(m.id);
    await sim.setFault(m.id, { kind: 'dead-board', board: 2 });
    await sim.tick(1000);
    const t = sim.miner(m.id);
    expect(t.boardThs[2]).toBe(0);
    expect(t.hashrateThs).toBeLessThan(t.nominalThs * 0.72);
    await sim.clearFault(m.id);
  });
});

describe('the miner model', () => {
  it('Difficulty Accepted grows by hashrate*dt/2^32 in expectation', async () => {
    const m = byProfile('antminer-stock');
    const a = sim.miner(m.id);
    await sim.tick(3_600_000);
    const b = sim.miner(m.id);
    const expected = (a.nominalThs * 1e12 * 3600) / 2 ** 32;
    const grown = b.difficultyAccepted + b.difficultyRejected - a.difficultyAccepted - a.difficultyRejected;
    expect(grown / expected).toBeGreaterThan(0.95);
    expect(grown / expected).toBeLessThan(1.05);
    expect(grown % a.poolDifficulty).toBe(0);
  });
});
