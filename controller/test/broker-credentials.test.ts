import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aclProblemsFor } from '../src/core/broker/add-agent.js';
import {
  checkMosquittoPassword,
  mosquittoPasswordHash,
  setPasswordEntry,
} from '../src/core/broker/mosquitto-passwd.js';

/** The pure half of `broker add-agent`: Mosquitto's hash format, the password file edit, the ACL check. */

// Written by `mosquitto_passwd -b pw alice s3cret` (Mosquitto 2.0.11, default sha512-pbkdf2).
const RECORDED =
  '$7$101$L1mqp/++TpN7AT5n$RgKEZFOMpslpmU20h+DuYFgodR+kERJkjGE9uMFZMOzQBgIjBSxFpos2gV/3atTu4aYDNflQtTsvFKy0ZJh6cg==';
const shippedAcl = readFileSync(new URL('../../deploy/mosquitto/acl', import.meta.url), 'utf8');

describe('Mosquitto password hash', () => {
  it("reproduces mosquitto_passwd's hash from the same salt and checks its password", () => {
    const salt = Buffer.from(RECORDED.split('$')[3]!, 'base64');
    expect(mosquittoPasswordHash('s3cret', salt)).toBe(RECORDED);
    expect(checkMosquittoPassword(RECORDED, 's3cret')).toBe(true);
    expect(checkMosquittoPassword(RECORDED, 's3cret ')).toBe(false);
    expect(checkMosquittoPassword('$6$plain-sha512$x', 's3cret')).toBe(false);
  });
  it('salts every hash afresh', () => {
    expect(mosquittoPasswordHash('same')).not.toBe(mosquittoPasswordHash('same'));
  });
});

describe('password file edit', () => {
  it.each([
    ['empty file', '', 'ctr-a:H\n'],
    ['other users kept, entry appended', 'controller:C\n', 'controller:C\nctr-a:H\n'],
    ['existing entry replaced in place', 'ctr-a:OLD\ncontroller:C\n', 'ctr-a:H\ncontroller:C\n'],
    ['a user whose name starts the same is not touched', 'ctr-ab:X\n', 'ctr-ab:X\nctr-a:H\n'],
    ['comments kept, blank lines dropped', '# site kz\n\ncontroller:C', '# site kz\ncontroller:C\nctr-a:H\n'],
  ])('%s', (_n, before, after) => {
    expect(setPasswordEntry(before, 'ctr-a', 'H')).toBe(after);
  });
});

describe('ACL coverage of an agent id', () => {
  it.each([
    ['the shipped ACL covers an agent id', shippedAcl, 'ctr-kz-p-017', []],
    [
      '"controller" has its own block, so it is not an agent',
      shippedAcl,
      'controller',
      ['agent id "controller": the ACL has a "user controller" block; that name is not an agent'],
    ],
    [
      'an ACL without the read pattern leaves the agent deaf to its commands',
      shippedAcl.replace(/^pattern read .*$/m, ''),
      'ctr-a',
      ['ACL: no pattern lets ctr-a read hashfleet/v1/agents/ctr-a/commands'],
    ],
    [
      'a pattern of a readwrite subtree covers the kinds',
      'pattern readwrite hashfleet/v1/agents/%u/#\n',
      'ctr-a',
      [],
    ],
    [
      'an id with a topic wildcard is refused',
      shippedAcl,
      'ctr+',
      ['agent id "ctr+": must be letters, digits, ".", "_" or "-"'],
    ],
  ])('%s', (_n, acl, id, problems) => {
    expect(aclProblemsFor(acl, id)).toEqual(problems);
  });
});
