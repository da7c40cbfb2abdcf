import type { CommandAction, CommandEffect, CommandResult } from '@hashfleet/contracts';
import {
  type AuthScheme,
  type ControlOperation,
  type Effect,
  findModel,
  type MinerRequest,
  upgradePath,
} from '@hashfleet/firmware-profiles';
import { type Accounts, accountsFor, missingAccount } from '../auth/accounts.js';
import { LOGON, logoff, sessionIdOf } from '../auth/luxos-session.js';
import { openReply, parseChallenge, sealCommand } from '../auth/wm-v2-token.js';
import { saltOf, wmV3Token } from '../auth/wm-v3-token.js';
import type { PduConfig } from '../config.js';
import { openSession, setInteger } from '../pdu/snmp.js';
import { VENDORS } from '../pdu/vendors.js';
import { pollMiner } from '../poll/poll-miner.js';
import type { Target } from '../poll/poller.js';
import { failureKind, TransportError } from '../transport/errors.js';
import { type MinerAddress, type RequestContext, realPort, sendRequest } from '../transport/request.js';
import { rpcExchange } from '../transport/rpc.js';
import { sshExec } from '../transport/ssh.js';
import { wmV3Exchange } from '../transport/wm-v3.js';
import { sighting } from './effect.js';
import { replyOk } from './expect.js';
import { actionParams, fillParams } from './params.js';
import { BadImage, fetchImage, sendImage, sshTargetOf, transferMs } from './upgrade.js';

export type Outcome = Pick<CommandResult, 'status' | 'refusal' | 'transport' | 'message' | 'effect'>;

/**
 * Effect checks after the miner accepted a command (issue 16): the agent reads the miner again every
 * `intervalMs` of the commanded window, instead of leaving it to the poll back-off.
 */
export type VerifyOptions = {
  /** Agent clock (ms), the one the command's window is measured on. */
  now: () => number;
  /** Time between reads inside the window. */
  intervalMs: number;
  /** Stops the reads early (the agent is stopping); the effect then ends unverified. */
  signal?: AbortSignal;
};

export type ExecuteDeps = {
  ctx: RequestContext;
  targetByKey: (minerKey: string) => Target | undefined;
  pdus: readonly PduConfig[];
  requestTimeoutMs: number;
  sleep: (ms: number) => Promise<void>;
  /** Absent: a command the miner accepts is reported acknowledged, its effect not checked. */
  verify?: VerifyOptions;
  /** The agent's token for the controller's API, sent when it fetches a firmware image. */
  controllerToken?: () => string | undefined;
};

/** A command's miner with the accounts its profile resolves to. */
type Miner = MinerAddress & { accounts: Accounts };

const refused = (refusal: 'unknown_target' | 'unsupported', message: string): Outcome => ({
  status: 'refused',
  refusal,
  transport: null,
  message,
});

/** Which auth schemes this agent can carry out, and whether the miner has an account for it. */
function usable(auth: AuthScheme, miner: Miner): string | null {
  const need = (kind: keyof Accounts) =>
    miner.accounts[kind] ? null : missingAccount(kind, miner.profileId);
  switch (auth.kind) {
    case 'none':
    case 'luxos-session':
      return null;
    case 'http-digest':
    case 'vnish-bearer':
      return need('web');
    case 'ssh-password':
      return need('ssh');
    case 'wm-v3-token':
    case 'wm-v2-token':
      return need('rpc');
    default:
      // A scheme added to the profiles after this agent was built.
      return `auth scheme ${(auth as { kind: string }).kind} is not implemented by this agent`;
  }
}

