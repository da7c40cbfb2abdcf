import { createHmac } from 'node:crypto';
import nodemailer from 'nodemailer';
import { alertText, type ChannelLanguage, text as say } from './wording.js';

/**
 * Notification channels besides signed webhooks: Telegram, e-mail (SMTP), and the WeCom,
 * DingTalk and Feishu group robots. A channel is a formatter (the outbox payload, the same JSON a
 * webhook receives, rendered as text) and a sender; the outbox, its retries, the flap budget and
 * silences are the webhooks' own (notify.ts): a configured channel is a row of `alert_webhooks`
 * whose url is `<type>:<target>` and whose stored secret is the channel's settings (its tokens
 * and signing secrets read from their files at start-up).
 */
export const CHANNEL_TYPES = ['telegram', 'email', 'wecom', 'dingtalk', 'feishu'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export type ChannelSpec = (
  | { type: 'telegram'; apiUrl: string; botToken: string; chatId: string }
  | {
      type: 'email';
      host: string;
      port: number;
      secure: boolean;
      user: string | null;
      password: string | null;
      from: string;
      to: string[];
    }
  | { type: 'wecom'; url: string }
  | { type: 'dingtalk' | 'feishu'; url: string; secret: string | null }
) & {
  /** The recipients' language (wording.ts); absent (stored before it existed) is English. */
  language?: ChannelLanguage;
};

/** Whether an `alert_webhooks` url names a channel rather than an http(s) endpoint. */
export const channelOf = (url: string): ChannelType | null => {
  const type = url.slice(0, url.indexOf(':'));
  return (CHANNEL_TYPES as readonly string[]).includes(type) ? (type as ChannelType) : null;
};

/** The fields of an outbox payload (notify.ts `webhookPayload`) a message shows. */
type Payload = {
  event: string;
  alert: { kind: string; severity: string };
  message: string;
  /** The message as a UI catalogue key and parameters (alerts/message-key.ts). */
  messageKey?: string;
  messageParams?: Record<string, string | number | boolean | null>;
  site: string | null;
  container: string | null;
  rack: string | null;
  slot: string | null;
  link: string;
};

/**
 * One short plain-text message: what happened, where, and the link that opens it; in English, or
 * worded from the UI's catalogues in the channel's language.
 */
export function channelText(p: Payload, language: ChannelLanguage = 'en'): { subject: string; text: string } {
  const what = p.event === 'resolved' ? 'resolved' : p.event === 'flapping' ? 'flapping' : 'opened';
  const message = language === 'en' ? null : alertText(language, p.messageKey, p.messageParams);
  if (message !== null) {
    const subject = `[${say(language, `severity.${p.alert.severity}`).toUpperCase()}] ${say(language, `alertKind.${p.alert.kind}`)} ${say(language, `alertNotice.${what}`)}: ${message}`;
    const where = (['site', 'container', 'rack', 'slot'] as const)
      .filter((k) => p[k])
      .map((k) => say(language, `alertNotice.${k}`, { [k]: p[k]! }));
    return { subject, text: [subject, where.join(', '), p.link].filter(Boolean).join('\n') };
  }
  const subject = `[${p.alert.severity.toUpperCase()}] ${p.alert.kind} ${what}: ${p.message}`;
  const where = [
    p.site && `site ${p.site}`,
    p.container && `container ${p.container}`,
    p.rack && `rack ${p.rack}`,
    p.slot && `slot ${p.slot}`,
  ].filter(Boolean);
  return { subject, text: [subject, where.join(', '), p.link].filter(Boolean).join('\n') };
}

/** DingTalk's and Feishu's `sign`: base64 HMAC-SHA256 of `<timestamp>\n<secret>`. */
export function robotSign(type: 'dingtalk' | 'feishu', secret: string, timestamp: number): string {
  const stringToSign = `${timestamp}\n${secret}`;
  // DingTalk keys the MAC with the secret over that string; Feishu keys it with that string
  // over an empty message (see the doc pages cited in robotRequest).
  return type === 'dingtalk'
    ? createHmac('sha256', secret).update(stringToSign).digest('base64')
    : createHmac('sha256', stringToSign).update('').digest('base64');
}

type Request = { url: string; body: unknown; ok: (reply: unknown) => boolean };

/**
 * `text` cut to at most `maxBytes` of UTF-8 (never inside a character), ending in `…` when cut: a
 * message over a service's limit is refused every time, so it would only retry until dead.
 */
export function clip(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = '';
  let bytes = 3; // the ellipsis
  for (const ch of text) {
    bytes += Buffer.byteLength(ch);
    if (bytes > maxBytes) break;
    out += ch;
  }
  return `${out}…`;
}

/**
 * Text limits: Telegram 4096 characters after entity parsing (at most 4 bytes each, so 4096 bytes
 * is safe); WeCom 2048 bytes of UTF-8 (group robot doc); DingTalk and Feishu are given the same
 * 2048 bytes, far below their own limits, so one alert reads the same everywhere.
 */
const MAX_TEXT_BYTES: Record<Exclude<ChannelType, 'email'>, number> = {
  telegram: 4096,
  wecom: 2048,
  dingtalk: 2048,
  feishu: 2048,
};

/** The HTTP request a robot or bot channel makes for one message. */
export function robotRequest(
  spec: Exclude<ChannelSpec, { type: 'email' }>,
  text: string,
  now: number,
): Request {
  text = clip(text, MAX_TEXT_BYTES[spec.type]);
  const reply = (r: unknown) => (r && typeof r === 'object' ? (r as Record<string, unknown>) : {});
  switch (spec.type) {
    // https://core.telegram.org/bots/api#sendmessage: POST <api>/bot<token>/sendMessage, JSON
    // {chat_id, text}; the reply is {ok: true, result} or {ok: false, description}.
    case 'telegram':
      return {
        url: `${spec.apiUrl.replace(/\/+$/, '')}/bot${spec.botToken}/sendMessage`,
        body: { chat_id: spec.chatId, text },
        ok: (r) => reply(r).ok === true,
      };
    // https://developer.work.weixin.qq.com/document/path/99110 (group robot): POST the robot's
    // webhook URL (…/cgi-bin/webhook/send?key=…), JSON {msgtype: "text", text: {content}};
    // the reply is {errcode: 0, errmsg: "ok"}, errors come with HTTP 200 and errcode != 0.
    case 'wecom':
      return {
        url: spec.url,
        body: { msgtype: 'text', text: { content: text } },
        ok: (r) => reply(r).errcode === 0,
      };
    // https://open.dingtalk.com/document/robots/customize-robot-security-settings: with
    // "additional signature" on, `timestamp` (ms) and `sign` (base64 HMAC-SHA256 keyed by the
    // secret over `<timestamp>\n<secret>`, URL-encoded) join the webhook URL's query; body
    // {msgtype: "text", text: {content}}, reply {errcode: 0}.
    case 'dingtalk': {
      const url = new URL(spec.url);
      if (spec.secret) {
        url.searchParams.set('timestamp', String(now));
        url.searchParams.set('sign', robotSign('dingtalk', spec.secret, now));
      }
      return {
        url: url.toString(),
        body: { msgtype: 'text', text: { content: text } },
        ok: (r) => reply(r).errcode === 0,
      };
    }
    // https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot: body {msg_type: "text",
    // content: {text}}; with signature verification on, `timestamp` (seconds, a string) and
    // `sign` (base64 HMAC-SHA256 keyed by `<timestamp>\n<secret>` over nothing) in the body;
    // reply {code: 0, msg: "success"}.
    case 'feishu': {
      const timestamp = Math.floor(now / 1000);
      const signed = spec.secret
        ? { timestamp: String(timestamp), sign: robotSign('feishu', spec.secret, timestamp) }
        : {};
      return {
        url: spec.url,
        body: { ...signed, msg_type: 'text', content: { text } },
        ok: (r) => reply(r).code === 0,
      };
    }
  }
}

/**
 * Sends one outbox payload on a channel; resolves when the service accepted it, rejects with the
 * reason otherwise (HTTP status, the service's error reply, SMTP reply, network error, timeout),
 * which the outbox turns into a retry.
 */
export async function sendOnChannel(
  spec: ChannelSpec,
  payload: Payload,
  opts: { timeoutMs: number; now: number; key: string },
): Promise<void> {
  const { subject, text } = channelText(payload, spec.language);
  if (spec.type === 'email') {
    const transport = nodemailer.createTransport({
      host: spec.host,
      port: spec.port,
      secure: spec.secure,
      auth: spec.user ? { user: spec.user, pass: spec.password ?? '' } : undefined,
      connectionTimeout: opts.timeoutMs,
      greetingTimeout: opts.timeoutMs,
      socketTimeout: opts.timeoutMs,
    });
    try {
      // The outbox row id is the Message-ID's local part: a re-sent row is recognisably the same mail.
      await transport.sendMail({
        from: spec.from,
        to: spec.to,
        subject,
        text,
        date: new Date(opts.now),
        messageId: `<${opts.key.replace(/[^A-Za-z0-9.:_-]/g, '_')}@hashfleet>`,
      });
    } finally {
      transport.close();
    }
    return;
  }
  const req = robotRequest(spec, text, opts.now);
  const res = await fetch(req.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(req.body),
    signal: AbortSignal.timeout(opts.timeoutMs),
  });
  const raw = await res.text().catch(() => '');
  if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status} ${raw.slice(0, 200)}`.trim());
  let reply: unknown = null;
  try {
    reply = JSON.parse(raw);
  } catch {
    // a non-JSON 2xx is not the documented success reply
  }
  if (!req.ok(reply)) throw new Error(`${spec.type} refused the message: ${raw.slice(0, 200)}`);
}
