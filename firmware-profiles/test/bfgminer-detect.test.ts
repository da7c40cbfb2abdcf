import { describe, expect, it } from 'vitest';
import { detectFirmware } from '../src/registry.js';

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
