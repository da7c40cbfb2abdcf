import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import {
  exampleSample,
  exampleTelemetry,
  type MinerSample,
  type Telemetry,
  topics,
} from '@hashfleet/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsFor } from '../src/alerts/index.js';
import { tempDir, testApp } from './helpers.js';

/**
 * Proves that an alert reaches each notification channel (Telegram, e-mail over SMTP, WeCom,
 * DingTalk, Feishu) in the request format its service documents, through the webhooks' outbox:
 * each fake refuses its first request with a 5xx (the SMTP fake with a 554), the row is retried
 * after the back-off and then delivered once; routing by site keeps another site's channel quiet.
 * The fakes listen on loopback free ports and check method, path, headers, body shape and the
 * DingTalk/Feishu signatures, recomputed here from their documented definitions.
 */

const T0 = exampleSample.at;
const POLL = 30_000;
const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const healthy: MinerSample = {
  ...exampleSample,
  boards: [1, 2, 3].map((index) => ({ ...exampleSample.boards[0]!, index })),
};
const DING_SECRET = 'SEC0123456789abcdef0123456789abcdef';
const FEISHU_SECRET = 'feishu-secret-42';

// biome-ignore lint/suspicious/noExplicitAny: a fake service reads whatever JSON it is sent; the assertions check its shape
type Seen = { method: string; path: string; query: URLSearchParams; headers: IncomingHttpHeaders; body: any };

/** One HTTP fake for all robot/bot services: records requests, answers 500 to the first per path. */
function httpFake() {
  const seen: Seen[] = [];
  const replies: Record<string, unknown> = {};
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const first = !seen.some((s) => s.path === url.pathname);
      seen.push({
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: JSON.parse(raw),
      });
      res.writeHead(first ? 502 : 200, { 'content-type': 'application/json' });
      res.end(first ? '{"error":"upstream"}' : JSON.stringify(replies[url.pathname]));
    });
  });
  return { server, seen, replies };
}

/** Just enough SMTP (RFC 5321) to receive a message: refuses the first DATA with 554. */
function smtpFake() {
  const mails: { from: string; to: string[]; data: string; accepted: boolean }[] = [];
  const server: TcpServer = createTcpServer((sock) => {
    let buf = '';
    let inData = false;
    let cur = { from: '', to: [] as string[], data: '', accepted: false };
    sock.write('220 fake ESMTP\r\n');
    sock.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          if (end < 0) return;
          cur.data = buf.slice(0, end);
          buf = buf.slice(end + 5);
          inData = false;
          cur.accepted = mails.length > 0;
          mails.push(cur);
          sock.write(cur.accepted ? '250 queued\r\n' : '554 try later\r\n');
          cur = { from: '', to: [], data: '', accepted: false };
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') sock.write('250 fake\r\n');
        else if (verb === 'MAIL') {
          cur.from = line;
          sock.write('250 ok\r\n');
        } else if (verb === 'RCPT') {
          cur.to.push(line);
          sock.write('250 ok\r\n');
        } else if (verb === 'DATA') {
          inData = true;
          sock.write('354 go\r\n');
        } else if (verb === 'QUIT') sock.end('221 bye\r\n');
        else if (verb === 'RSET' || verb === 'NOOP') sock.write('250 ok\r\n');
        else sock.write('502 unknown\r\n');
      }
    });
    sock.on('error', () => undefined);
  });
  return { server, mails };
}

const listen = async (s: Server | TcpServer) => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as AddressInfo).port;
};

/**
 * Polls of sc-c01 (site sichuan) with these chip temperatures, one evaluation each; two at 97 °C
 * open chip_overtemp (and enqueue it), two at 70 °C resolve it. Returns the clock after the last.
 */
async function pollChip(
  t: Awaited<ReturnType<typeof testApp>>,
  alerts: ReturnType<typeof alertsFor>,
  from: number,
  temps: number[] = [97, 97],
  firstSeq = 1,
): Promise<number> {
  let clock = from;
  for (const [i, chipTempMaxC] of temps.entries()) {
    clock += POLL;
    const msg: Telemetry = {
      ...exampleTelemetry,
      seq: firstSeq + i,
      sentAt: clock,
      samples: [{ ...healthy, at: clock, chipTempMaxC }],
      unreachable: [],
    };
    await t.app.hashfleet.ingest.handle(topics.telemetry('sc-c01'), enc(msg));
    await alerts.tick(clock);
  }
  return clock;
}