/** Runs one miner control operation's steps in order; the first failing step ends it. */
async function runSteps(
  op: ControlOperation,
  miner: Miner,
  deps: ExecuteDeps,
  action: CommandAction,
): Promise<string> {
  const { ctx } = deps;
  const { ip } = miner;
  const params: Record<string, string | number | boolean> = {
    ...actionParams(action),
    // Avalon softoff/softon take the time to act at; setpool takes the web login (CA manual 2.5).
    unixTime: Math.floor((deps.verify?.now() ?? Date.now()) / 1000),
    ...(miner.accounts.web
      ? { webUser: miner.accounts.web.user ?? 'root', webPassword: miner.accounts.web.password.reveal() }
      : {}),
  };
  let sessionId: string | null = null;
  if (op.auth.kind === 'luxos-session') {
    const port = realPort(ctx.ports, 'rpc', 4028);
    const logon = await rpcExchange(ip, port, LOGON, deps.requestTimeoutMs);
    sessionId = sessionIdOf(logon);
    if (!sessionId) {
      const said = replyOk('status-ok', logon);
      throw new MinerRefusal(`logon gave no SessionID: ${said.detail}`);
    }
    params['sessionId'] = sessionId;
  }
  try {
    return await runFilled(op, miner, deps, params);
  } finally {
    if (sessionId) {
      // Best effort: LuxOS keeps one session; a left-over one expires on its own.
      await rpcExchange(ip, realPort(ctx.ports, 'rpc', 4028), logoff(sessionId), deps.requestTimeoutMs).catch(
        () => {},
      );
    }
  }
}

async function runFilled(
  op: ControlOperation,
  miner: Miner,
  deps: ExecuteDeps,
  params: Record<string, string | number | boolean>,
): Promise<string> {
  const { ctx } = deps;
  const details: string[] = [];
  for (const template of op.steps) {
    // Filled one at a time: a step may use what an earlier one captured ({poolIndex}).
    const { capture, ...request } = template;
    const step = fillParams(request, params) as MinerRequest;
    let body: string;
    try {
      if (step.transport === 'ssh') {
        const r = await sshExec(sshTargetOf(miner, op.auth, ctx), step.command, deps.requestTimeoutMs);
        if (r.exitCode !== null && r.exitCode !== 0)
          throw new MinerRefusal(
            `exit status ${r.exitCode}${r.stdout.trim() ? `: ${r.stdout.trim().slice(0, 200)}` : ''}`,
          );
        if (r.closedEarly && op.expect !== 'connection-closed-ok') {
          throw new TransportError('reset', 'connection closed before an exit status');
        }
        // The exit status is the shell's verdict; there is no reply body to read.
        details.push(r.closedEarly ? 'connection closed (expected)' : `exit 0 ${r.stdout.trim()}`.trim());
        continue;
      } else if (step.transport === 'wm-v3' && op.auth.kind === 'wm-v3-token') {
        body = await wmV3Signed(step, miner, deps);
      } else if (step.transport === 'rpc' && op.auth.kind === 'wm-v2-token') {
        body = await wmV2Sealed(step, miner, deps);
      } else {
        body = await sendRequest(ctx, miner, step, deps.requestTimeoutMs);
      }
    } catch (err) {
      const kind = failureKind(err);
      // A reboot drops the connection it was asked on: that is the expected answer.
      if (op.expect === 'connection-closed-ok' && (kind === 'reset' || kind === 'empty')) {
        details.push('connection closed (expected)');
        continue;
      }
      throw err;
    }
    const check = replyOk(op.expect, body);
    if (!check.ok) throw new MinerRefusal(details.concat(check.detail).join('; '));
    details.push(check.detail);
    if (capture) {
      const text = capture.from === 'body' ? body : check.detail;
      const all = [...text.matchAll(new RegExp(capture.pattern, 'g'))];
      const m = capture.match === 'last' ? all.at(-1) : all[0];
      if (!m?.[1]) {
        throw new MinerRefusal(
          details.concat(`no ${capture.param} in the reply (/${capture.pattern}/)`).join('; '),
        );
      }
      params[capture.param] = m[1];
    }
  }
  return details.join('; ').slice(0, 1000);
}

/** The miner answered a step and said no (or nothing readable): its words are the message. */
class MinerRefusal extends TransportError {
  constructor(message: string) {
    super('protocol', message);
  }
}

