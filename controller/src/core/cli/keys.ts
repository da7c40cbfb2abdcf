import {
  listCommandKeys,
  type PublicCommandKey,
  promoteNextCommandKey,
  stageNextCommandKey,
} from '../../commands/index.js';

export const KEYS_USAGE = `  keys show                             the command-signing keys (active, next, retired) and the
                                        agents' commands.publicKeys for them
  keys next                             stage the next signing key beside the active one (rotation step 1)
  keys promote                          sign with the staged key from the next start on (rotation step 2)`;

/** What agents put in their config to accept these keys (agent/src/config-schema.ts). */
function agentSnippet(keys: { key: PublicCommandKey; role: string }[]): string {
  return [
    'commands:',
    '  publicKeys:',
    ...keys.map(({ key, role }) => `    - base64: ${key.spkiBase64}   # ${key.keyId} (${role})`),
  ].join('\n');
}

type Recorder = (entry: { action: string; subject: string; details: unknown }) => Promise<void>;

/**
 * `keys show | next | promote`. A rotation: `keys next`, give every agent both keys, `keys promote`,
 * restart each replica, and once no command signed with the old key can still be valid, drop it from
 * the agents. `record` writes the audit log (next and promote change what agents must trust).
 */
export async function keysCommand(
  sub: string | undefined,
  dataDir: string,
  record: Recorder,
  out: (line: string) => void = console.log,
): Promise<number> {
  switch (sub) {
    case 'show': {
      const { active, next, retired } = listCommandKeys(dataDir);
      out(`active  ${active.keyId}`);
      out(`next    ${next?.keyId ?? '(none staged)'}`);
      for (const r of retired) out(`retired ${r.keyId}`);
      out('');
      out(agentSnippet([{ key: active, role: 'active' }, ...(next ? [{ key: next, role: 'next' }] : [])]));
      return 0;
    }
    case 'next': {
      const { active } = listCommandKeys(dataDir);
      const next = stageNextCommandKey(dataDir);
      await record({
        action: 'command-key.next',
        subject: `command key ${next.keyId}`,
        details: { active: active.keyId },
      });
      out(`staged ${next.keyId}; signing still uses ${active.keyId}. Give every agent both keys:`);
      out(
        agentSnippet([
          { key: active, role: 'active' },
          { key: next, role: 'next' },
        ]),
      );
      out('then run "keys promote".');
      return 0;
    }
    case 'promote': {
      const { from, to } = promoteNextCommandKey(dataDir);
      await record({
        action: 'command-key.promote',
        subject: `command key ${to.keyId}`,
        details: { retired: from.keyId },
      });
      out(`active ${to.keyId} (was ${from.keyId}, kept in keys/retired/). Restart every controller replica;`);
      out(
        `agents may drop ${from.keyId} once commands signed before the restart have expired (commands.ttlS).`,
      );
      return 0;
    }
    default:
      console.error(`keys: unknown subcommand "${sub ?? ''}"\n${KEYS_USAGE}`);
      return 2;
  }
}
