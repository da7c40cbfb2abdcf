import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MinerOpSchema } from '@hashfleet/contracts';
import { describe, expect, it } from 'vitest';
import { can, capabilities, controlsFor } from '../src/capabilities.js';
import { detectFirmware, getProfile, PROFILES } from '../src/registry.js';
import type { FirmwareProfile } from '../src/types.js';
import { TESTCASES } from './testcase-files.js';

describe('registry', () => {
  it('every profile has a testcase folder, and every testcase folder a profile', () => {
    const folders = readdirSync(TESTCASES).sort();
    const ids = PROFILES.map((p) => p.id).sort();
    for (const id of ids) {
      expect(folders, `profile ${id} has no testcases/${id}/`).toContain(id);
      expect(readdirSync(`${TESTCASES}/${id}`).length, `testcases/${id}/ is empty`).toBeGreaterThan(0);
    }
    for (const f of folders) expect(ids, `testcases/${f}/ names no registered profile`).toContain(f);
  });

  it('every profile file in src/profiles/ has its registry line', async () => {
    const dir = join(import.meta.dirname, '..', 'src', 'profiles');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const mod = (await import(join(dir, file))) as Record<string, unknown>;
      const profiles = Object.values(mod).filter(
        (v): v is FirmwareProfile => typeof v === 'object' && v !== null && 'detect' in v && 'parse' in v,
      );
      expect(profiles.length, `src/profiles/${file} exports no firmware profile`).toBeGreaterThan(0);
      for (const p of profiles)
        expect(PROFILES, `src/profiles/${file}: profile ${p.id} has no line in src/registry.ts`).toContain(p);
    }
  });

  it('profile ids are unique and getProfile finds each', () => {
    expect(new Set(PROFILES.map((p) => p.id)).size).toBe(PROFILES.length);
    for (const p of PROFILES) expect(getProfile(p.id)).toBe(p);
    expect(getProfile('nope')).toBeNull();
  });

  it('every poll step key has a schema and every step port is set', () => {
    for (const p of PROFILES) {
      for (const step of p.poll) {
        expect(p.schemas[step.key], `${p.id}: no schema for step ${step.key}`).toBeDefined();
        if (step.request.transport !== 'ssh') expect(step.request.port).toBeGreaterThan(0);
      }
    }
  });

  it('control operations name a known op, and capabilities derive from them', () => {
    for (const p of PROFILES) {
      for (const c of p.controls) {
        expect(MinerOpSchema.safeParse(c.op).success, `${p.id}: ${c.op}`).toBe(true);
        expect(c.steps.length).toBeGreaterThan(0);
        for (const s of c.steps) expect(s.transport).toBe(c.transport);
      }
      const caps = capabilities(p);
      expect(caps.length).toBe(new Set(p.controls.map((c) => `${c.op}/${c.transport}`)).size);
      for (const cap of caps) expect(can(p, cap.op, cap.transport)).toBe(true);
    }
  });

  it('answers "can this miner reboot over SSH?" from data (Antminer stock: yes; Whatsminer v2: no)', () => {
    expect(can(getProfile('antminer-stock')!, 'reboot', 'ssh')).toBe(true);
    expect(can(getProfile('antminer-stock')!, 'power.target')).toBe(false);
    expect(can(getProfile('whatsminer-v2')!, 'reboot', 'ssh')).toBe(false);
    expect(controlsFor(getProfile('antminer-stock')!, 'reboot').map((c) => c.transport)).toEqual([
      'http',
      'ssh',
    ]);
  });

  it('detectFirmware returns null for nothing and for a non-miner reply', () => {
    expect(detectFirmware({ version: null, devdetails: null, deviceInfo: null })).toBeNull();
    expect(
      detectFirmware({ version: '<html></html>', devdetails: 'garbage', deviceInfo: '{"code":-1}' }),
    ).toBeNull();
  });
});
