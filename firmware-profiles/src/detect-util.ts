import { firstRow, isObject, type Reply, str } from './cgminer-reply.js';
import { decodeReply } from './decoder.js';
import type { DetectReplies } from './types.js';

/** What every profile's `detect` looks at, decoded once per call. */
export type DetectView = {
  /** Upper-cased raw text of `version` + `devdetails`, for marker tests (docs/reference.md §6). */
  text: string;
  version: Reply | null;
  devdetails: Reply | null;
  deviceInfo: Reply | null;
  /** `VERSION[0]` of the version reply. */
  versionRow: Record<string, unknown> | null;
  /** `STATUS[0].Description` of the version reply. */
  description: string;
};

export function detectView(r: DetectReplies): DetectView {
  const version = decodeObject(r.version);
  const devdetails = decodeObject(r.devdetails);
  const description = descriptionOf(version) ?? descriptionOf(devdetails) ?? '';
  return {
    text: `${r.version ?? ''}\n${r.devdetails ?? ''}`.toUpperCase(),
    version,
    devdetails,
    deviceInfo: decodeObject(r.deviceInfo),
    versionRow: firstRow(version ?? undefined, 'VERSION'),
    description,
  };
}

function descriptionOf(reply: Reply | null): string | null {
  const status = reply?.['STATUS'];
  return Array.isArray(status) && isObject(status[0]) ? str(status[0]['Description']) : null;
}

function decodeObject(raw: string | null): Reply | null {
  if (!raw) return null;
  const v = decodeReply(raw).value;
  return isObject(v) ? v : null;
}

/** Model string as reported: first line, without a firmware suffix in parentheses. */
export function cleanModel(raw: unknown): string | null {
  const s = str(raw);
  if (!s) return null;
  const line = s.split('\n')[0]!.trim();
  const cut = line.split(' (')[0]!.trim();
  return cut === '' ? null : cut;
}

/** `M31S+_V20` -> `Whatsminer M31S+` (the suffix is the hash-board variant). */
export function whatsminerModel(raw: unknown): string | null {
  const s = str(raw);
  if (!s) return null;
  const base = s.split('_')[0]!.trim();
  return base ? `Whatsminer ${base}` : null;
}
