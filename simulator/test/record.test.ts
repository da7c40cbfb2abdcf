import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulation, smallScenario, startSimulation } from '../src/index.js';
import { Anonymiser } from '../src/record/anonymise.js';
import { recordMiner } from '../src/record/record.js';
import { json, rpc } from './client.js';

describe('anonymiser', () => {
  it('replaces MACs, serials and worker names and leaves every other byte alone', () => {
    const raw =
      '{"STATUS":[{"STATUS":"S"}],"SUMMARY":[{"MAC":"C6:06:12:00:2D:63","User":"satokierepair.H04YK","GHS 5s":"1.00"}],"CONFIG":[{"SerialNumber":"JYZZB0UBDJABF06RB","MACAddr":"62:f7:5e:b7:10:46"}],"id":1}\0';
    const out = new Anonymiser().apply(raw);
    expect(out).not.toMatch(/C6:06:12:00:2D:63|satokierepair|H04YK|JYZZB0UBDJABF06RB|62:f7:5e:b7:10:46/);
    expect(out).toContain('"MAC":"02:00:00:00:00:01"');
    expect(out).toContain('"MACAddr":"02:00:00:00:00:02"');
    expect(out).toContain('"User":"acct1.worker1"');
    expect(out).toContain('"SerialNumber":"JYZZ0000000000001"');
    expect(
      out.endsWith(
        '"GHS 5s":"1.00"}],"CONFIG":[{"SerialNumber":"JYZZ0000000000001","MACAddr":"02:00:00:00:00:02"}],"id":1}\0',
      ),
    ).toBe(true);
  });

  it('maps one value to one pseudonym across replies and handles cgminer text', () => {
    const a = new Anonymiser();
    const one = a.apply('STATUS=S,Code=7|POOL=0,URL=stratum+tcp://x:3333,User=acct.rig7,Status=Alive');
    const two = a.apply('{"POOLS":[{"User":"acct.rig7"}]}');
    expect(one).toBe('STATUS=S,Code=7|POOL=0,URL=stratum+tcp://x:3333,User=acct1.worker1,Status=Alive');
    expect(two).toBe('{"POOLS":[{"User":"acct1.worker1"}]}');
  });
});

describe('simulator record', () => {
  let sim: Simulation;
  let dir: string;
  beforeAll(async () => {
    sim = await startSimulation(
      smallScenario({ miners: 2, profiles: ['antminer-stock', 'whatsminer-v2'], pdus: false, seed: 21 }),
    );
    dir = mkdtempSync(join(tmpdir(), 'hashfleet-record-'));
  });
  afterAll(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes a testcase folder: raw replies byte-exact but for identifiers, replies.json, draft expectations', async () => {
    const m = sim.miners.find((x) => x.profile === 'whatsminer-v2')!;
    const lines: string[] = [];
    const out = join(dir, 'wm');
    const result = await recordMiner({
      ip: m.ip,
      profile: 'whatsminer-v2',
      out,
      progress: (l) => lines.push(l),
    });
    expect(result.failed).toEqual([]);
    expect(lines[0]).toMatch(/^\[1\/\d+\] summary: \d+ bytes/);
    expect(readdirSync(out).sort()).toEqual(
      [
        'NOTE.md',
        'SOURCES.md',
        'devdetails.json',
        'edevs.json',
        'expected-detect.json',
        'expected.json',
        'pools.json',
        'replies.json',
        'status.json',
        'summary.json',
        'version.json',
      ].sort(),
    );
    const recorded = readFileSync(join(out, 'summary.json'), 'latin1');
    expect(recorded).not.toContain(m.mac);
    expect(recorded).not.toContain(m.worker);
    // Everything but the anonymised values is the miner's reply as sent.
    const live = (await rpc(m.ip, 4028, json('summary'))).toString('latin1');
    const strip = (s: string) => s.replace(/"MAC":"[^"]*"/, '').replace(/"When":\d+/, '');
    expect(strip(recorded)).toBe(strip(live));
    const replies = JSON.parse(readFileSync(join(out, 'replies.json'), 'utf8'));
    expect(replies.poll).toEqual({
      summary: 'summary.json',
      edevs: 'edevs.json',
      pools: 'pools.json',
      status: 'status.json',
    });
    expect(JSON.parse(readFileSync(join(out, 'expected-detect.json'), 'utf8')).profile).toBe('whatsminer-v2');
    expect(JSON.parse(readFileSync(join(out, 'expected.json'), 'utf8')).difficultyAccepted).toBe(
      sim.miner(m.id).difficultyAccepted,
    );
  });

  it('keeps the NUL terminator and marks non-strict replies .txt; a dead miner is reported, not thrown', async () => {
    const m = sim.miners.find((x) => x.profile === 'antminer-stock')!;
    const out = join(dir, 'am');
    const result = await recordMiner({ ip: m.ip, profile: 'antminer-stock', out });
    expect(result.files.summary).toBe('summary.txt');
    expect(readFileSync(join(out, 'summary.txt')).at(-1)).toBe(0);
    await sim.setFault(m.id, { kind: 'dead' });
    const dead = await recordMiner({
      ip: m.ip,
      profile: 'antminer-stock',
      out: join(dir, 'dead'),
      timeoutMs: 500,
    });
    expect(dead.failed).toContain('summary');
    await sim.clearFault(m.id);
  });
});
