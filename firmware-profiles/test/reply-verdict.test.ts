import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activePool, replyVerdict } from '../src/cgminer-reply.js';
import { TESTCASES } from './testcase-files.js';

/**
 * Issue 16: every firmware's refusal form is read as a refusal with its code and words, every
 * acceptance as one, and anything else as no verdict (never success). Recorded replies where the
 * testcases hold one; the other forms are written as the firmware's API source or docs define them.
 */
const recorded = (path: string) => readFileSync(join(TESTCASES, path), 'utf8');

describe('replyVerdict', () => {
  it.each([
    // cgminer access control, user-pasted from a Hiveon S19j Pro (pyasic#243).
    [
      'cgminer/hiveon-4.11.1-rwglr_s19jpro/s19jpro-devdetails-access-denied.json',
      false,
      '45',
      "Access denied to 'devdetails' command",
    ],
    // cgminer part of btminer, sent `cmd` instead of `command`.
    [
      'whatsminer-v2/btminer-20200512_m31s-sleeping/m31s-error-missing-command.json',
      false,
      '24',
      "Missing JSON 'command'",
    ],
    // Avalon ascset answers: I (info) and S are acceptances, JSON and text format.
    ['avalon/4.11.1-25052801_q/q-ascset-softoff.json', true, '118', 'ASC 0 set info: success softoff'],
    ['avalon/4.11.1-19090589_a10xx-text/a10xx-ascset-hashpower-text.txt', true, '118', 'ASC 0 set info'],
    // An encrypted btminer reply the agent could not open is no verdict, not a success.
    ['whatsminer-v2/api1.4-20210322_m3x/m3x-privileged-enc-reply-no-write-api.json', null, null, 'no STATUS'],
  ] as const)('%s', (file, ok, code, words) => {
    const v = replyVerdict(recorded(file));
    expect(v.ok).toBe(ok);
    expect(v.code).toBe(code);
    expect(v.message).toContain(words);
  });

  it.each([
    // cgminer api.c: invalid command (Code 14), and restart/quit answered with a bare STATUS.
    [
      '{"STATUS":[{"STATUS":"E","When":1,"Code":14,"Msg":"Invalid command","Description":"cgminer 4.11.1"}],"id":1}\0',
      false,
      '14',
    ],
    ['{"STATUS":"RESTART"}\0', true, null],
    ['{"STATUS":"BYE"}', true, null],
    // btminer-native replies: a bare STATUS string with Code and Msg.
    ['{"STATUS":"E","When":1,"Code":132,"Msg":"API command ERROR","Description":""}', false, '132'],
    ['{"STATUS":"S","When":1,"Code":131,"Msg":"API command OK","Description":""}', true, '131'],
    // Whatsminer API v3: code 0 is success, anything else a refusal with msg.
    ['{"code":-2,"msg":"invalid token"}', false, '-2'],
    ['{"code":0,"msg":"ok"}', true, '0'],
    // LuxOS session refusal (cgminer form, LUXminer description).
    [
      '{"STATUS":[{"Code":45,"Description":"LUXminer 2025.4.8","Msg":"Invalid session id","STATUS":"E","When":1}],"id":1}',
      false,
      '45',
    ],
    // A joined reply refuses when any part does.
    [
      '{"summary":[{"STATUS":[{"STATUS":"S","Code":11,"Msg":"Summary"}]}],"addpool":[{"STATUS":[{"STATUS":"E","Code":45,"Msg":"Access denied"}]}],"id":1}',
      false,
      '45',
    ],
    // Web APIs: ePIC {"result":false,"error":..}, and bodies without a verdict.
    ['{"result":false,"error":"bad password"}', false, null],
    ['{"result":true,"error":null}', true, null],
    ['{"STATUS":[{"STATUS":"X","Msg":"?"}]}', null, null],
    ['<html>502 Bad Gateway</html>', null, null],
    ['', null, null],
  ] as const)('%s', (body, ok, code) => {
    const v = replyVerdict(body);
    expect(v.ok).toBe(ok);
    expect(v.code).toBe(code);
    expect(v.message.length).toBeGreaterThan(0);
  });
});

describe('activePool', () => {
  it('takes the alive pool of lowest Priority while the old connection still says Stratum Active', () => {
    // cgminer 4.11.1 right after switchpool|1 (issue 16): pool 1 has priority 0, both are stratum-active.
    const rows = [
      {
        POOL: 0,
        URL: 'stratum+tcp://old.example:3333',
        User: 'w.old',
        Status: 'Alive',
        Priority: 1,
        'Stratum Active': true,
      },
      {
        POOL: 1,
        URL: 'stratum+tcp://new.example:3333',
        User: 'w.new',
        Status: 'Alive',
        Priority: 0,
        'Stratum Active': true,
      },
    ];
    expect(activePool(rows)).toEqual({ url: 'stratum+tcp://new.example:3333', user: 'w.new' });
  });

  it('skips a dead pool of higher priority, and falls back to Stratum Active without priorities', () => {
    expect(
      activePool([
        { URL: 'a', User: 'ua', Status: 'Dead', Priority: 0 },
        { URL: 'b', User: 'ub', Status: 'Alive', Priority: 1 },
      ]),
    ).toEqual({ url: 'b', user: 'ub' });
    expect(
      activePool([
        { URL: 'a', User: 'ua', 'Stratum Active': false },
        { URL: 'b', User: 'ub', 'Stratum Active': true },
      ]),
    ).toEqual({ url: 'b', user: 'ub' });
  });
});
