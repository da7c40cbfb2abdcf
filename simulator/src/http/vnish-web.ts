import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkImage } from '../model/firmware-image.js';
import type { MinerModel } from '../model/miner.js';
import { MAX_IMAGE_BYTES } from './antminer-cgi.js';
import { bodyBytes, parseMultipart } from './multipart.js';

type Doc = Record<string, unknown>;

async function body(req: IncomingMessage): Promise<Doc> {
  let s = '';
  for await (const chunk of req) s += chunk;
  try {
    return s ? (JSON.parse(s) as Doc) : {};
  } catch {
    return {};
  }
}

/**
 * VNish web API (pyasic web/vnish.py, docs/reference.md §4, §7): `POST /api/v1/unlock {"pw"}` ->
 * `{"token"}`, then `Authorization: Bearer <token>`. No VNish web reply is recorded, so the
 * summary carries only the documented fields (`miner.miner_type`, `power_usage`, `miner_status`).
 */
export async function vnishWeb(
  m: MinerModel,
  now: () => number,
  req: IncomingMessage,
  res: ServerResponse,
  changed: () => void,
): Promise<void> {
  const json = (status: number, doc: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(doc));
  };
  const path = (req.url ?? '').split('?')[0];
  const tokens = (m.session.get('vnish-tokens') as Set<string> | undefined) ?? new Set<string>();
  m.session.set('vnish-tokens', tokens);
  if (path === '/api/v1/unlock' && req.method === 'POST') {
    const { pw } = await body(req);
    if (pw !== m.password) return json(403, { err: 'wrong password' });
    const token = randomBytes(16).toString('hex');
    tokens.add(token);
    return json(200, { token });
  }
  const auth = req.headers.authorization ?? '';
  if (!auth.startsWith('Bearer ') || !tokens.has(auth.slice(7))) return json(401, { err: 'unauthorized' });
  const t = now();
  const act = (fn: () => void) => {
    fn();
    changed();
    json(200, {});
  };
  switch (`${req.method} ${path}`) {
    case 'GET /api/v1/summary':
      return json(200, {
        miner: {
          miner_type: `${m.model.model} (Vnish ${m.firmwareVersion})`,
          power_usage: Math.round(m.powerW),
          hr_realtime: Math.round(m.hashrateThs * 100) / 100,
          miner_status: {
            miner_state: m.mode === 'sleep' ? 'stopped' : m.hashing(t) ? 'mining' : 'starting',
          },
        },
      });
    case 'POST /api/v1/firmware/update': {
      // The vnish profile's upgrade: the image as a multipart upload beside keep_settings.
      const bytes = await bodyBytes(req, MAX_IMAGE_BYTES);
      const file =
        bytes && parseMultipart(req.headers['content-type'], bytes)?.find((p) => p.fileName !== null);
      const verdict = file ? checkImage(m, file.data) : { ok: false as const, why: 'no file in the upload' };
      if (!verdict.ok) return json(400, { err: verdict.why });
      return act(() => m.flash(t, verdict.version));
    }
    case 'POST /api/v1/system/reboot':
      return act(() => m.reboot(t));
    case 'POST /api/v1/mining/restart':
      return act(() => m.restartDaemon(t));
    case 'POST /api/v1/mining/stop':
    case 'POST /api/v1/mining/pause':
      return act(() => {
        m.mode = 'sleep';
      });
    case 'POST /api/v1/mining/start':
    case 'POST /api/v1/mining/resume':
      return act(() => {
        m.mode = 'normal';
      });
    case 'POST /api/v1/find-miner':
      return act(() => {
        m.led = !m.led;
      });
    case 'POST /api/v1/settings': {
      const miner = ((await body(req)).miner ?? {}) as Doc;
      if (Array.isArray(miner.pools) && miner.pools.length) {
        m.pools = (miner.pools as Doc[]).map((p) => ({
          url: String(p.url ?? ''),
          user: String(p.user ?? ''),
          password: String(p.pass ?? ''),
        }));
        m.activePool = 0;
      }
      const preset = Number((miner.overclock as Doc | undefined)?.preset);
      if (Number.isFinite(preset) && preset > 0) m.powerLimitW = preset;
      // Settings apply by restarting the mining process.
      return act(() => m.restartDaemon(t));
    }
    default:
      return json(404, { err: 'not found' });
  }
}
