import { describe, expect, it } from 'vitest';
import { detectFirmware, getProfile } from '../src/registry.js';

/**
 * Issue 16: a BFGMiner (`Miner` "bfgminer 5.5.0") was detected as plain cgminer. The version reply
 * here has the layout of BFGMiner's api.c `apiversion` (Miner, CGMiner, API 3.1; Code 22 "BFGMiner
 * versions"), since no real one is recorded; the cgminer replies are the recorded testcases'.
 */
const version = (miner: string, ver: string, description: string) =>
  JSON.stringify({
    STATUS: [{ STATUS: 'S', When: 1, Code: 22, Msg: 'BFGMiner versions', Description: description }],
    VERSION: [{ Miner: miner, CGMiner: ver, API: '3.1' }],
    id: 1,
  });

describe('BFGMiner detection', () => {
  it('claims a version reply naming bfgminer, before the generic cgminer profile', () => {
    expect(
      detectFirmware({
        version: version('bfgminer 5.5.0', '5.5.0', 'bfgminer 5.5.0'),
        devdetails: null,
        deviceInfo: null,
      }),
    ).toEqual({ profile: 'bfgminer', model: null, firmwareVersion: '5.5.0', port: 4028 });
  });

  it('leaves an upstream cgminer version reply to the cgminer profile', () => {
    const cg = JSON.stringify({
      STATUS: [{ STATUS: 'S', When: 1, Code: 22, Msg: 'CGMiner versions', Description: 'cgminer 4.11.1' }],
      VERSION: [{ CGMiner: '4.11.1', API: '3.7' }],
      id: 1,
    });
    expect(detectFirmware({ version: cg, devdetails: null, deviceInfo: null })?.profile).toBe('cgminer');
  });
});

describe('BFGMiner readings', () => {
  it('reads the rolling MHS <log interval>s of summary and devices, not MHS av (MHS 20s with --log 20)', () => {
    // Layout of BFGMiner's api.c devstatus_an and summary with a 20 s log interval (issue 16's miner).
    const status = (code: number, msg: string) => [
      { STATUS: 'S', When: 1, Code: code, Msg: msg, Description: 'bfgminer 5.5.0' },
    ];
    const summary = {
      STATUS: status(11, 'Summary'),
      SUMMARY: [{ Elapsed: 3600, 'MHS av': 9000000, 'MHS 20s': 12000000 }],
      id: 1,
    };
    const devs = {
      STATUS: status(9, '2 PGA(s)'),
      DEVS: [
        { PGA: 0, Name: 'AVA', ID: 0, Status: 'Alive', 'MHS av': 4500000, 'MHS 20s': 6000000 },
        { PGA: 1, Name: 'AVA', ID: 1, Status: 'Alive', 'MHS av': 4500000, 'MHS 20s': 6000000 },
      ],
      id: 1,
    };
    const r = getProfile('bfgminer')!.parse(
      { summary: JSON.stringify(summary), devs: JSON.stringify(devs) },
      { modelInfo: null },
    );
    expect(r.profile).toBe('bfgminer');
    expect(r.hashrate5sThs).toBe(12);
    expect(r.hashrateAvgThs).toBe(9);
    expect(r.boards.map((b) => [b.index, b.hashrateThs])).toEqual([
      [0, 6],
      [1, 6],
    ]);
  });
});
