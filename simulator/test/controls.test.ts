import { type ControlOperation, PROFILES } from '@hashfleet/firmware-profiles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Simulation,
  smallScenario,
  startSimulation,
  wmV2Decrypt,
  wmV2Encrypt,
  wmV2Key,
  wmV2Sign,
  wmV3EncryptParam,
  wmV3Token,
} from '../src/index.js';
import { digestFetch, parse, rpc, sshExec, wmV3 } from './client.js';
import { rpcBody } from './poll.js';

/**
 * The profiles' control operations are data; this runs every RPC and Whatsminer v3 one (no auth,
 * LuxOS session, btminer v2 token envelope, v3 per-command token) against the simulated firmware and checks that it is accepted and that
 * the miner really changed. Shows the simulator and the profiles agree on the control wire format.
 */
const ORDER = ['led', 'pool.set', 'power.target', 'sleep', 'wake', 'restart', 'reboot'] as const;
const runnable = (c: ControlOperation) =>
  (ORDER as readonly string[]).includes(c.op) &&
  ((c.transport === 'rpc' && ['none', 'luxos-session', 'wm-v2-token'].includes(c.auth.kind)) ||
    (c.transport === 'wm-v3' && c.auth.kind === 'wm-v3-token') ||
    (c.transport === 'http' && ['http-digest', 'vnish-bearer'].includes(c.auth.kind)) ||
    (c.transport === 'ssh' && c.auth.kind === 'ssh-password'));
const cases = PROFILES.filter((p) => p.controls.some(runnable));

let sim: Simulation;
beforeAll(async () => {
  const s = smallScenario({ miners: cases.length, pdus: false, seed: 13, bootS: 30, restartS: 5 });
  for (const [i, p] of cases.entries()) s.miners[i]!.profile = p.id as (typeof s.miners)[number]['profile'];
  // Plain cgminer is driven with write access on its API (`--api-allow W:...`).
  sim = await startSimulation(s, { httpPort: 8080, sshPort: 2222 });
});
afterAll(() => sim?.stop());

const fill = (text: string, vars: Record<string, string>) =>
  text.replace(/\{(\w+)\}/g, (_m, k: string) => vars[k] ?? `{${k}}`);

const fillDeep = (v: unknown, vars: Record<string, string>): unknown =>
  typeof v === 'string'
    ? fill(v, vars)
    : Array.isArray(v)
      ? v.map((x) => fillDeep(x, vars))
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fillDeep(x, vars)]))
        : v;

/** btminer API v2 privileged call: get_token, md5crypt sign, AES envelope; returns the decrypted reply. */
async function wmV2Call(ip: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const t = parse(await rpc(ip, 4028, '{"cmd":"get_token"}')) as {
    Msg: { time: string; salt: string; newsalt: string };
  };
  const key = wmV2Key('admin', t.Msg.salt);
  const sign = wmV2Sign('admin', t.Msg.salt, t.Msg.time, t.Msg.newsalt);
  const data = wmV2Encrypt(key, JSON.stringify({ ...body, token: sign }));
  const sealed = parse(await rpc(ip, 4028, JSON.stringify({ enc: 1, data }))) as { enc: string };
  return JSON.parse(wmV2Decrypt(key, sealed.enc)) as Record<string, unknown>;
}

/** Whatsminer API v3 set.*: salt from get.device.info, per-command token, pools param encrypted. */
async function wmV3Call(
  ip: string,
  port: number,
  cmd: string,
  param: unknown,
): Promise<Record<string, unknown>> {
  const [info] = await wmV3(ip, port, [{ cmd: 'get.device.info' }]);
  const salt = (info!.msg as { salt: string }).salt;
  const ts = 1_767_000_000;
  const p =
    cmd === 'set.miner.pools' ? wmV3EncryptParam(cmd, 'super', salt, ts, JSON.stringify(param)) : param;
  const [reply] = await wmV3(ip, port, [
    { cmd, param: p, ts, account: 'super', token: wmV3Token(cmd, 'super', salt, ts) },
  ]);
  return reply!;
}