async function wmV2Sealed(
  step: Extract<MinerRequest, { transport: 'rpc' }>,
  { ip, accounts }: Miner,
  deps: ExecuteDeps,
): Promise<string> {
  const { ctx } = deps;
  const port = realPort(ctx.ports, 'rpc', step.port);
  const challenge = parseChallenge(await rpcExchange(ip, port, '{"cmd":"get_token"}', deps.requestTimeoutMs));
  if (!challenge) throw new TransportError('auth', 'get_token gave no salt');
  const { body, key } = sealCommand(accounts.rpc!.password.reveal(), challenge, {
    cmd: step.command,
    ...step.fields,
    ...(step.parameter !== undefined ? { param: step.parameter } : {}),
  });
  return openReply(key, await rpcExchange(ip, port, body, deps.requestTimeoutMs));
}

async function wmV3Signed(
  step: Extract<MinerRequest, { transport: 'wm-v3' }>,
  { ip, accounts }: Miner,
  deps: ExecuteDeps,
): Promise<string> {
  const { ctx } = deps;
  const port = realPort(ctx.ports, 'wm-v3', step.port);
  const info = await wmV3Exchange(
    ip,
    port,
    JSON.stringify({ cmd: 'get.device.info', param: 'salt' }),
    deps.requestTimeoutMs,
  );
  const salt = saltOf(info);
  if (!salt) throw new TransportError('auth', 'get.device.info gave no salt');
  const rpc = accounts.rpc!;
  const ts = Math.floor(Date.now() / 1000);
  const body = {
    cmd: step.cmd,
    ...(step.param !== undefined ? { param: step.param } : {}),
    ts,
    account: rpc.user ?? 'super',
    token: wmV3Token(step.cmd, rpc.password.reveal(), salt, ts),
  };
  return wmV3Exchange(ip, port, JSON.stringify(body), deps.requestTimeoutMs);
}

async function outletCommand(
  action: Extract<CommandAction, { target: { kind: 'outlet' } }>,
  deps: ExecuteDeps,
): Promise<Outcome> {
  const pdu = deps.pdus.find((p) => p.id === action.target.pduId);
  if (!pdu) return refused('unknown_target', `pdu ${action.target.pduId}: not configured on this agent`);
  const vendor = VENDORS[pdu.vendor];
  if (!vendor)
    return refused('unsupported', `pdu ${pdu.id}: vendor ${pdu.vendor} is not known to this agent`);
  const oid = vendor.control.oid(action.target.outlet);
  const session = await openSession(pdu, 'write');
  try {
    if (action.op === 'outlet.on') await setInteger(session, oid, vendor.control.on);
    else if (action.op === 'outlet.off') await setInteger(session, oid, vendor.control.off);
    else {
      // Off, wait, on: honours offSeconds, which the PDUs' own reboot codes cannot take per request.
      await setInteger(session, oid, vendor.control.off);
      await deps.sleep(action.offSeconds * 1000);
      await setInteger(session, oid, vendor.control.on);
    }
  } finally {
    session.close();
  }
  return {
    status: 'succeeded',
    refusal: null,
    transport: 'snmp',
    message: `pdu ${pdu.id} outlet ${action.target.outlet}: ${action.op} done`,
  };
}

/**
 * A miner command carried as far as the miner's answer: `outcome` is the result to report now;
 * `verify`, when the operation has an effect a reading can show, reads the miner through the
 * commanded window and gives the final result.
 */
export type Started = { outcome: Outcome; verify?: () => Promise<Outcome> };

/** Carries out a verified command and checks its effect; transport errors become a failed result naming the target. */
export async function execute(action: CommandAction, deps: ExecuteDeps): Promise<Outcome> {
  const started = await start(action, deps);
  return started.verify ? started.verify() : started.outcome;
}