describe('notification channels against local fakes of their services', () => {
  let http: ReturnType<typeof httpFake>;
  let smtp: ReturnType<typeof smtpFake>;
  let base: string;
  let smtpPort: number;
  beforeEach(async () => {
    http = httpFake();
    smtp = smtpFake();
    base = `http://127.0.0.1:${await listen(http.server)}`;
    smtpPort = await listen(smtp.server);
  });
  afterEach(async () => {
    await new Promise((r) => http.server.close(r));
    await new Promise((r) => smtp.server.close(r));
  });

  it('each channel gets its documented request, is retried after a 5xx and delivered once; other sites stay quiet', async () => {
    const tmp = tempDir();
    writeFileSync(`${tmp.dir}/tg.token`, '123456:ABC-token\n');
    http.replies['/bot123456:ABC-token/sendMessage'] = { ok: true, result: { message_id: 1 } };
    http.replies['/cgi-bin/webhook/send'] = { errcode: 0, errmsg: 'ok' };
    http.replies['/robot/send'] = { errcode: 0, errmsg: 'ok' };
    http.replies['/open-apis/bot/v2/hook/h1'] = { code: 0, msg: 'success' };
    let clock = T0;
    const t = await testApp(
      {
        alerts: {
          publicUrl: 'https://ops.example',
          webhooks: [
            { type: 'telegram', apiUrl: base, botTokenFile: `${tmp.dir}/tg.token`, chatId: -100123 },
            { type: 'telegram', apiUrl: base, botToken: 'other:site', chatId: 7, siteId: 'elsewhere' },
            {
              type: 'email',
              host: '127.0.0.1',
              port: smtpPort,
              from: 'fleet@example.test',
              to: ['noc@example.test'],
            },
            { type: 'wecom', url: `${base}/cgi-bin/webhook/send?key=wk` },
            { type: 'dingtalk', url: `${base}/robot/send?access_token=dt`, secret: DING_SECRET },
            { type: 'feishu', url: `${base}/open-apis/bot/v2/hook/h1`, secret: FEISHU_SECRET },
          ],
        },
      },
      () => clock,
    );
    try {
      const alerts = alertsFor(t.app.hashfleet);
      clock = await pollChip(t, alerts, clock);
      const first = await alerts.deliver(clock);
      expect(first).toEqual({ delivered: 0, failed: 5, dead: 0 });
      const failedAt = clock;
      clock += 600_000;
      const second = await alerts.deliver(clock);
      expect(second).toEqual({ delivered: 5, failed: 0, dead: 0 });
      expect(await alerts.deliver(clock + 600_000)).toEqual({ delivered: 0, failed: 0, dead: 0 });

      // Every HTTP request is a JSON POST; each path was asked twice (502, then accepted).
      for (const s of http.seen) {
        expect(s.method).toBe('POST');
        expect(s.headers['content-type']).toMatch(/^application\/json/);
      }
      const byPath = (p: string) => http.seen.filter((s) => s.path === p);
      const tg = byPath('/bot123456:ABC-token/sendMessage');
      expect(tg).toHaveLength(2);
      expect(tg[1]!.body).toEqual({ chat_id: '-100123', text: expect.stringContaining('sc-c01') });
      expect(tg[1]!.body.text).toMatch(/^\[CRITICAL\] /);
      expect(tg[1]!.body.text).toContain('https://ops.example/#/containers/sc-c01/miners/');
      expect(byPath('/botother:site/sendMessage')).toEqual([]);

      const wc = byPath('/cgi-bin/webhook/send');
      expect(wc).toHaveLength(2);
      expect(wc[1]!.query.get('key')).toBe('wk');
      expect(wc[1]!.body).toEqual({ msgtype: 'text', text: { content: tg[1]!.body.text } });

      const dt = byPath('/robot/send');
      expect(dt).toHaveLength(2);
      expect(dt[1]!.query.get('access_token')).toBe('dt');
      expect(dt[1]!.body).toEqual({ msgtype: 'text', text: { content: tg[1]!.body.text } });
      // Each attempt is signed at its own time (ms), HMAC-SHA256 keyed by the secret over `<ts>\n<secret>`.
      expect(dt.map((s) => Number(s.query.get('timestamp')))).toEqual([failedAt, clock]);
      for (const s of dt) {
        const ts = s.query.get('timestamp');
        const want = createHmac('sha256', DING_SECRET).update(`${ts}\n${DING_SECRET}`).digest('base64');
        expect(s.query.get('sign')).toBe(want);
      }

      const fs = byPath('/open-apis/bot/v2/hook/h1');
      expect(fs).toHaveLength(2);
      const { timestamp, sign, ...rest } = fs[1]!.body;
      expect(rest).toEqual({ msg_type: 'text', content: { text: tg[1]!.body.text } });
      expect(timestamp).toBe(String(Math.floor(clock / 1000)));
      expect(sign).toBe(createHmac('sha256', `${timestamp}\n${FEISHU_SECRET}`).update('').digest('base64'));

      expect(smtp.mails.map((m) => m.accepted)).toEqual([false, true]);
      const mail = smtp.mails[1]!;
      expect(mail.from).toBe('MAIL FROM:<fleet@example.test>');
      expect(mail.to).toEqual(['RCPT TO:<noc@example.test>']);
      // The subject is RFC 2047-encoded (it has a degree sign); the plain-text body is the same message.
      expect(mail.data).toMatch(/^Subject: =\?UTF-8\?Q\?=5BCRITICAL=5D_chip=5Fovertemp_opened/m);
      expect(mail.data).toMatch(/^Content-Type: text\/plain; charset=utf-8$/m);
      expect(mail.data).toMatch(/^\[CRITICAL\] chip_overtemp opened: chip 97 /m);
      expect(mail.data).toContain('site sichuan, container sc-c01, rack R03, slot 12');
      expect(mail.data).toMatch(/^Date: .*\+0000$/m);

      // The outbox holds one delivered row per interested channel, two attempts each.
      const rows = await t.app.hashfleet.db.all<{ state: string; attempts: number }>(
        'SELECT state, attempts FROM alert_outbox',
      );
      expect(rows).toEqual(Array.from({ length: 5 }, () => ({ state: 'delivered', attempts: 2 })));
      // The listing names each channel without its token or key.
      const list = await t.app.inject({ url: '/api/v1/alert-webhooks', headers: t.auth('admin') });
      const urls = (list.json() as { url: string }[]).map((w) => w.url).sort();
      expect(urls).toEqual(
        [
          'dingtalk:127.0.0.1',
          'email:noc@example.test',
          'feishu:127.0.0.1',
          'telegram:-100123',
          'telegram:7',
          'wecom:127.0.0.1',
        ].map((u) => (u.endsWith('127.0.0.1') ? `${u}:${new URL(base).port}` : u)),
      );
      expect(JSON.stringify(list.json())).not.toContain('ABC-token');
    } finally {
      await t.close();
      tmp.cleanup();
    }
  });

  it('a robot that answers HTTP 200 with an error code is retried, not delivered; minSeverity routes by severity', async () => {
    http.replies['/cgi-bin/webhook/send'] = { errcode: 93000, errmsg: 'invalid webhook url' };
    http.replies['/open-apis/bot/v2/hook/h1'] = {
      code: 19021,
      msg: 'sign match fail or timestamp is not within one hour from current time',
    };
    let clock = T0;
    const t = await testApp(
      {
        alerts: {
          webhooks: [
            { type: 'wecom', url: `${base}/cgi-bin/webhook/send?key=wk` },
            { type: 'feishu', url: `${base}/open-apis/bot/v2/hook/h1`, secret: FEISHU_SECRET },
            { type: 'dingtalk', url: `${base}/robot/send?access_token=dt`, minSeverity: 'critical' },
          ],
        },
      },
      () => clock,
    );
    try {
      // chip_overtemp made a warning: the critical-only DingTalk robot must not be asked.
      const put = await t.app.inject({
        method: 'PUT',
        url: '/api/v1/alert-rules/default:chip_overtemp',
        headers: t.auth('operator'),
        payload: { kind: 'chip_overtemp', scope: 'global', severity: 'warning' },
      });
      expect(put.statusCode).toBe(200);
      const alerts = alertsFor(t.app.hashfleet);
      clock = await pollChip(t, alerts, clock);
      expect(await alerts.deliver(clock)).toEqual({ delivered: 0, failed: 2, dead: 0 });
      clock += 600_000;
      expect(await alerts.deliver(clock)).toEqual({ delivered: 0, failed: 2, dead: 0 });
      const rows = await t.app.hashfleet.db.all<{ state: string; attempts: number; last_error: string }>(
        'SELECT state, attempts, last_error FROM alert_outbox ORDER BY last_error',
      );
      expect(rows).toEqual([
        {
          state: 'pending',
          attempts: 2,
          last_error: expect.stringMatching(/^feishu refused the message: .*19021/),
        },
        {
          state: 'pending',
          attempts: 2,
          last_error: expect.stringMatching(/^wecom refused the message: .*93000/),
        },
      ]);
      expect(http.seen.filter((s) => s.path === '/robot/send')).toEqual([]);
      expect(
        http.seen.every(
          (s) =>
            s.body.text?.content?.startsWith('[WARNING] ') ?? s.body.content.text.startsWith('[WARNING] '),
        ),
      ).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('a channel without its token, or with an unreadable secret file, stops start-up naming the entry', async () => {
    await expect(testApp({ alerts: { webhooks: [{ type: 'telegram', chatId: 1 }] } })).rejects.toThrow(
      'alerts.webhooks.0 (telegram): botToken or botTokenFile is required',
    );
    await expect(
      testApp({
        alerts: {
          webhooks: [
            { url: 'http://127.0.0.1:9/a' },
            {
              type: 'dingtalk',
              url: 'http://127.0.0.1:9/robot/send',
              secretFile: '/nonexistent/ding.secret',
            },
          ],
        },
      }),
    ).rejects.toThrow(
      'alerts.webhooks.1 (dingtalk): secretFile /nonexistent/ding.secret: cannot read: ENOENT',
    );
  });

  it('a silenced alert is held on a channel as on a webhook: its resolve is not sent; an unsilenced resolve is', async () => {
    const path = '/botsil:tok/sendMessage';
    http.replies[path] = { ok: true, result: { message_id: 2 } };
    let clock = T0;
    const t = await testApp(
      { alerts: { webhooks: [{ type: 'telegram', apiUrl: base, botToken: 'sil:tok', chatId: '@noc' }] } },
      () => clock,
    );
    try {
      const alerts = alertsFor(t.app.hashfleet);
      clock = await pollChip(t, alerts, clock);
      await alerts.deliver(clock); // the fake's 502
      clock += 600_000;
      expect(await alerts.deliver(clock)).toEqual({ delivered: 1, failed: 0, dead: 0 });
      const [a] = (await (
        await t.app.inject({ url: '/api/v1/alerts?state=open', headers: t.auth('operator') })
      ).json()) as { id: string }[];
      const sil = await t.app.inject({
        method: 'POST',
        url: `/api/v1/alerts/${a!.id}/silence`,
        headers: t.auth('operator'),
        payload: { minutes: 60, reason: 'fan on order' },
      });
      expect(sil.statusCode).toBe(200);
      clock = await pollChip(t, alerts, clock, [70, 70], 3);
      expect(await alerts.deliver(clock)).toEqual({ delivered: 0, failed: 0, dead: 0 });
      // After the silence, the next opening and its resolve are both sent.
      clock += 3_600_000;
      clock = await pollChip(t, alerts, clock, [97, 97, 70, 70], 5);
      expect(await alerts.deliver(clock)).toEqual({ delivered: 2, failed: 0, dead: 0 });
      const texts = http.seen.filter((s) => s.path === path).map((s) => s.body.text.split('\n')[0]);
      expect(texts.map((x: string) => x.replace(/:.*/, ''))).toEqual([
        '[CRITICAL] chip_overtemp opened',
        '[CRITICAL] chip_overtemp opened',
        '[CRITICAL] chip_overtemp opened',
        '[CRITICAL] chip_overtemp resolved',
      ]);
      expect(http.seen.filter((s) => s.path === path).every((s) => s.body.chat_id === '@noc')).toBe(true);
    } finally {
      await t.close();
    }
  });
});