describe('profile control operations against the simulated firmware', () => {
  cases.forEach((profile, i) => {
    const ops = ORDER.map((op) => profile.controls.find((c) => c.op === op && runnable(c))).filter(
      (c): c is ControlOperation => !!c,
    );
    it(`${profile.id}: ${ops.map((o) => o.op).join(', ')}`, async () => {
      const m = sim.miners[i]!;
      const vars: Record<string, string> = {
        url: 'stratum+tcp://btc.new-pool.example:3333',
        user: 'hashshare.moved',
        password: 'x',
        watts: '2000',
        on: '1',
        ledOn: '1',
        ledOnBool: 'true',
        unixTime: String(Math.floor(sim.clock.now() / 1000)),
        webUser: 'root',
        webPassword: 'root',
      };
      for (const op of ops) {
        if (op.auth.kind === 'luxos-session') {
          const logon = parse(await rpc(m.ip, 4028, '{"command":"logon"}')) as {
            SESSION: { SessionID: string }[];
          };
          vars.sessionId = logon.SESSION[0]!.SessionID;
        }
        for (const step of op.steps) {
          if (step.transport === 'wm-v3') {
            const reply = await wmV3Call(m.ip, step.port, step.cmd, fillDeep(step.param, vars));
            expect(reply.code, `${profile.id} ${op.op}: ${JSON.stringify(reply)}`).toBe(0);
            continue;
          }
          if (step.transport === 'http') {
            const url = `http://${m.ip}:${m.ports.http}${step.path}`;
            const payload = step.body === undefined ? undefined : JSON.stringify(fillDeep(step.body, vars));
            let status: number;
            if (op.auth.kind === 'http-digest') {
              status = (
                await digestFetch(url, 'root', 'root', {
                  method: step.method,
                  ...(payload ? { body: payload } : {}),
                })
              ).status;
            } else {
              const unlock = await fetch(`http://${m.ip}:${m.ports.http}/api/v1/unlock`, {
                method: 'POST',
                body: '{"pw":"admin"}',
              });
              const { token } = (await unlock.json()) as { token: string };
              status = (
                await fetch(url, {
                  method: step.method,
                  body: payload,
                  headers: { authorization: `Bearer ${token}` },
                })
              ).status;
            }
            expect(status, `${profile.id} ${op.op} ${step.path}`).toBeLessThan(300);
            continue;
          }
          if (step.transport === 'ssh') {
            const password = { 'antminer-stock': 'miner', 'braiins-os': 'root' }[profile.id] ?? 'root';
            const code = await sshExec(
              m.ip,
              m.ports.ssh!,
              password,
              fill(step.command, vars),
              sim.sshHostKey,
            );
            expect(code, `${profile.id} ${op.op}: ${step.command}`).toBe(0);
            continue;
          }
          if (step.transport !== 'rpc') continue;
          if (op.auth.kind === 'wm-v2-token') {
            const fields = (fillDeep((step as { fields?: unknown }).fields ?? {}, vars) ?? {}) as Record<
              string,
              unknown
            >;
            const reply = await wmV2Call(m.ip, { cmd: step.command, ...fields });
            expect(reply, `${profile.id} ${op.op}`).toMatchObject({ STATUS: 'S', Code: 131 });
            continue;
          }
          const req = {
            ...step,
            command: fill(step.command, vars),
            ...(step.parameter !== undefined ? { parameter: fill(step.parameter, vars) } : {}),
          };
          const reply = (await rpc(m.ip, step.port, rpcBody(req))).toString('latin1');
          if (op.expect === 'status-ok') {
            const status =
              (parse(Buffer.from(reply, 'latin1')).STATUS as { STATUS: string }[] | string | undefined) ??
              'RESTART';
            const letter = Array.isArray(status) ? status[0]!.STATUS : status;
            expect(['S', 'I', 'RESTART', 'BYE'], `${profile.id} ${op.op}: ${reply}`).toContain(letter);
          }
          // A step may hand a value from its reply to the next (cgminer addpool -> switchpool index).
          const capture = (
            step as { capture?: { param: string; pattern: string; from?: string; match?: string } }
          ).capture;
          if (capture) {
            const status = (
              parse(Buffer.from(reply, 'latin1')).STATUS as { Msg?: string }[] | undefined
            )?.[0];
            const text = capture.from === 'body' ? reply : String(status?.Msg ?? '');
            const all = [...text.matchAll(new RegExp(capture.pattern, 'g'))];
            const m1 = (capture.match === 'last' ? all.at(-1) : all[0])?.[1];
            expect(m1, `${profile.id} ${op.op}: ${capture.param} in ${reply}`).toBeDefined();
            vars[capture.param] = m1!;
          }
        }
        await sim.tick(0);
        const after = sim.miner(m.id);
        if (op.op === 'led') expect(after.led).toBe(true);
        if (op.op === 'sleep') expect(after.mode).toBe('sleep');
        if (op.op === 'wake') expect(after.mode).toBe('normal');
        if (op.op === 'power.target') expect(after.powerLimitW).toBe(2000);
        if (op.op === 'restart' || op.op === 'reboot')
          expect(after.apiUp, `${profile.id} ${op.op} takes the API down`).toBe(false);
        // Disruptive operations (reboot, restart, Avalon's setpool + reboot) end with a boot.
        if (!after.apiUp) {
          await sim.tick(31_000);
          expect(sim.miner(m.id).elapsedS).toBeLessThan(31);
        }
        if (op.op === 'pool.set') expect(sim.miner(m.id).pools.map((p) => p.url)).toContain(vars.url);
        if (
          op.op === 'pool.set' &&
          op.steps.some((st) => st.transport === 'rpc' && st.command === 'switchpool')
        )
          expect(sim.miner(m.id).pool.url, `${profile.id} switched`).toBe(vars.url);
      }
    });
  });
});
