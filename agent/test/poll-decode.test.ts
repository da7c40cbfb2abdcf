import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { findModel, getProfile, type RawReplies } from '@hashfleet/firmware-profiles';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadAgentConfig } from '../src/config.js';
import { pollMiner } from '../src/poll/poll-miner.js';
import { type RequestContext, rpcBody } from '../src/transport/request.js';

/** Every call of the tolerant decoder, counted (the agent's check and the profiles' parse alike). */
const decodes = vi.hoisted(() => ({ count: 0 }));
vi.mock('@hashfleet/firmware-profiles/decoder', async (importOriginal) => {
  const original = await importOriginal<typeof import('@hashfleet/firmware-profiles/decoder')>();
  return {
    ...original,
    decodeReply: (raw: string) => {
      decodes.count++;
      return original.decodeReply(raw);
    },
  };
});

/**
 * The recorded replies under firmware-profiles/testcases/ whose profile polls over the cgminer API
 * only (every required step recorded), served by a local RPC server: request body -> reply file.
 */
const TESTCASES = join(import.meta.dirname, '../../firmware-profiles/testcases');
type Case = { name: string; profile: string; replies: Map<string, string>; raw: RawReplies };
const cases: Case[] = [];
for (const profileId of readdirSync(TESTCASES).sort()) {
  const profile = getProfile(profileId);
  if (!profile) continue;
  for (const name of readdirSync(join(TESTCASES, profileId)).sort()) {
    const dir = join(TESTCASES, profileId, name);
    const poll = (
      JSON.parse(readFileSync(join(dir, 'replies.json'), 'utf8')) as { poll?: Record<string, string> }
    ).poll;
    if (!poll) continue;
    const usable = profile.poll.every(
      (s) => s.optional || (s.request.transport === 'rpc' && poll[s.key] !== undefined),
    );
    if (!usable) continue;
    const replies = new Map<string, string>();
    const raw: RawReplies = {};
    for (const s of profile.poll) {
      const file = poll[s.key];
      if (s.request.transport === 'rpc' && file !== undefined) {
        const body = readFileSync(join(dir, file), 'utf8');
        replies.set(rpcBody(s.request), body);
        raw[s.key] = body;
      } else raw[s.key] = null;
    }
    cases.push({ name: `${profileId}/${name}`, profile: profileId, replies, raw });
  }
}

let server: Server;
let served = new Map<string, string>();
let ctx: RequestContext;

beforeAll(async () => {
  // One request per connection, answered with the recorded body (or closed without a reply).
  server = createServer((socket) => {
    socket.once('data', (chunk) => {
      const reply = served.get(chunk.toString('utf8'));
      if (reply === undefined) socket.destroy();
      else socket.end(reply);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const config = loadAgentConfig({
    agentId: 'decode-test',
    siteId: 's',
    containerId: 'c',
    miners: { ranges: ['127.0.0.1'], ports: { rpc: port, http: 1 } },
    mqtt: { url: 'mqtt://127.0.0.1:1' },
    spool: { dir: '/nonexistent' },
  });
  ctx = {
    ports: config.miners.ports,
    credentials: config.credentials,
    knownHosts: new Map(),
    bearer: () => Promise.reject(new Error('no bearer in this test')),
  };
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('a poll decodes each recorded reply once and reads what parse alone reads', () => {
  it('has recorded cases to run, some with decoder repairs', () => {
    expect(cases.length).toBeGreaterThanOrEqual(8);
    const repaired = cases.filter((c) => {
      const profile = getProfile(c.profile)!;
      return profile.parse(c.raw, { modelInfo: null }).repairs.length > 0;
    });
    expect(repaired.length).toBeGreaterThan(0);
  });

  it.each(cases)('$name', async (c) => {
    const profile = getProfile(c.profile)!;
    served = c.replies;
    // As the poller does: the model detection named (here: the one the replies name).
    const modelInfo = findModel(profile.parse(c.raw, { modelInfo: null }).model);
    // The reading as the profile makes it from the raw bodies alone: what the agent published
    // before a poll handed parse its already decoded replies.
    const expected = profile.parse(c.raw, { modelInfo });
    decodes.count = 0;
    const outcome = await pollMiner(ctx, '127.0.0.1', profile, modelInfo, 3000);
    expect(outcome).toEqual({ ok: true, reading: expected });
    expect(decodes.count).toBe(c.replies.size);
  });
});
