/**
 * cgminer's `--api-allow` / `--api-groups` (API-README "api-allow"): entries `[G:]ip[/prefix]`
 * checked in order, the first matching address wins. `W:` may run every command, `R:` or no
 * letter only read-only ones, another letter the commands of that group (`*` adds read-only).
 * Entries that are not addresses (Bitmain's `W:*`) are ignored, as cgminer's setup_ipaccess does.
 */
type Entry = { group: string; net: number; mask: number };

export type AccessRules = {
  entries: Entry[];
  groups: Map<string, { commands: Set<string>; readOnly: boolean }>;
};

const ipToInt = (ip: string): number | null => {
  const parts = ip.split('.');
  if (parts.length < 1 || parts.length > 4) return null;
  const nums = parts.map(Number);
  if (nums.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return null;
  while (nums.length < 4) nums.push(0);
  return ((nums[0]! << 24) | (nums[1]! << 16) | (nums[2]! << 8) | nums[3]!) >>> 0;
};

export function parseAccess(apiAllow: string, apiGroups = ''): AccessRules {
  const entries: Entry[] = [];
  for (const raw of apiAllow
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(?:([A-Za-z]):)?([^/]+)(?:\/(\d+))?$/.exec(raw);
    if (!m) continue;
    const addr = ipToInt(m[2]!);
    if (addr === null) continue;
    const prefix = m[3] === undefined ? 32 : Number(m[3]);
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    entries.push({ group: (m[1] ?? 'R').toUpperCase(), net: (addr & mask) >>> 0, mask });
  }
  const groups = new Map<string, { commands: Set<string>; readOnly: boolean }>();
  for (const raw of apiGroups.split(',').filter(Boolean)) {
    const [letter, ...cmds] = raw.split(':');
    if (!letter) continue;
    groups.set(letter.toUpperCase(), {
      commands: new Set(cmds.filter((c) => c !== '*')),
      readOnly: cmds.includes('*'),
    });
  }
  return { entries, groups };
}

/** Whether `peer` may run `command`; `privileged` tells whether the command needs W. */
export function allowed(rules: AccessRules, peer: string, command: string, privileged: boolean): boolean {
  const addr = ipToInt(peer.replace(/^::ffff:/, ''));
  if (addr === null) return false;
  const entry = rules.entries.find((e) => (addr & e.mask) >>> 0 === e.net);
  if (!entry) return false;
  if (entry.group === 'W') return true;
  if (entry.group === 'R') return !privileged;
  const group = rules.groups.get(entry.group);
  if (!group) return false;
  return group.commands.has(command) || (group.readOnly && !privileged);
}
