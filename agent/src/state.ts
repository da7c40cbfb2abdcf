import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { MinerIdentity } from './identity.js';
import type { WorkBase } from './work.js';

/**
 * What survives an agent restart besides the spool: the identity table (so minerKeys stay), the
 * counters work is measured from (so the work between the last sample before a restart and the
 * first after is not lost), where each known miner was polled, the last command seq (replays
 * stay refused) and the miners poll.stop took out of polling.
 */
const StateSchema = z.object({
  version: z.literal(1),
  identities: z.array(z.any()),
  work: z.record(
    z.string(),
    z.object({ at: z.number(), difficultyAccepted: z.number().nullable(), uptimeS: z.number().nullable() }),
  ),
  targets: z
    .array(
      z.object({
        ip: z.string(),
        profile: z.string(),
        port: z.number(),
        model: z.string().nullable(),
        firmwareVersion: z.string().nullable(),
      }),
    )
    .default([]),
  lastCommandSeq: z.number().int().nullable(),
  /** minerKeys taken out of polling by poll.stop; a state file from before poll.stop has none. */
  unmanaged: z.array(z.string()).default([]),
});

export type KnownTarget = z.infer<typeof StateSchema>['targets'][number];

export type AgentState = {
  identities: MinerIdentity[];
  work: Record<string, WorkBase>;
  targets: KnownTarget[];
  lastCommandSeq: number | null;
  unmanaged: string[];
};

const FILE = 'state.json';
/**
 * Work bases of samples spooled since state.json was last written, one JSON line per batch,
 * appended (and fsynced) right after the batch reaches the spool. Without it a crash mid-cycle
 * would restart work from the older bases and count those samples' shares twice.
 */
const JOURNAL = 'work.journal';

export type WorkEntry = { minerKey: string } & WorkBase;

export function appendWorkJournal(dir: string, entries: readonly WorkEntry[]): void {
  if (entries.length === 0) return;
  const fd = openSync(join(dir, JOURNAL), 'a');
  try {
    writeSync(fd, `${JSON.stringify(entries)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Applies journal lines newer than the saved bases; a torn last line (crash mid-write) is skipped. */
function replayJournal(dir: string, work: Record<string, WorkBase>): void {
  let text: string;
  try {
    text = readFileSync(join(dir, JOURNAL), 'utf8');
  } catch {
    return;
  }
  for (const line of text.split('\n')) {
    if (!line) continue;
    let entries: WorkEntry[];
    try {
      entries = JSON.parse(line) as WorkEntry[];
    } catch {
      continue;
    }
    for (const { minerKey, ...base } of entries) {
      const known = work[minerKey];
      if (!known || base.at > known.at) work[minerKey] = base;
    }
  }
}

export function emptyState(): AgentState {
  return { identities: [], work: {}, targets: [], lastCommandSeq: null, unmanaged: [] };
}

/** Reads the state; a missing file is a first start, a corrupt one is reported and replaced. */
export function loadState(dir: string): { state: AgentState; error: string | null } {
  let text: string;
  try {
    text = readFileSync(join(dir, FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      const state = emptyState();
      replayJournal(dir, state.work);
      return { state, error: null };
    }
    return { state: emptyState(), error: `cannot read ${join(dir, FILE)}: ${(err as Error).message}` };
  }
  try {
    const parsed = StateSchema.parse(JSON.parse(text));
    replayJournal(dir, parsed.work);
    return { state: { ...parsed, identities: parsed.identities as MinerIdentity[] }, error: null };
  } catch (err) {
    return {
      state: emptyState(),
      error: `${join(dir, FILE)}: unreadable state, starting empty: ${(err as Error).message.slice(0, 200)}`,
    };
  }
}

/** Atomic replace with fsync: a crash leaves either the old file or the new one. */
export function saveState(dir: string, state: AgentState): void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, FILE);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify({ version: 1, ...state }));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  // Everything the journal held is in state.json now.
  writeFileSync(join(dir, JOURNAL), '');
}
