import { MinerReadingSchema } from '@hashfleet/contracts';
import { describe, expect, it } from 'vitest';
import { decodeReply } from '../src/decoder.js';
import { findModel } from '../src/models.js';
import { detectFirmware, getProfile } from '../src/registry.js';
import type { DecodedReply } from '../src/types.js';
import { detectReplies, diff, loadTestcases, pollReplies, read, readJson } from './testcase-files.js';

/** The generic runner: every folder under testcases/ is one recorded case (docs/style.md §6). */
const cases = loadTestcases();

describe.each(cases)('testcase $profile/$name', (tc) => {
  if (tc.manifest.poll) {
    it('parses the recorded replies to the expected reading, valid against the contract', () => {
      const profile = getProfile(tc.profile);
      expect(profile, `no profile ${tc.profile} in the registry`).not.toBeNull();
      const raw = pollReplies(tc);
      // As the agent does: the model named by the replies (or detection) joins the model table.
      const first = profile!.parse(raw, { modelInfo: null });
      const reading = profile!.parse(raw, { modelInfo: findModel(first.model) });
      const checked = MinerReadingSchema.safeParse(reading);
      expect(checked.success, JSON.stringify(checked.error?.issues)).toBe(true);
      const expected = readJson<Record<string, unknown>>(tc, 'expected.json');
      expect(expected, 'expected.json is missing').toBeDefined();
      const { missing, ...rest } = expected!;
      expect(diff(reading, rest)).toEqual([]);
      if (missing) expect([...reading.missing].sort()).toEqual([...(missing as string[])].sort());
    });
    it('reads the same from replies decoded beforehand (ParseContext.decoded, as the agent hands them)', () => {
      const profile = getProfile(tc.profile)!;
      const raw = pollReplies(tc);
      const modelInfo = findModel(profile.parse(raw, { modelInfo: null }).model);
      const decoded = new Map<string, DecodedReply>();
      for (const [key, body] of Object.entries(raw)) if (body !== null) decoded.set(key, decodeReply(body));
      expect(profile.parse(raw, { modelInfo, decoded })).toEqual(profile.parse(raw, { modelInfo }));
    });
  }
  if (tc.manifest.detect) {
    it('detects the firmware, model and version from version/devdetails', () => {
      expect(detectFirmware(detectReplies(tc))).toEqual(readJson(tc, 'expected-detect.json') ?? null);
    });
  }
  if (tc.manifest.decodeOnly) {
    it('decodes the other recorded replies with exactly the expected repairs', () => {
      const expected = readJson<Record<string, string[]>>(tc, 'expected-decode.json') ?? {};
      for (const file of tc.manifest.decodeOnly!) {
        const d = decodeReply(read(tc, file));
        expect({ file, error: d.error, repairs: d.repairs }).toEqual({
          file,
          error: null,
          repairs: expected[file],
        });
      }
    });
  }
});
