import type { AgentConfig } from '../config.js';

/** The logins to use on one miner. */
export type Accounts = Pick<AgentConfig['credentials'], 'web' | 'ssh' | 'rpc'>;

/** The accounts for a miner of `profileId`: per kind, the profile's override, else the agent-wide one. */
export function accountsFor(credentials: AgentConfig['credentials'], profileId: string): Accounts {
  const own = credentials.byProfile[profileId];
  return {
    web: own?.web ?? credentials.web,
    ssh: own?.ssh ?? credentials.ssh,
    rpc: own?.rpc ?? credentials.rpc,
  };
}

/** How an operator fixes a missing account, naming both places it can be set. */
export function missingAccount(kind: keyof Accounts, profileId: string): string {
  return `credentials.${kind} (or credentials.byProfile.${profileId}.${kind}) is not configured`;
}
