import { describe, expect, it } from 'vitest';
import { accountsFor } from '../src/auth/accounts.js';
import { AgentConfigError, loadAgentConfig } from '../src/config.js';

/**
 * Which account a miner gets: its firmware profile's override in credentials.byProfile, else the
 * agent-wide one, per kind (web, ssh, rpc) independently; and byProfile keys are checked against
 * the firmware-profiles registry.
 */
const env = {
  PW_SITE_WEB: 'site-web',
  PW_SITE_SSH: 'site-ssh',
  PW_SITE_RPC: 'site-rpc',
  PW_V3_RPC: 'v3-rpc',
  PW_AM_WEB: 'am-web',
  PW_AM_SSH: 'am-ssh',
};
Object.assign(process.env, env);

function load(credentials: Record<string, unknown>) {
  return loadAgentConfig(
    {
      agentId: 'lab-c1',
      siteId: 'lab',
      containerId: 'c1',
      miners: { ranges: ['10.0.0.0/30'] },
      mqtt: { url: 'mqtt://127.0.0.1:1883' },
      spool: { dir: '/tmp/credentials-resolution-spool' },
      credentials,
    },
    '/',
  );
}

const siteWide = {
  web: { password: { env: 'PW_SITE_WEB' } },
  ssh: { user: 'admin', password: { env: 'PW_SITE_SSH' } },
  rpc: { password: { env: 'PW_SITE_RPC' } },
};
const overrides = {
  'whatsminer-v3': { rpc: { user: 'super', password: { env: 'PW_V3_RPC' } } },
  'antminer-stock': {
    web: { user: 'root', password: { env: 'PW_AM_WEB' } },
    ssh: { user: 'root', password: { env: 'PW_AM_SSH' } },
  },
};

type Row = {
  name: string;
  credentials: Record<string, unknown>;
  profile: string;
  want: { web: string | null; ssh: string | null; rpc: string | null };
  users?: { web?: string; ssh?: string; rpc?: string };
};

const rows: Row[] = [
  {
    name: 'a profile without an override gets every agent-wide account',
    credentials: { ...siteWide, byProfile: overrides },
    profile: 'whatsminer-v2',
    want: { web: 'site-web', ssh: 'site-ssh', rpc: 'site-rpc' },
    users: { ssh: 'admin' },
  },
  {
    name: 'an rpc override replaces only rpc; web and ssh stay agent-wide',
    credentials: { ...siteWide, byProfile: overrides },
    profile: 'whatsminer-v3',
    want: { web: 'site-web', ssh: 'site-ssh', rpc: 'v3-rpc' },
    users: { rpc: 'super', ssh: 'admin' },
  },
  {
    name: 'web and ssh overrides replace both; rpc stays agent-wide',
    credentials: { ...siteWide, byProfile: overrides },
    profile: 'antminer-stock',
    want: { web: 'am-web', ssh: 'am-ssh', rpc: 'site-rpc' },
    users: { web: 'root', ssh: 'root' },
  },
  {
    name: 'an override with no agent-wide account: only that profile has it',
    credentials: { byProfile: overrides },
    profile: 'whatsminer-v3',
    want: { web: null, ssh: null, rpc: 'v3-rpc' },
  },
  {
    name: 'no override and no agent-wide account: nothing',
    credentials: { byProfile: overrides },
    profile: 'braiins-os',
    want: { web: null, ssh: null, rpc: null },
  },
  {
    name: 'no byProfile at all: every profile gets the agent-wide accounts',
    credentials: siteWide,
    profile: 'antminer-stock',
    want: { web: 'site-web', ssh: 'site-ssh', rpc: 'site-rpc' },
  },
];

describe('per-profile credential resolution', () => {
  it.each(rows)('$name', ({ credentials, profile, want, users }) => {
    const got = accountsFor(load(credentials).credentials, profile);
    expect({
      web: got.web?.password.reveal() ?? null,
      ssh: got.ssh?.password?.reveal() ?? null,
      rpc: got.rpc?.password.reveal() ?? null,
    }).toEqual(want);
    for (const [kind, user] of Object.entries(users ?? {})) {
      expect(got[kind as keyof typeof got]?.user, kind).toBe(user);
    }
  });

  it('an unknown profile key is refused with an error naming the key and the known profiles', () => {
    let error: AgentConfigError | null = null;
    try {
      load({ byProfile: { 'whatsminer-v9': { rpc: { password: { env: 'PW_V3_RPC' } } } } });
    } catch (err) {
      error = err as AgentConfigError;
    }
    expect(error).toBeInstanceOf(AgentConfigError);
    const text = error!.errors.join('\n');
    expect(text).toContain('credentials.byProfile.whatsminer-v9: unknown firmware profile "whatsminer-v9"');
    expect(text).toContain('whatsminer-v3');
  });

  it('an override account with an inline password is refused like an agent-wide one', () => {
    expect(() => load({ byProfile: { 'antminer-stock': { web: { password: 'root' } } } })).toThrow(
      /credentials\.byProfile\.antminer-stock\.web\.password/,
    );
  });

  it('override secrets print as [secret], never their value', () => {
    const config = load({ ...siteWide, byProfile: overrides });
    const text = JSON.stringify(config.credentials);
    for (const value of Object.values(env)) expect(text).not.toContain(value);
    expect(String(config.credentials.byProfile['whatsminer-v3']?.rpc?.password)).toBe('[secret]');
  });
});