/** Carries out a verified command up to the miner's answer (issue 16: acknowledged, refused or unanswered). */
export async function start(action: CommandAction, deps: ExecuteDeps): Promise<Started> {
  if (action.target.kind === 'outlet') {
    try {
      return {
        outcome: await outletCommand(action as Extract<CommandAction, { target: { kind: 'outlet' } }>, deps),
      };
    } catch (err) {
      const message = `pdu ${action.target.pduId} outlet ${action.target.outlet}: ${(err as Error).message}`;
      return {
        outcome: {
          status: failureKind(err) === 'timeout' ? 'timeout' : 'failed',
          refusal: null,
          transport: 'snmp',
          message,
        },
      };
    }
  }
  const target = deps.targetByKey(action.target.minerKey);
  if (!target)
    return {
      outcome: refused('unknown_target', `miner ${action.target.minerKey}: not polled by this agent`),
    };
  const miner: Miner = {
    ip: target.ip,
    profileId: target.profile.id,
    accounts: accountsFor(deps.ctx.credentials, target.profile.id),
  };
  if (action.op === 'firmware.upgrade') return startUpgrade(action, target, miner, deps);
  const candidates = target.profile.controls.filter((c) => c.op === action.op);
  if (candidates.length === 0) {
    return {
      outcome: refused(
        'unsupported',
        `miner ${target.ip}: ${target.profile.id} has no ${action.op} operation`,
      ),
    };
  }
  const op = candidates.find((c) => usable(c.auth, miner) === null);
  if (!op) {
    const why = candidates.map((c) => `${c.transport}: ${usable(c.auth, miner)}`).join('; ');
    return { outcome: refused('unsupported', `miner ${target.ip}: ${action.op}: ${why}`) };
  }
  const effect = op.effect ?? {
    kind: 'unobservable' as const,
    why: `the ${target.profile.id} profile names no effect for ${op.op}`,
  };
  return answered(action, target, op.transport, effect, deps, () => runSteps(op, miner, deps, action));
}

/**
 * firmware.upgrade (issue 20 item 4): refused up front when the miner's profile has no upgrade path
 * for the image's family; the image is fetched and its size and SHA-256 checked before anything
 * reaches the miner (a mismatch is refused `bad_image`, the miner untouched); then it goes to the
 * miner with the profile's transport and the effect (the new version, hashing) is read back.
 */
async function startUpgrade(
  action: Extract<CommandAction, { op: 'firmware.upgrade' }>,
  target: Target,
  miner: Miner,
  deps: ExecuteDeps,
): Promise<Started> {
  const path = upgradePath(target.profile, action.family);
  if (!path.ok)
    return { outcome: refused('unsupported', `miner ${target.ip}: firmware.upgrade: ${path.why}`) };
  const upgrade = path.upgrade;
  const why = usable(upgrade.auth, miner);
  if (why) return { outcome: refused('unsupported', `miner ${target.ip}: firmware.upgrade: ${why}`) };
  const transport = upgrade.kind === 'ssh-stream' ? 'ssh' : 'http';
  let image: Buffer;
  try {
    image = await fetchImage(action.image, deps.controllerToken?.());
  } catch (err) {
    const words = `miner ${target.ip}: firmware.upgrade: ${(err as Error).message}; nothing was sent to the miner`;
    if (err instanceof BadImage)
      return { outcome: { status: 'refused', refusal: 'bad_image', transport: null, message: words } };
    return {
      outcome: {
        status: failureKind(err) === 'timeout' ? 'timeout' : 'failed',
        refusal: null,
        transport: null,
        message: words,
      },
    };
  }
  const deadlineMs = Math.max(deps.requestTimeoutMs, transferMs(action.image.sizeBytes));
  return answered(action, target, transport, upgrade.effect, deps, () =>
    sendImage(upgrade, image, miner, deps.ctx, deadlineMs),
  );
}

/**
 * Runs an operation that reaches the miner and reports it as far as the miner's answer: failed in
 * its words (or sent, when it never answered), unverified when no reading can show the effect, or
 * acknowledged with the window end and a `verify` that reads the miner through that window.
 */
