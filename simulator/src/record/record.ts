import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  decodeReply,
  detectFirmware,
  findModel,
  getProfile,
  type PollStep,
} from '@hashfleet/firmware-profiles';
import { frame } from '../firmware/whatsminer-v3.js';
import { Anonymiser } from './anonymise.js';

export type RecordOptions = {
  ip: string;
  profile: string;
  out: string;
  /** RPC port override (default: the profile's). */
  port?: number;
  timeoutMs?: number;
  progress?: (line: string) => void;
};

export type RecordResult = {
  dir: string;
  files: Record<string, string | null>;
  failed: string[];
  replaced: { mac: number; serial: number; worker: number };
};

function rpcRequest(step: Extract<PollStep['request'], { transport: 'rpc' }>): string {
  if (step.format === 'text')
    return step.parameter === undefined ? step.command : `${step.command}|${step.parameter}`;
  const body: Record<string, unknown> = { [step.key ?? 'command']: step.command };
  if (step.parameter !== undefined) body.parameter = step.parameter;
  return JSON.stringify(body);
}

/** One request over TCP; resolves with the bytes the miner sent before closing (or one v3 frame). */
function exchange(
  ip: string,
  port: number,
  payload: Buffer,
  framed: boolean,
  timeoutMs: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: ip, port }, () => socket.write(payload));
    const fail = (why: string) => {
      socket.destroy();
      reject(new Error(`miner ${ip}:${port}: ${why}`));
    };
    socket.setTimeout(timeoutMs, () => fail('timeout'));
    socket.on('data', (c) => {
      chunks.push(c);
      const all = Buffer.concat(chunks);
      if (framed && all.length >= 4 && all.length >= 4 + all.readUInt32LE(0)) {
        socket.destroy();
        resolve(all.subarray(4, 4 + all.readUInt32LE(0)));
      }
    });
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', (e) => fail(e.message));
  });
}

/**
 * Polls one miner with a profile's poll steps plus the detection requests and writes a
 * testcase folder in firmware-profiles' layout: raw replies (anonymised, otherwise byte-exact),
 * replies.json, SOURCES.md, NOTE.md and draft expected*.json to review before committing.
 */
export async function recordMiner(opts: RecordOptions): Promise<RecordResult> {
  const profile = getProfile(opts.profile);
  if (!profile) throw new Error(`record: unknown profile ${opts.profile}`);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const say = opts.progress ?? (() => {});
  const anon = new Anonymiser();
  mkdirSync(opts.out, { recursive: true });
  const steps: PollStep[] = [
    ...profile.poll,
    {
      key: 'version',
      request: { transport: 'rpc', port: opts.port ?? 4028, command: 'version', format: 'json' },
      optional: true,
    },
    {
      key: 'devdetails',
      request: { transport: 'rpc', port: opts.port ?? 4028, command: 'devdetails', format: 'json' },
      optional: true,
    },
  ];
  if (
    profile.poll.some((s) => s.request.transport === 'wm-v3') &&
    !profile.poll.some((s) => s.request.transport === 'wm-v3' && s.request.cmd === 'get.device.info')
  ) {
    steps.push({
      key: 'device-info',
      request: { transport: 'wm-v3', port: 4433, cmd: 'get.device.info' },
      optional: true,
    });
  }
  const files: Record<string, string | null> = {};
  const raws: Record<string, string | null> = {};
  const failed: string[] = [];
  for (const [i, step] of steps.entries()) {
    const r = step.request;
    const label = `[${i + 1}/${steps.length}] ${step.key}`;
    if (r.transport !== 'rpc' && r.transport !== 'wm-v3') {
      say(`${label}: skipped (${r.transport} is not recorded by this tool)`);
      files[step.key] = null;
      raws[step.key] = null;
      continue;
    }
    const started = Date.now();
    try {
      const port = r.transport === 'rpc' ? (opts.port ?? r.port) : r.port;
      const payload =
        r.transport === 'rpc'
          ? Buffer.from(rpcRequest(r), 'utf8')
          : frame(JSON.stringify(r.param === undefined ? { cmd: r.cmd } : { cmd: r.cmd, param: r.param }));
      const body = await exchange(opts.ip, port, payload, r.transport === 'wm-v3', timeoutMs);
      const text = anon.apply(body.toString('latin1'));
      const strict = (() => {
        try {
          JSON.parse(text);
          return true;
        } catch {
          return false;
        }
      })();
      const file = `${step.key}.${strict ? 'json' : 'txt'}`;
      writeFileSync(join(opts.out, file), Buffer.from(text, 'latin1'));
      files[step.key] = file;
      raws[step.key] = text;
      const repairs = decodeReply(text).repairs;
      say(
        `${label}: ${body.length} bytes in ${Date.now() - started} ms -> ${file}${repairs.length ? ` (quirks: ${repairs.join(', ')})` : ''}`,
      );
    } catch (err) {
      files[step.key] = null;
      raws[step.key] = null;
      failed.push(step.key);
      say(`${label}: FAILED ${(err as Error).message}${step.optional ? ' (optional)' : ''}`);
    }
  }
  const pollKeys = profile.poll.map((s) => s.key);
  const detect = {
    version: raws.version ?? null,
    devdetails: raws.devdetails ?? null,
    deviceInfo: raws['device-info'] ?? raws['device-info'] ?? null,
  };
  const detection = detectFirmware(detect);
  const reading = profile.parse(Object.fromEntries(pollKeys.map((k) => [k, raws[k] ?? null])), {
    modelInfo: findModel(detection?.model ?? null),
  });
  const json = (v: unknown) => `${JSON.stringify(v, null, 1)}\n`;
  writeFileSync(
    join(opts.out, 'replies.json'),
    json({
      poll: Object.fromEntries(pollKeys.filter((k) => files[k]).map((k) => [k, files[k]])),
      detect: {
        version: files.version ?? null,
        devdetails: files.devdetails ?? null,
        deviceInfo: files['device-info'] ?? null,
      },
    }),
  );
  writeFileSync(join(opts.out, 'expected.json'), json(reading));
  writeFileSync(join(opts.out, 'expected-detect.json'), `${JSON.stringify(detection)}\n`);
  const at = new Date().toISOString();
  writeFileSync(
    join(opts.out, 'SOURCES.md'),
    `| File | Source | Provenance | What is notable |\n|---|---|---|---|\n${Object.values(files)
      .filter(Boolean)
      .map(
        (f) =>
          `| \`${f}\` | \`simulator record\` from a miner, ${at} | captured raw, anonymised (MAC, serial, worker) | |`,
      )
      .join('\n')}\n`,
  );
  writeFileSync(
    join(opts.out, 'NOTE.md'),
    `# ${detection?.model ?? 'unknown model'} ${detection?.firmwareVersion ?? ''} (${opts.profile})\n\nRecorded by \`simulator record\` on ${at}. \`expected*.json\` are DRAFTS produced by running the profile on these replies: check every value against the raw replies before committing. Anonymised: ${anon.replaced.mac} MAC, ${anon.replaced.serial} serial, ${anon.replaced.worker} worker values.\n`,
  );
  return { dir: opts.out, files, failed, replaced: { ...anon.replaced } };
}