async function answered(
  action: CommandAction,
  target: Target,
  transport: Exclude<Outcome['transport'], null | 'snmp'>,
  effect: Effect,
  deps: ExecuteDeps,
  run: () => Promise<string>,
): Promise<Started> {
  const sentAt = deps.verify?.now() ?? Date.now();
  let reply: string;
  try {
    reply = await run();
  } catch (err) {
    const kind = failureKind(err);
    const words = (err as Error).message;
    return {
      outcome: {
        status: kind === 'timeout' ? 'timeout' : 'failed',
        refusal: null,
        transport,
        message: `miner ${target.ip}: ${action.op} over ${transport}: ${words}`,
        // A miner that answered and refused said so in its own words; anything else never got an answer.
        effect: {
          state: err instanceof MinerRefusal || kind === 'auth' || kind === 'protocol' ? 'failed' : 'sent',
          reply: words,
          observed: null,
          windowEndsAt: null,
        },
      },
    };
  }
  const said = `miner ${target.ip}: ${action.op}: ${reply}`;
  const outcomeOf = (e: CommandEffect): Outcome => ({
    status: e.state === 'failed' ? 'failed' : 'succeeded',
    refusal: null,
    transport,
    message: e.observed ? `${said}; ${e.state}: ${e.observed}` : said,
    effect: e,
  });
  if (effect.kind === 'unobservable') {
    return { outcome: outcomeOf({ state: 'unverified', reply, observed: effect.why, windowEndsAt: null }) };
  }
  const windowEndsAt = sentAt + effect.windowS * 1000;
  const acknowledged = outcomeOf({ state: 'acknowledged', reply, observed: null, windowEndsAt });
  const v = deps.verify;
  if (!v) return { outcome: acknowledged };
  return {
    outcome: acknowledged,
    verify: async () => outcomeOf(await verifyEffect(effect, action, target, deps, v, sentAt, reply)),
  };
}

/**
 * Reads the miner on a short schedule until it shows the operation's effect or the commanded
 * window ends (then the command failed). A verified command leaves the target due for its next
 * regular poll at once, not after the poll back-off its commanded downtime earned.
 */
async function verifyEffect(
  effect: Exclude<Effect, { kind: 'unobservable' }>,
  action: CommandAction,
  target: Target,
  deps: ExecuteDeps,
  v: VerifyOptions,
  sentAt: number,
  reply: string,
): Promise<CommandEffect> {
  const windowEndsAt = sentAt + effect.windowS * 1000;
  // The window also holds on the wall clock: an agent clock that stands still cannot keep it open.
  const wallEndsAt = Date.now() + effect.windowS * 1000;
  const modelInfo = findModel(target.model);
  let last = 'no reading yet';
  let reads = 0;
  for (;;) {
    await deps.sleep(v.intervalMs);
    if (v.signal?.aborted) {
      return {
        state: 'unverified',
        reply,
        observed: `the agent stopped while verifying: ${last}`,
        windowEndsAt,
      };
    }
    // One request at a time per miner (Avalon's API is single-threaded): while a poll is in
    // flight this turn reads nothing, but the window still ends on time: a miner its polls keep
    // busy must not hold the command open for ever.
    if (!target.busy) {
      target.busy = true;
      const read = await pollMiner(
        deps.ctx,
        target.ip,
        target.profile,
        modelInfo,
        deps.requestTimeoutMs,
      ).finally(() => {
        target.busy = false;
      });
      reads++;
      if (read.ok) {
        const s = sighting(
          effect,
          action,
          read.reading,
          (v.now() - sentAt) / 1000,
          modelInfo?.nominalThs ?? null,
        );
        last = s.observed;
        if (s.seen) {
          target.health = { ...target.health, nextAttemptAt: 0 };
          return { state: 'verified', reply, observed: s.observed, windowEndsAt };
        }
      } else {
        last = `no answer (${read.message})`;
      }
    }
    if (v.now() >= windowEndsAt) break;
    if (Date.now() >= wallEndsAt) {
      return {
        state: 'unverified',
        reply,
        observed: `the agent clock stood still through the window: ${last}`,
        windowEndsAt,
      };
    }
  }
  // Never read (its polls held it the whole window): nothing was seen either way.
  if (reads === 0)
    return {
      state: 'unverified',
      reply,
      observed: `not read within the ${effect.windowS} s window: the miner was busy with polls throughout`,
      windowEndsAt,
    };
  return {
    state: 'failed',
    reply,
    observed: `not seen within the ${effect.windowS} s window: ${last}`,
    windowEndsAt,
  };
}
